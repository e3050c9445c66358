import { DEFAULT_EDIT_COSTS, editDistance, SpellingCorrector, weightedDistance, type DictionaryEntry } from '../../../src/query/spelling-corrector';

/** A catalogue-like vocabulary: colours, categories, materials, with made-up frequencies. */
const VOCABULARY: DictionaryEntry[] = [
  ['navy', 120], ['black', 300], ['blue', 250], ['back', 40], ['lavender', 12], ['lace', 30], ['red', 200],
  ['sandal', 60], ['sandals', 45], ['sneakers', 150], ['sneaker', 20], ['trousers', 90], ['trouser', 5],
  ['bag', 140], ['bra', 35], ['big', 15], ['dress', 260], ['shirt', 230], ['jeans', 110], ['denim', 80],
  ['boots', 95], ['ankle', 50], ['leather', 130], ['any', 8], ['te00017', 1], ['striped', 40],
].map(([word, frequency]) => ({ word: word as string, frequency: frequency as number }));

const corrector = new SpellingCorrector(VOCABULARY);

describe('SpellingCorrector', () => {
  test.each([
    ['anvy', 'navy'],
    ['sadal', 'sandal'],
    ['sneakres', 'sneakers'],
    ['trosers', 'trousers'],
    ['blak', 'black'],
    ['lavendar', 'lavender'],
    ['nsvy', 'navy'],
    ['bga', 'bag'],
    ['dres', 'dress'],
    ['dresss', 'dress'],
    ['jaens', 'jeans'],
    ['lether', 'leather'],
  ])('corrects %s to %s', (typed, expected) => {
    expect(corrector.correct(typed)?.word).toBe(expected);
  });

  test('a neighbouring key costs less than another key', () => {
    const [best] = corrector.suggest('nsvy');
    expect(best).toMatchObject({ word: 'navy', distance: DEFAULT_EDIT_COSTS.substituteNeighbour });
    expect(weightedDistance('nzvy', 'navy')).toBe(DEFAULT_EDIT_COSTS.substituteNeighbour);
    expect(weightedDistance('npvy', 'navy')).toBe(DEFAULT_EDIT_COSTS.substitute);
  });

  test('a swap of two letters is one cheap edit and beats a substitution ("bga": bag before bra)', () => {
    expect(corrector.suggest('bga', 3).map((s) => s.word)).toEqual(['bag', 'bra']);
    expect(weightedDistance('bga', 'bag')).toBe(DEFAULT_EDIT_COSTS.transpose);
    expect(editDistance('bga', 'bag')).toBe(1);
  });

  test('extra and missing letters: repeats and neighbouring keys are cheaper', () => {
    expect(weightedDistance('dresss', 'dress')).toBe(DEFAULT_EDIT_COSTS.insertRepeat);
    expect(weightedDistance('dres', 'dress')).toBe(DEFAULT_EDIT_COSTS.deleteRepeat);
    expect(weightedDistance('shirtr', 'shirt')).toBe(DEFAULT_EDIT_COSTS.insertNeighbour);
    expect(weightedDistance('shirtp', 'shirt')).toBe(DEFAULT_EDIT_COSTS.insert);
    expect(weightedDistance('shrt', 'shirt')).toBe(DEFAULT_EDIT_COSTS.delete);
  });

  test('suggestions are best first, with the word itself first when known', () => {
    const got = corrector.suggest('sneaker', 5);
    expect(got[0]).toMatchObject({ word: 'sneaker', distance: 0, frequency: 20 });
    expect(got.map((s) => s.word)).toEqual(['sneaker', 'sneakers']);
    for (let i = 1; i < got.length; i++) expect(got[i].score).toBeGreaterThanOrEqual(got[i - 1].score);
    expect(corrector.suggest('sneaker', 1)).toHaveLength(1);
  });

  test('frequency breaks a tie of distance', () => {
    const words = (cat: number, bat: number) => new SpellingCorrector([{ word: 'cat', frequency: cat }, { word: 'bat', frequency: bat }]);
    // "v" touches both "c" and "b": equal distances.
    expect(words(100, 5).correct('vat')?.word).toBe('cat');
    expect(words(5, 100).correct('vat')?.word).toBe('bat');
    const [first, second] = words(100, 5).suggest('vat');
    expect(first.distance).toBe(second.distance);
    expect(first.score).toBeLessThan(second.score);
  });

  test('frequency does not overturn a clear difference of distance', () => {
    const c = new SpellingCorrector([{ word: 'navy', frequency: 1 }, { word: 'wavy', frequency: 1_000_000 }]);
    // "mavy": "m" touches "n" (0.5 from navy) but not "w" (1 from wavy); the frequency bonus is at most 0.15.
    expect(c.correct('mavy')?.word).toBe('navy');
    expect(c.suggest('mavy').map((s) => s.word)).toEqual(['navy', 'wavy']);
  });

  test('a dictionary word is left alone', () => {
    expect(corrector.correct('navy')).toBeNull();
    expect(corrector.correct('sandals')).toBeNull();
    expect(corrector.has('sandals')).toBe(true);
  });

  test.each([
    ['snkrs', 'three edits from sneakers'],
    ['nqvu', 'two edits from navy, but a 4-letter word gets one'],
    ['xyzzy', 'nothing near'],
  ])('no correction beyond the allowed edits: %s (%s)', (typed) => {
    expect(corrector.correct(typed)).toBeNull();
    expect(corrector.suggest(typed)).toEqual([]);
  });

  test('the allowed edits grow with the length and are configurable', () => {
    expect([corrector.allowedEdits('bg'), corrector.allowedEdits('bga'), corrector.allowedEdits('anvy'), corrector.allowedEdits('sadal')]).toEqual([0, 1, 1, 2]);
    const strict = new SpellingCorrector(VOCABULARY, { maxEdits: 1 });
    expect(strict.correct('sadal')?.word).toBe('sandal');
    expect(strict.correct('sadl')).toBeNull();
    expect(corrector.correct('sndal')?.word).toBe('sandal');
    expect(strict.correct('sndl')).toBeNull();
  });

  test('short words and words with digits are never corrected', () => {
    expect(corrector.correct('bg')).toBeNull();
    expect(corrector.correct('te00018')).toBeNull();
    expect(corrector.correct('j3ans')).toBeNull();
    // Nor is anything corrected into a word holding a digit.
    expect(new SpellingCorrector([{ word: 'ab12cd', frequency: 9 }]).correct('abxcd')).toBeNull();
  });

  test('entries of the same word add up; bad entries and costs are refused', () => {
    const c = new SpellingCorrector([{ word: 'navy', frequency: 2 }, { word: 'navy', frequency: 3 }]);
    expect(c.size).toBe(1);
    expect(c.suggest('navy')[0].frequency).toBe(5);
    expect(() => new SpellingCorrector([{ word: '', frequency: 1 }])).toThrow(/non-empty/);
    expect(() => new SpellingCorrector([{ word: 'navy', frequency: -1 }])).toThrow(/frequency/);
    expect(() => new SpellingCorrector([], { costs: { transpose: 0 } })).toThrow(/transpose/);
    expect(() => new SpellingCorrector([], { costs: { substitute: 1.5 } })).toThrow(/substitute/);
  });
});

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'acb', 1],
    ['ca', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['navy', 'anvy', 1],
  ])('%s -> %s is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });

  test('stops at max + 1', () => {
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
  });
});

