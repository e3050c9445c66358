import { actionBreakdown, generateRules, median, withoutPins, ruleMix, ruleVocabulary, shopperTexts, type CatalogProduct } from '../../../bench/rules.bench';
import { checkPattern, checkRuleBook, validateRule } from '../../../src/rules/rule-validation';

const COLORS = ['navy', 'black', 'light grey', 'red', 'green'];
const CATEGORIES = ['t-shirt', 'dress', 'sneaker', 'bag', 'coat'];
/** A word that titles use for a colour (an alias the vocabulary should find). */
const COLOR_WORDS: Record<string, string> = { navy: 'midnight', black: 'jet', 'light grey': 'dove', red: 'scarlet', green: 'emerald' };
const CATEGORY_WORDS: Record<string, string> = { 't-shirt': 'tee', dress: 'frock', sneaker: 'trainers', bag: 'tote', coat: 'overcoat' };

/** 200 products: every colour with every category, 8 of each, titled with their aliases. */
function catalogue(): CatalogProduct[] {
  const out: CatalogProduct[] = [];
  let n = 0;
  for (const color of COLORS) {
    for (const category of CATEGORIES) {
      for (let k = 0; k < 8; k++) {
        out.push({
          id: `p-${String(n).padStart(4, '0')}`,
          title: `${k % 2 ? 'Acme' : 'Nordwind'} ${COLOR_WORDS[color]} cotton ${CATEGORY_WORDS[category]}`,
          price: 20 + (n % 80),
          attributes: {
            color: [color],
            category: [category],
            material: [k % 3 ? 'cotton' : 'denim'],
            pattern: [k % 4 ? 'solid' : 'stripes'],
            brand: [k % 2 ? 'Acme' : 'Nordwind'],
            gender: [k % 2 ? 'women' : 'men'],
            fit: ['regular'],
            occasion: ['casual'],
            season: ['summer'],
          },
        });
        n++;
      }
    }
  }
  return out;
}

describe('rules bench: vocabulary and rules', () => {
  const products = catalogue();
  const vocab = ruleVocabulary(products);
  const ctx = { knownAttributes: new Set(Object.keys(vocab.values)), values: vocab.values, maxPosition: 6400 };

  test('the vocabulary holds values by frequency, title words and the aliases titles use for one value', () => {
    expect(vocab.values.color).toHaveLength(5);
    expect(vocab.values.material).toEqual(['cotton', 'denim']);
    expect(vocab.words.map((w) => w.word)).toEqual(expect.arrayContaining(['midnight', 'tee', 'cotton']));
    expect(vocab.aliases).toEqual(expect.arrayContaining([{ attribute: 'color', value: 'navy', word: 'midnight', count: 40 }, { attribute: 'category', value: 't-shirt', word: 'tee', count: 40 }]));
    // Words of attribute values are never aliases (no replacement could lead back to them).
    expect(vocab.aliases.map((a) => a.word)).not.toContain('cotton');
    expect(vocab.productIds).toHaveLength(200);
  });

  test('the same seed gives the same rules; another seed others', () => {
    expect(generateRules(vocab, 50, 7)).toEqual(generateRules(vocab, 50, 7));
    expect(generateRules(vocab, 50, 8)).not.toEqual(generateRules(vocab, 50, 7));
  });

  test('every generated rule passes the rule book validation, and the book has no synonym or replacement cycle', () => {
    const generated = generateRules(vocab, 300, 1);
    expect(new Set(generated.map((g) => g.rule.id)).size).toBe(300);
    for (const { rule } of generated) {
      expect(() => validateRule(rule, ctx)).not.toThrow();
      const pinned = new Set((rule.actions.pins ?? []).map((p) => p.productId));
      for (const id of rule.actions.hide ?? []) expect(pinned.has(id)).toBe(false);
      for (const p of rule.actions.pins ?? []) expect(vocab.productIds).toContain(p.productId);
      if (rule.actions.redirect) expect(rule.actions.redirect.keepResults).toBe(true);
    }
    expect(() => checkRuleBook(generated.map((g) => g.rule))).not.toThrow();
  });

  test('every generated pattern is one recheck shows to run in linear time', async () => {
    const patterns = [...new Set(generateRules(vocab, 300, 1).flatMap((g) => (g.rule.conditions.query?.matches ? [g.rule.conditions.query.matches] : [])))];
    expect(patterns.length).toBeGreaterThan(5);
    for (const p of patterns) await expect(checkPattern(p, 'conditions.query.matches')).resolves.toBeUndefined();
  }, 60_000);

  test('the mix covers every kind of condition and the main actions', () => {
    const mix = ruleMix(generateRules(vocab, 1000, 1));
    for (const key of ['query:contains', 'query:is', 'query:attributes', 'query:matches', 'contexts', 'action:pins', 'action:hide', 'action:boosts', 'action:synonyms', 'action:replacements', 'action:filter']) {
      expect(mix[key]).toBeGreaterThan(0);
    }
    expect(mix['query:contains']).toBeGreaterThan(mix['query:matches']);
  });

  test('shopper texts are distinct and each names a category', () => {
    const texts = shopperTexts(vocab, 100, 3);
    expect(texts).toHaveLength(100);
    expect(new Set(texts).size).toBe(100);
    const categories = CATEGORIES.map((c) => c.replace('-', ' '));
    for (const t of texts) expect(categories.some((c) => t.endsWith(` ${c}`))).toBe(true);
  });
});

