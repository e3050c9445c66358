import { colourDictionary } from '../../../src/query/colour-names';
import { Lexicon, LEXICON_FORMAT, type LexiconFile } from '../../../src/query/lexicon';
import { QueryUnderstanding, type UnderstoodQuery, type ValueCounts } from '../../../src/query/query-understanding';

/** A small catalogue: values with product counts. */
const values: ValueCounts = {
  category: { shirt: 40, 't-shirt': 30, trousers: 30, dress: 20, 'ankle-boot': 25, sandal: 20, bag: 10, coat: 15 },
  group: { top: 70, bottom: 30, shoes: 45, dress: 20, bag: 10 },
  color: { red: 20, burgundy: 10, navy: 15, blue: 15, black: 30, 'light grey': 10, lavender: 5, white: 20 },
  colorFamily: { red: 30, blue: 30, neutral: 60, purple: 5 },
  material: { leather: 20, denim: 20, cotton: 40 },
  pattern: { solid: 60, stripes: 20 },
  brand: { 'Maison Verre': 5 },
};

/** What training would learn: catalogue phrases, term frequencies, word vectors, colour anchors. */
function lexiconFile(overrides: Partial<LexiconFile> = {}): LexiconFile {
  return {
    format: LEXICON_FORMAT,
    source: { catalog: 'test', dataHash: null, products: 0, wordVectors: 'test', builtAt: '2026-01-01T00:00:00Z' },
    terms: { shirt: 50, navy: 20, sandals: 30, ankle: 25, boots: 40, trousers: 30, slacks: 8, red: 30, black: 30, bag: 10, coat: 20, dress: 20, wedding: 5, guest: 5 },
    phrases: [
      { text: 'slacks', name: 'category', value: 'trousers', strength: 1, count: 300 },
      { text: 'boots', name: 'category', value: 'ankle-boot', strength: 1, count: 900 },
      { text: 'dark blue', name: 'color', value: 'navy', strength: 1, count: 200 },
      { text: 'tee', name: 'category', value: 't-shirt', strength: 0.98, count: 200 },
    ],
    colourAnchors: { red: [207, 32, 40], burgundy: [112, 22, 44], navy: [28, 38, 92], blue: [38, 96, 204], black: [22, 22, 24], 'light grey': [191, 191, 195], lavender: [196, 172, 228], white: [243, 243, 241] },
    vectors: {
      anorak: [['category', 'coat', 0.72, 0.12]],
      parka: [['category', 'coat', 0.5, 0.01]],
      jeans: [
        ['category', 'trousers', 0.85, 0.2],
        ['material', 'denim', 0.86, 0.25],
        ['pattern', 'stripes', 0.5, 0.02],
      ],
      month: [['category', 'bag', 0.62, 0.2]],
      crimson: [['color', 'red', 0.66, 0.1]],
    },
    englishWords: 'the month need cost lack jeans anorak crimson wedding',
    ...overrides,
  };
}

/** Dictionary colours: the CSS crimson and mauve, and a name no shopper means as a colour. */
const dictionary = colourDictionary([
  { name: 'Crimson', hex: '#dc143c' },
  { name: 'Mauve', hex: '#e0b0ff' },
  { name: 'Powder Blue', hex: '#b0e0e6' },
  { name: 'Wedding', hex: '#ede6e9' },
  { name: 'Red', hex: '#ff0000' },
]);

function understand(text: string, correctSpelling = true): UnderstoodQuery {
  return new QueryUnderstanding(values, new Lexicon(lexiconFile()), dictionary).understand(text, { correctSpelling });
}

const included = (u: UnderstoodQuery) => u.attributes.filter((a) => a.polarity === 'include').map((a) => `${a.name}=${a.value}`);
const excluded = (u: UnderstoodQuery) => u.attributes.filter((a) => a.polarity === 'exclude').map((a) => `${a.name}=${a.value}`);