/** Deterministic pseudo-random numbers (Park-Miller). */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function randomWords(count: number, rand: () => number, alphabet = 'abcdefghijklmnopqrstuvwxyz'): string[] {
  const words = new Set<string>();
  while (words.size < count) {
    const length = 3 + Math.floor(rand() * 10);
    let w = '';
    for (let i = 0; i < length; i++) w += alphabet[Math.floor(rand() * alphabet.length)];
    words.add(w);
  }
  return [...words];
}

function typo(word: string, rand: () => number): string {
  const i = Math.floor(rand() * word.length);
  const c = 'aeiorstn'[Math.floor(rand() * 8)];
  switch (Math.floor(rand() * 4)) {
    case 0: return word.slice(0, i) + word.slice(i + 1);
    case 1: return word.slice(0, i) + c + word.slice(i);
    case 2: return word.slice(0, i) + c + word.slice(i + 1);
    default: return i + 1 < word.length ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2) : word + c;
  }
}

describe('the symmetric-delete index', () => {
  test('finds exactly the words a full scan finds within reach (long words beyond the indexed prefix included)', () => {
    const rand = random(42);
    // A small alphabet makes many near neighbours.
    const words = randomWords(3000, rand, 'abcdeno');
    const c = new SpellingCorrector(words.map((word, i) => ({ word, frequency: i % 17 })));
    const queries = [...words.slice(0, 200).map((w) => typo(typo(w, rand), rand)), ...words.slice(200, 300).map((w) => typo(w, rand))];
    for (const q of queries) {
      const allowed = c.allowedEdits(q);
      const scan = words.filter((w) => allowed > 0 && editDistance(q, w, allowed) <= allowed).sort();
      const found = c.suggest(q, Infinity).map((s) => s.word).sort();
      expect(found).toEqual(allowed > 0 ? scan : words.includes(q) ? [q] : []);
    }
  });

  test('answers in well under a millisecond per word with 50,000 dictionary words', () => {
    const rand = random(7);
    const words = randomWords(50_000, rand);
    const c = new SpellingCorrector(words.map((word, i) => ({ word, frequency: i % 100 })));
    const queries = words.slice(0, 2000).map((w) => typo(w, rand));
    const corrected = queries.filter((q) => c.suggest(q, 5).length > 0).length;
    expect(corrected).toBeGreaterThan(queries.length * 0.95);
    // The best of three passes, so that a busy test machine does not decide.
    const passes = [0, 1, 2].map(() => {
      const started = performance.now();
      for (const q of queries) c.suggest(q, 5);
      return (performance.now() - started) / queries.length;
    });
    expect(Math.min(...passes)).toBeLessThan(1);
  });
});
