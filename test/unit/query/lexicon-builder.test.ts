import { buildLexicon, learnPhrases, mapWordsToValues, termFrequencies, valuePrototypes, type CatalogueText, type WordVectors, DEFAULT_LEXICON_OPTIONS } from '../../../src/query/lexicon-builder';
import { Lexicon } from '../../../src/query/lexicon';

/**
 * Products whose titles use the catalogue's synonyms with varied colours, as a shop's titles would;
 * descriptions name the occasion in words titles never use.
 */
function catalogue(): CatalogueText[] {
  const out: CatalogueText[] = [];
  const colours: [string, string][] = [
    ['navy', 'navy'],
    ['dark blue', 'navy'],
    ['red', 'red'],
    ['black', 'black'],
  ];
  const office = ['Made for office wear.', 'An office favourite.', 'Wear it to the office, then out.'];
  const weekend = ['Made for weekend wear.', 'A weekend favourite.', 'Wear it on the weekend, then out.'];
  const nouns: [string, Record<string, string[]>, string[]][] = [
    ['chinos', { category: ['trousers'], occasion: ['work'] }, office],
    ['slacks', { category: ['trousers'], occasion: ['work'] }, office],
    ['kicks', { category: ['sneaker'], occasion: ['casual'] }, weekend],
    ['running shoes', { category: ['sneaker'], group: ['shoes'], occasion: ['casual'] }, weekend],
    ['denim shirt', { category: ['shirt'], material: ['denim'], occasion: ['casual'] }, weekend],
    ['long jacket', { category: ['coat'], occasion: ['work'] }, office],
  ];
  for (const [noun, attributes, description] of nouns) {
    for (const [word, colour] of colours) {
      for (let i = 0; i < 3; i++) {
        out.push({ title: `${word} ${noun}`, description: description[i], brand: 'Acme', attributes: { brand: ['Acme'], color: [colour], ...attributes } });
      }
    }
  }
  for (let i = 0; i < 2; i++) out.push({ title: 'Blue chinos', description: 'Rare phrasing.', brand: 'Acme', attributes: { category: ['trousers'], color: ['blue'] } });
  return out;
}

const options = { ...DEFAULT_LEXICON_OPTIONS, minCount: 5 };

describe('learnPhrases', () => {
  const phrases = learnPhrases(catalogue(), options);
  const has = (text: string, name: string, value: string) => phrases.some((p) => p.text === text && p.name === name && p.value === value);

  it('learns the words titles use for a value, with their strength', () => {
    expect(has('kicks', 'category', 'sneaker')).toBe(true);
    expect(has('slacks', 'category', 'trousers')).toBe(true);
    expect(has('dark blue', 'color', 'navy')).toBe(true);
    expect(phrases.find((p) => p.text === 'chinos')).toMatchObject({ value: 'trousers', strength: 1, count: 14 });
  });

  it('learns descriptions only for the attributes titles leave out, from words titles never use', () => {
    expect(has('office', 'occasion', 'work')).toBe(true);
    expect(has('weekend', 'occasion', 'casual')).toBe(true);
    // "chinos" is a title word: descriptions teach nothing about it
    expect(phrases.some((p) => p.text === 'chinos' && p.name === 'occasion')).toBe(false);
  });

  it('keeps a fixed expression whole and not its fragment', () => {
    expect(has('long jacket', 'category', 'coat')).toBe(true);
    expect(phrases.some((p) => p.text === 'long')).toBe(false);
    expect(has('running shoes', 'category', 'sneaker')).toBe(true);
  });

  it('does not learn chance pairings, literal values or words of another attribute', () => {
    expect(phrases.some((p) => p.text === 'navy denim')).toBe(false);
    expect(phrases.some((p) => p.text === 'navy' || p.text === 'red')).toBe(false);
    // "shoes" spells the group value: it names no category on its own
    expect(phrases.some((p) => p.text === 'shoes' && p.name === 'category')).toBe(false);
    // rarer than minCount
    expect(phrases.some((p) => p.text === 'blue chinos')).toBe(false);
  });
});