describe('rules bench: latency by fired action', () => {
  test('each query is summarised by its medians, then each group by the median over its queries', () => {
    const rows = actionBreakdown([
      { none: [2, 4, 3], rules: [3, 5, 4], actions: [] },
      { none: [2, 2], rules: [6, 6], actions: ['pins', 'boosts'] },
      { none: [4, 4], rules: [4, 5], actions: ['boosts'] },
      { none: [NaN], rules: [1], actions: ['pins'] },
    ]);
    expect(rows).toEqual([
      { group: 'no rule', queries: 1, p50NoneMs: 3, p50RulesMs: 4, ratio: 1.333 },
      { group: 'any rule', queries: 2, p50NoneMs: 3, p50RulesMs: 5.25, ratio: 1.75 },
      { group: 'any rule, no pin', queries: 1, p50NoneMs: 4, p50RulesMs: 4.5, ratio: 1.125 },
      { group: 'boosts', queries: 2, p50NoneMs: 3, p50RulesMs: 5.25, ratio: 1.75 },
      { group: 'pins', queries: 1, p50NoneMs: 2, p50RulesMs: 6, ratio: 3 },
    ]);
  });

  test('median ignores values that are not finite', () => {
    expect(median([3, NaN, 1, 2])).toBe(2);
    expect(median([1, 2])).toBe(1.5);
    expect(median([])).toBeNaN();
  });
});

describe('rules bench: the what-if rule book without pins', () => {
  test('pins go; a rule that only pinned is disabled, others keep their other actions', () => {
    const base = { description: '', enabled: true, conditions: {}, activeFrom: null, activeUntil: null };
    const onlyPins = { ...base, id: 'a', actions: { pins: [{ productId: 'p-1', position: 1 }] } };
    const pinsAndHide = { ...base, id: 'b', actions: { pins: [{ productId: 'p-1', position: 1 }], hide: ['p-2'] } };
    const boost = { ...base, id: 'c', actions: { boosts: [{ attribute: 'color', values: ['red'], weight: 0.5 }] } };
    const out = withoutPins([onlyPins, pinsAndHide, boost]);
    expect(out[0]).toEqual({ ...onlyPins, enabled: false });
    expect(out[1]).toEqual({ ...pinsAndHide, actions: { hide: ['p-2'] } });
    expect(out[2]).toBe(boost);
  });
});
