import type { RuleDefinition } from '../../../src/rules/rule';
import { attributeKey, filterInputValues, RuleSet } from '../../../src/rules/rule-set';
import { normaliseRuleText } from '../../../src/rules/rule-text';
import type { SearchMode } from '../../../src/search/search.types';
import { seededRandom } from '../../../src/evaluation/statistics';
import { CONTEXT, rule, signal } from './rule-builders';

const known = CONTEXT.knownAttributes;
const set = (rules: RuleDefinition[], onRuleError?: (id: string, e: unknown) => void) => new RuleSet(rules, 1, { knownAttributes: known, onRuleError });
const ids = (rules: RuleDefinition[]) => rules.map((r) => r.id);

describe('RuleSet.match', () => {
  it('fires on each kind of condition, and only when every given condition holds', () => {
    const rules = [
      rule({ id: 'is', conditions: { query: { is: ['red dress'] } } }),
      rule({ id: 'contains', conditions: { query: { contains: ['denim shirt', 'sneakers'] } } }),
      rule({ id: 'pattern', conditions: { query: { matches: '^cheap ' } } }),
      rule({ id: 'attrs', conditions: { query: { attributes: [{ name: 'color', value: 'red' }, { name: 'category', value: 'dress' }] } } }),
      rule({ id: 'mode', conditions: { modes: ['IMAGE'] } }),
      rule({ id: 'context', conditions: { contexts: ['sale'] } }),
      rule({ id: 'filters', conditions: { filters: [{ name: 'brand', value: 'Acme' }] } }),
      rule({ id: 'both', conditions: { query: { contains: ['dress'] }, contexts: ['sale'] } }),
      rule({ id: 'global' }),
    ];
    const s = set(rules);
    expect(ids(s.match(signal({ text: 'Red  DRESS!' })))).toEqual(['global', 'is']);
    expect(ids(s.match(signal({ text: 'red dress', attributes: [['color', 'red'], ['category', 'dress']] })))).toEqual(['attrs', 'global', 'is']);
    expect(ids(s.match(signal({ text: 'blue denim shirt' })))).toEqual(['contains', 'global']);
    expect(ids(s.match(signal({ text: 'denim shirts' })))).toEqual(['global']); // whole words only
    expect(ids(s.match(signal({ text: 'cheap sneakers' })))).toEqual(['contains', 'global', 'pattern']);
    expect(ids(s.match(signal({ text: null, mode: 'IMAGE' })))).toEqual(['global', 'mode']);
    expect(ids(s.match(signal({ text: 'summer dress', context: 'sale' })))).toEqual(['both', 'context', 'global']);
    expect(ids(s.match(signal({ text: 'x', filterValues: filterInputValues({ and: [{ attributes: [{ attribute: 'brand', anyOf: ['Acme'] }] }] }) })))).toEqual(['filters', 'global']);
  });

  it('respects the active window and skips disabled rules', () => {
    const s = set([
      rule({ id: 'future', activeFrom: '2026-12-24T00:00:00.000Z' }),
      rule({ id: 'past', activeUntil: '2026-11-01T00:00:00.000Z' }),
      rule({ id: 'now', activeFrom: '2026-11-01T00:00:00.000Z', activeUntil: '2026-12-24T00:00:00.000Z' }),
      rule({ id: 'off', enabled: false }),
    ]);
    expect(ids(s.match(signal({ text: 'x' })))).toEqual(['now']);
    expect(ids(s.match(signal({ text: 'x', now: Date.parse('2026-12-24T00:00:00Z') })))).toEqual(['future']);
    expect(s.size).toBe(3);
  });

  it('asks query understanding only when a candidate rule has an attribute condition', () => {
    const s = set([rule({ id: 'a', conditions: { query: { is: ['red dress'] } } })]);
    let asked = 0;
    s.match({ ...signal({ text: 'red dress' }), attributes: () => (asked++, new Set()) });
    expect(asked).toBe(0);
  });

  it('skips a rule it cannot compile and reports it, keeping the others', () => {
    const errors: string[] = [];
    const s = set([rule({ id: 'bad', actions: { filter: { attributes: [{ attribute: 'fabric', anyOf: ['x'] }] } } }), rule({ id: 'good' })], (id) => errors.push(id));
    expect(errors).toEqual(['bad']);
    expect(s.skipped.map((x) => x.id)).toEqual(['bad']);
    expect(ids(s.match(signal({ text: 'x' })))).toEqual(['good']);
  });

  it('fires exactly the rules a check of every rule fires, over 1,000 random rules and 300 random searches', () => {
    const rand = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const words = ['red', 'navy', 'dress', 'shirt', 'denim', 'cheap', 'summer', 'sale', 'leather', 'bag', 'black'];
    const modes: SearchMode[] = ['TEXT', 'IMAGE', 'COMPOSED', 'TEXT_AND_IMAGE', 'SIMILAR'];
    const phrase = () => Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(words)).join(' ');
    const rules: RuleDefinition[] = Array.from({ length: 1000 }, (_, i) => {
      const query: NonNullable<RuleDefinition['conditions']['query']> = {};
      if (rand() < 0.3) query.is = [phrase(), phrase()];
      if (rand() < 0.4) query.contains = [phrase()];
      if (rand() < 0.1) query.matches = `^${pick(words)}`;
      if (rand() < 0.2) query.attributes = [{ name: 'color', value: pick(['red', 'navy', 'black']) }];
      return rule({
        id: `r${String(i).padStart(4, '0')}`,
        conditions: {
          query: Object.keys(query).length ? query : null,
          modes: rand() < 0.2 ? [pick(modes)] : undefined,
          contexts: rand() < 0.2 ? [pick(['home', 'sale'])] : undefined,
          filters: rand() < 0.1 ? [{ name: 'brand', value: 'Acme' }] : undefined,
        },
      });
    });
    const s = set(rules);
    let fired = 0;
    for (let q = 0; q < 300; q++) {
      const text = rand() < 0.1 ? null : Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(words)).join(' ');
      const colour = pick(['red', 'navy', 'black', null]);
      const sig = signal({
        text,
        mode: pick(modes),
        context: pick(['home', 'sale', null]),
        filterValues: new Set(rand() < 0.5 ? [attributeKey('brand', 'Acme')] : []),
        attributes: colour && text?.includes(colour) ? [['color', colour]] : [],
      });
      const expected = rules.filter((r) => bruteForce(r, sig)).map((r) => r.id);
      const got = ids(s.match(sig));
      expect(got).toEqual(expected);
      fired += got.length;
    }
    expect(fired).toBeGreaterThan(300); // the comparison is not vacuous
  });
});

