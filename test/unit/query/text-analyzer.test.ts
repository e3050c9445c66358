import { analyze, analyzeWords, fold, isStopWord, stem, tokenize, tokenizeWords } from '../../../src/query/text-analyzer';

const texts = (text: string) => tokenize(text).map((t) => t.text);
/** Each token's span cut from the original text. */
const spans = (text: string) => tokenize(text).map((t) => text.slice(t.start, t.end));

describe('tokenize', () => {
  test.each([
    ['Café crème', ['cafe', 'creme']],
    ['CAFÉ', ['cafe']],
    ['Cafe\u0301 au lait', ['cafe', 'au', 'lait']],
    ['ｄｒｅｓｓ', ['dress']],
    ['ﬁtted', ['fitted']],
    ['Straße', ['straße']],
    ['t-shirt', ['t', 'shirt']],
    ['non-leather jacket', ['non', 'leather', 'jacket']],
    ["don't want pink", ['dont', 'want', 'pink']],
    ['don’t', ['dont']],
    ["women's jeans", ['womens', 'jeans']],
    ["'90s jeans'", ['90s', 'jeans']],
    ["rock 'n' roll", ['rock', 'n', 'roll']],
    ['TE00017-2', ['te00017', '2']],
    ['€19.99', ['19', '99']],
    ['sneak\u00aders', ['sneakers']],
    ['red😀dress', ['red', 'dress']],
    ['', []],
    ['!!! ---', []],
  ])('%j -> %j', (text, expected) => {
    expect(texts(text)).toEqual(expected);
  });

  test('offsets map each token back to the original text', () => {
    const text = "Café 😀 crème-brûlée, DON'T";
    expect(spans(text)).toEqual(['Café', 'crème', 'brûlée', "DON'T"]);
    expect(tokenize(text).map((t) => [t.start, t.end])).toEqual([
      [0, 4],
      [8, 13],
      [14, 20],
      [22, 27],
    ]);
  });

  test('offsets include combining marks of decomposed text', () => {
    const text = 'Cafe\u0301 🧥 Sne\u0301akers';
    expect(spans(text)).toEqual(['Cafe\u0301', 'Sne\u0301akers']);
    expect(texts(text)).toEqual(['cafe', 'sneakers']);
  });

  test('marks the tokens a single hyphen joins to the next', () => {
    const joined = (text: string) => tokenize(text).map((t) => t.joinedToNext);
    expect(joined('t-shirt')).toEqual([true, false]);
    expect(joined('off-the-shoulder top')).toEqual([true, true, false, false]);
    expect(joined('shirt - red')).toEqual([false, false]);
    expect(joined('20--40')).toEqual([false, false]);
    expect(joined('red, blue')).toEqual([false, false]);
    expect(joined('t‐shirt')).toEqual([true, false]);
  });
});

describe('stem', () => {
  test.each([
    ['sneakers', 'sneaker'],
    ['dresses', 'dress'],
    ['striped', 'stripe'],
    ['stripes', 'stripe'],
    ['checked', 'check'],
    ['checks', 'check'],
    ['jeans', 'jean'],
    ['knitted', 'knit'],
    ['womens', 'women'],
  ])('%s -> %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });

  test('both forms of a word meet in one stem', () => {
    for (const [a, b] of [['sneaker', 'sneakers'], ['dress', 'dresses'], ['striped', 'stripes'], ['checked', 'checks'], ['heeled', 'heels'], ['sandal', 'sandals']]) {
      expect(stem(a)).toBe(stem(b));
    }
  });

  test('leaves digits and letters outside a-z alone', () => {
    expect(stem('7731')).toBe('7731');
    expect(stem('te00017')).toBe('te00017');
    expect(stem('straße')).toBe('straße');
  });
});

describe('isStopWord', () => {
  test('English function words are stop words, fashion words are not', () => {
    for (const w of ['the', 'with', 'for', 'and', 'of']) expect(isStopWord(w)).toBe(true);
    for (const w of ['top', 'light', 'long', 'dress', 'not', 'no', 'without']) expect(isStopWord(w)).toBe(false);
  });
});

describe('analyzeWords', () => {
  test.each([
    ['Red Summer Dresses', [['red'], ['summer'], ['dress']]],
    ['Dresses & T-Shirts', [['dress'], ['shirt']]],
    ['Café crème, 100% cotton', [['cafe'], ['creme'], ['100'], ['cotton']]],
    ['the bag of a boy', [['bag'], ['boy']]],
    ['Style code QX-7731, off-the-shoulder top', [['style'], ['code'], ['qx', '7731'], ['off', 'shoulder'], ['top']]],
    ['TE00017-2', [['te00017', '2']]],
    ['size 2', [['size']]],
    ["women's striped shirts", [['women'], ['stripe'], ['shirt']]],
    ['', []],
    ['the and of', []],
  ])('%j -> %j', (text, expected) => {
    expect(analyzeWords(text)).toEqual(expected);
  });

  test('a product code keeps every token, so codes sharing a prefix stay apart', () => {
    expect(analyze('TE00017-2')).not.toEqual(analyze('TE00017-3'));
    expect(analyze('Style code TE00017-2.')).toEqual(['style', 'code', 'te00017', '2']);
  });

  test('the query and the document side agree on inflected forms', () => {
    expect(analyze('sneaker')).toEqual(analyze('Sneakers'));
    expect(analyze('stripes')).toEqual(analyze('STRIPED'));
    expect(analyze('checks')).toEqual(analyze('checked'));
    expect(analyze('cafe')).toEqual(analyze('Café'));
  });

  test('groups tokens by white-space separated word', () => {
    expect(tokenizeWords('QX-7731 red/blue  top').map((w) => w.map((t) => t.text))).toEqual([['qx', '7731'], ['red', 'blue'], ['top']]);
  });
});

describe('fold', () => {
  test('lower-cases and strips accents and invisible characters', () => {
    expect(fold('Crème BRÛLÉE\u00ad ｘ')).toBe('creme brulee x');
  });
});