describe("QueryUnderstanding: the catalogue's own words", () => {
  it('recognises values by stem, longest phrase first, with their offsets', () => {
    const u = understand('Light grey ankle boots');
    expect(included(u)).toEqual(['color=light grey', 'category=ankle-boot']);
    const boots = u.attributes.find((a) => a.name === 'category')!;
    expect(boots).toMatchObject({ source: 'catalogue', confidence: 1, words: 'ankle boots', start: 11, end: 22 });
    expect(u.correctedText).toBeNull();
  });

  it('reads the catalogue phrases training learned, with their strength as confidence', () => {
    const u = understand('dark blue tee');
    expect(included(u)).toEqual(['color=navy', 'category=t-shirt']);
    expect(u.attributes.map((a) => [a.source, a.confidence])).toEqual([
      ['catalogue-phrase', 1],
      ['catalogue-phrase', 0.98],
    ]);
    // the towers read the query as typed where the catalogue's words were used; BM25 also gets the values
    expect(u.searchText).toBe('dark blue tee');
    expect(u.lexicalText).toBe('dark blue tee navy t shirt');
  });

  it('drops filler words of a sentence from what the towers encode', () => {
    const u = understand('do you have any red shirt for the month?');
    expect(included(u)).toEqual(['color=red', 'colorFamily=red', 'category=shirt']);
    expect(u.searchText).toBe('red shirt');
  });
});

describe('QueryUnderstanding: spelling', () => {
  it('corrects an unknown word to the closest catalogue word and keeps the original', () => {
    const u = understand('anvy sandlas');
    expect(u.correctedText).toBe('navy sandals');
    expect(u.corrections.map((c) => [c.from, c.to])).toEqual([
      ['anvy', 'navy'],
      ['sandlas', 'sandals'],
    ]);
    expect(included(u)).toEqual(['color=navy', 'category=sandal']);
    // a corrected word is less certain than a typed one
    for (const a of u.attributes) expect(a.confidence).toBeLessThan(1);
  });

  it('corrects a real word that names nothing when the slip turns it into a missing attribute', () => {
    const u = understand('red cost');
    expect(u.correctedText).toBe('red coat');
    expect(included(u)).toContain('category=coat');
  });

  it('leaves a real word alone when the attribute the correction would add is already named', () => {
    const u = understand('red coat for next month');
    expect(u.correctedText).toBeNull();
  });

  it('does nothing when spelling correction is off', () => {
    const u = understand('anvy sandlas', false);
    expect(u.correctedText).toBeNull();
    expect(u.corrections).toEqual([]);
    expect(included(u)).toEqual([]);
  });
});