/** The rule's conditions checked one by one, without the index. */
function bruteForce(r: RuleDefinition, s: ReturnType<typeof signal>): boolean {
  const c = r.conditions;
  if (c.modes?.length && !c.modes.includes(s.mode)) return false;
  if (c.contexts?.length && (s.context === null || !c.contexts.includes(s.context))) return false;
  if (c.filters?.length && !c.filters.every((f) => s.filterValues.has(attributeKey(f.name, f.value)))) return false;
  const q = c.query;
  if (!q) return true;
  if (s.text === null) return false;
  const text = normaliseRuleText(s.text);
  const padded = ` ${text} `;
  if (q.is?.length && !q.is.includes(text)) return false;
  if (q.contains?.length && !q.contains.some((p) => padded.includes(` ${p} `))) return false;
  if (q.matches && !new RegExp(q.matches, 'u').test(text)) return false;
  if (q.attributes?.length && !q.attributes.every((a) => s.attributes().has(attributeKey(a.name, a.value)))) return false;
  return true;
}

describe('RuleSet.effects', () => {
  it('rewrites the text: replacements, then ignored terms, then synonyms appended once', () => {
    const s = set([
      rule({ id: 'a', actions: { replacements: [{ term: 'tee', with: 't shirt' }] } }),
      rule({ id: 'b', actions: { ignore: ['cheap'] } }),
      rule({ id: 'c', actions: { synonyms: [{ terms: ['t shirt', 'top'], oneWay: false }, { terms: ['jeans', 'denim trousers'], oneWay: true }] } }),
    ]);
    const e = s.effects(signal({ text: 'Cheap red Tee' }))!;
    expect(e.text).toBe('red t shirt top');
    expect(e.actions.get('a')).toEqual(['replacements']);
    expect(e.actions.get('b')).toEqual(['ignore']);
    expect(e.actions.get('c')).toEqual(['synonyms']);
    // one-way: "denim trousers" does not bring in "jeans"
    expect(s.effects(signal({ text: 'denim trousers' }))?.text ?? null).toBeNull();
    expect(s.effects(signal({ text: 'blue jeans' }))!.text).toBe('blue jeans denim trousers');
  });

  it('never ignores every word of the text', () => {
    const e = set([rule({ id: 'a', actions: { ignore: ['sale'], hide: ['p-1'] } })]).effects(signal({ text: 'Sale!' }))!;
    expect(e.text).toBeNull();
    expect(e.actions.get('a')).toEqual(['hide']);
  });

  it('combines filters, hidden products, the first redirect, boosts and pins (an earlier rule keeps its position)', () => {
    const s = set([
      rule({ id: 'a', actions: { filter: { inStock: true }, pins: [{ productId: 'p-1', position: 1 }], redirect: { url: 'https://shop.example/sale', keepResults: true } } }),
      rule({ id: 'b', actions: { filter: { price: { max: 50 } }, hide: ['p-3'], pins: [{ productId: 'p-2', position: 1 }, { productId: 'p-3', position: 4 }], redirect: { url: 'https://shop.example/other', keepResults: false } } }),
      rule({ id: 'c', actions: { boosts: [{ attribute: 'brand', values: ['Acme'], weight: 0.5 }] } }),
    ]);
    const e = s.effects(signal({ text: 'x' }))!;
    expect(e.fired.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(e.filter?.must).toHaveLength(2);
    expect(e.hide).toEqual(['p-3']);
    expect(e.redirect).toMatchObject({ url: 'https://shop.example/sale', rule: { id: 'a' } });
    expect(e.pins.map((p) => [p.productId, p.position, p.requestedPosition])).toEqual([
      ['p-1', 1, null],
      ['p-2', 2, 1],
    ]);
    expect(e.boosts).toHaveLength(1);
    expect(e.key).toMatch(/^a#\w+,b#\w+,c#\w+$/);
  });

  it('gives another key when a fired rule changes, and null when nothing fires', () => {
    const one = set([rule({ id: 'a', actions: { hide: ['p-1'] } })]).effects(signal({ text: 'x' }))!;
    const two = set([rule({ id: 'a', actions: { hide: ['p-2'] } })]).effects(signal({ text: 'x' }))!;
    expect(one.key).not.toBe(two.key);
    expect(set([rule({ id: 'a', conditions: { query: { is: ['y'] } } })]).effects(signal({ text: 'x' }))).toBeNull();
  });

  it('previews: with() replaces a rule of the same id, without() removes it, only() holds one', () => {
    const base = set([rule({ id: 'a', conditions: { query: { is: ['x'] } } }), rule({ id: 'b', conditions: { query: { is: ['y'] } } })]);
    expect(ids(base.with(rule({ id: 'a', conditions: { query: { is: ['y'] } } })).match(signal({ text: 'y' })))).toEqual(['a', 'b']);
    expect(ids(base.without('b').match(signal({ text: 'y' })))).toEqual([]);
    expect(base.only(rule({ id: 'z' })).size).toBe(1);
  });
});