/** Three-dimensional "word vectors": garments along x, colours along y. */
function vectors(entries: Record<string, number[]>): WordVectors {
  const words = Object.keys(entries);
  const unit = words.map((w) => {
    const v = Float32Array.from(entries[w]);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  return { name: 'test-vectors', words, vector: (i) => unit[i], indexOf: (w) => (words.includes(w) ? words.indexOf(w) : undefined) };
}

describe('mapWordsToValues', () => {
  it('maps a word to the value whose words it is nearest to, with the margin over the runner-up', () => {
    const wv = vectors({ trousers: [1, 0, 0.2], chinos: [1, 0.1, 0.3], shirt: [1, 0.8, 0], slacksy: [1, 0.05, 0.25], crimson: [-1, 1, 0], red: [-1, 1, 0.05] });
    const protos = valuePrototypes({ category: ['trousers', 'shirt'] }, [{ text: 'chinos', name: 'category', value: 'trousers', strength: 1, count: 10 }], ['category']);
    expect(protos.get('category')!.get('trousers')).toEqual(['trousers', 'chinos']);
    const mapped = mapWordsToValues(wv, protos, { vectorFloor: 0.5, vectorWords: 100 });
    const [name, value, similarity, margin] = mapped.slacksy[0];
    expect([name, value]).toEqual(['category', 'trousers']);
    expect(similarity).toBeGreaterThan(0.99);
    expect(margin).toBeGreaterThan(0.1);
    // below the floor nothing is kept
    expect(mapped.crimson).toBeUndefined();
  });

  it('gives no entry to a word nearer to an attribute name than to every value ("colour" names the attribute)', () => {
    const wv = vectors({ trousers: [1, 0, 0], coat: [1, 0.6, 0], color: [0, 1, 0], colour: [0.3, 1, 0], coatish: [1, 0.5, 0] });
    const protos = valuePrototypes({ category: ['trousers', 'coat'] }, [], ['category']);
    const withoutNames = mapWordsToValues(wv, protos, { vectorFloor: 0.5, vectorWords: 100 });
    expect(withoutNames.colour?.[0].slice(0, 2)).toEqual(['category', 'coat']);
    const mapped = mapWordsToValues(wv, protos, { vectorFloor: 0.5, vectorWords: 100 }, ['category', 'colorFamily', 'color']);
    expect(mapped.colour).toBeUndefined();
    expect(mapped.coatish[0].slice(0, 2)).toEqual(['category', 'coat']);
  });
});

describe('buildLexicon', () => {
  it('writes terms, phrases, colour anchors, mapped words and the English word list', () => {
    const wv = vectors({ the: [0, 0, 1], trousers: [1, 0, 0], slacks: [1, 0.1, 0], 'pants-like': [1, 0, 0.1] });
    const file = buildLexicon({ products: catalogue(), catalog: 'test', dataHash: 'sha256:x', colourAnchors: { red: [200, 30, 40] }, wordVectors: wv, builtAt: '2026-01-01T00:00:00Z' }, options);
    expect(file.source).toEqual({ catalog: 'test', dataHash: 'sha256:x', products: 74, wordVectors: 'test-vectors', builtAt: '2026-01-01T00:00:00Z' });
    expect(file.terms.navy).toBeGreaterThan(0);
    expect(file.colourAnchors).toEqual({ red: [200, 30, 40] });
    expect(file.englishWords).toBe('the trousers slacks');
    const lexicon = new Lexicon(file);
    expect(lexicon.englishRankOf('slacks')).toBe(3);
    expect(lexicon.neighbours('slacks')[0].slice(0, 2)).toEqual(['category', 'trousers']);
  });

  it('counts words of titles, descriptions, brands and values for spelling', () => {
    const terms = termFrequencies([{ title: 'Navy shirt', description: 'A navy shirt.', brand: 'Acme Co', attributes: { color: ['navy'] } }]);
    expect(terms).toEqual({ navy: 3, shirt: 2, acme: 1, co: 1 });
  });
});