describe('QueryUnderstanding: words the catalogue never uses', () => {
  it('places a dictionary colour on the perceptually nearest catalogue colour', () => {
    const u = understand('crimson slacks');
    const colour = u.attributes.find((a) => a.name === 'color')!;
    expect(colour).toMatchObject({ value: 'red', source: 'colour-name' });
    expect(colour.confidence).toBeGreaterThan(0.5);
    expect(included(u)).toContain('category=trousers');
    // the towers read it in the catalogue's words
    expect(u.searchText).toBe('red slacks');
  });

  it('does not read a common word as a colour just because a paint catalogue named one after it', () => {
    const u = understand('red dress for a wedding');
    expect(u.attributes.filter((a) => a.name === 'color').map((a) => a.value)).toEqual(['red']);
  });

  it('maps a garment word through word vectors, with a confidence from similarity and margin', () => {
    const sure = understand('navy anorak').attributes.find((a) => a.name === 'category')!;
    expect(sure).toMatchObject({ value: 'coat', source: 'word-vector' });
    expect(sure.confidence).toBeGreaterThan(0.9);
    // a near tie with another category (margin 0.01) is too unsure to keep
    expect(understand('navy parka').attributes.find((a) => a.name === 'category')).toBeUndefined();
  });

  it('reads one word as several attributes when each reading is sure enough, for the attributes vectors may name', () => {
    const all = new QueryUnderstanding(values, new Lexicon(lexiconFile()), dictionary, { vectorAttributes: ['category', 'pattern', 'material'] });
    const u = all.understand('black jeans');
    expect(included(u)).toEqual(expect.arrayContaining(['category=trousers', 'material=denim']));
    expect(included(u)).not.toContain('pattern=stripes');
    // by default word vectors name categories only
    expect(included(understand('black jeans'))).toEqual(['color=black', 'category=trousers']);
  });

  it('leaves colours to the colour dictionary: a word vector never names one', () => {
    expect(understand('crimson dress').attributes.find((a) => a.name === 'color')).toMatchObject({ source: 'colour-name' });
    const lexicon = new Lexicon(lexiconFile({ vectors: { shade: [['color', 'navy', 0.9, 0.3]] } }));
    expect(new QueryUnderstanding(values, lexicon, dictionary).understand('a darker shade').attributes).toEqual([]);
  });

  it('reads a colour name between two catalogue colours as both when they are close enough (colourPairDeltaE)', () => {
    const colours = (u: UnderstoodQuery) => u.attributes.filter((a) => a.name === 'color').map((a) => [a.value, a.confidence]);
    const alone = colours(understand('crimson dress'));
    expect(alone.map(([v]) => v)).toEqual(['red']);
    const lexicon = new Lexicon(lexiconFile());
    const pair = colours(new QueryUnderstanding(values, lexicon, dictionary, { colourPairDeltaE: 100 }).understand('crimson dress'));
    expect(pair.map(([v]) => v)).toEqual(['red', 'burgundy']);
    // equally sure of both: as sure as the third nearest colour is far from the second
    expect(pair[0][1]).toBe(pair[1][1]);
    expect(pair[0][1]).toBeGreaterThanOrEqual(0.5);
    // a pair is never read when the two nearest are farther apart than the setting
    expect(colours(new QueryUnderstanding(values, lexicon, dictionary, { colourPairDeltaE: 0.001 }).understand('crimson dress')).map(([v]) => v)).toEqual(['red']);
  });

  it('reads a compound by its last part', () => {
    const u = understand('white raincoat');
    expect(u.attributes.find((a) => a.name === 'category')).toMatchObject({ value: 'coat', source: 'compound' });
  });

  it('gives a frequent English word no vector reading unless it is very sure', () => {
    expect(understand('navy month').attributes.find((a) => a.name === 'category')).toMatchObject({ value: 'bag' });
    const strict = new QueryUnderstanding(values, new Lexicon(lexiconFile()), dictionary, { commonWordRank: 10, commonWordVectorConfidence: 0.99 });
    expect(strict.understand('navy month').attributes.find((a) => a.name === 'category')).toBeUndefined();
  });

  it("does not guess an attribute the query already names in the catalogue's words", () => {
    const u = understand('red crimson shirt');
    expect(u.attributes.filter((a) => a.name === 'color').map((a) => [a.value, a.source])).toEqual([['red', 'catalogue']]);
  });
});

describe('QueryUnderstanding: exclusions and prices', () => {
  it('excludes the first attribute a negation governs and keeps the garment', () => {
    const u = understand('no leather boots');
    expect(excluded(u)).toEqual(['material=leather']);
    expect(included(u)).toEqual(['category=ankle-boot']);
    expect(u.searchText).toBe('boots');
  });

  it('reads "but not" and coordinated values', () => {
    const u = understand('shirt but not red or navy');
    expect(included(u)).toEqual(['category=shirt']);
    expect(excluded(u)).toEqual(expect.arrayContaining(['color=red', 'color=navy']));
  });

  it('excludes every reading of the excluded words, a colour family too, and keeps what follows', () => {
    const u = understand('not navy blue, black');
    expect(excluded(u)).toEqual(expect.arrayContaining(['color=navy', 'color=blue', 'colorFamily=blue']));
    expect(included(u)).toEqual(['color=black']);
  });

  it('turns a price phrase into a constraint and removes it from the searched text', () => {
    const u = understand('red dress under 50 euros');
    expect(u.price).toMatchObject({ min: null, max: 50, currency: 'EUR' });
    expect(u.searchText).toBe('red dress');
  });
});

describe('QueryUnderstanding: without a lexicon', () => {
  it("still understands the live catalogue's values and corrects spelling against them", () => {
    const bare = new QueryUnderstanding(values, Lexicon.empty(), new Map());
    const u = bare.understand('navvy shirts');
    expect(u.correctedText).toBe('navy shirts');
    expect(included(u)).toEqual(['color=navy', 'category=shirt']);
    expect(bare.understand('crimson slacks').attributes).toEqual([]);
  });
});
