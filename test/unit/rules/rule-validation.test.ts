import { InvalidInputError } from '../../../src/domain/errors';
import { checkPattern, checkRuleBook, validateRule } from '../../../src/rules/rule-validation';
import { CONTEXT, rule } from './rule-builders';

function reason(fn: () => unknown): { reason: unknown; field: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    const err = e as InvalidInputError;
    return { reason: err.details.reason, field: err.details.field, message: err.message };
  }
  throw new Error('expected an InvalidInputError');
}

describe('validateRule', () => {
  it('returns the rule in canonical form: texts folded, lists de-duplicated, pins by position, defaults', () => {
    const out = validateRule(
      rule({
        id: ' summer-sale ',
        description: '  Summer  ',
        conditions: { query: { is: ['Blue  Jeans!', 'blue jeans'], contains: ['Été'] }, modes: ['TEXT', 'TEXT'], contexts: [' home '] },
        actions: { pins: [{ productId: 'p-2', position: 3 }, { productId: ' p-1 ', position: 1 }], hide: ['p-9', 'p-9'], synonyms: [{ terms: ['Jeans', 'denim trousers'], oneWay: false }] },
        activeFrom: '2026-12-01T00:00:00+01:00',
      }),
      CONTEXT,
    );
    expect(out.id).toBe('summer-sale');
    expect(out.description).toBe('Summer');
    expect(out.conditions).toEqual({ query: { is: ['blue jeans'], contains: ['ete'] }, modes: ['TEXT'], contexts: ['home'] });
    expect(out.actions.pins).toEqual([
      { productId: 'p-1', position: 1 },
      { productId: 'p-2', position: 3 },
    ]);
    expect(out.actions.hide).toEqual(['p-9']);
    expect(out.actions.synonyms).toEqual([{ terms: ['jeans', 'denim trousers'], oneWay: false }]);
    expect(out.activeFrom).toBe('2026-11-30T23:00:00.000Z');
  });

  it.each([
    ['no action', rule({ id: 'a', actions: {} }), 'EMPTY_RULE', 'rule.actions'],
    ['a bad id', rule({ id: 'a b' }), 'BAD_ID', 'rule.id'],
    ['an empty condition text', rule({ id: 'a', conditions: { query: { is: ['!!'] } } }), 'BAD_TEXT', 'rule.conditions.query.is[0]'],
    ['an unknown attribute in a condition', rule({ id: 'a', conditions: { query: { attributes: [{ name: 'fabric', value: 'x' }] } } }), 'UNKNOWN_ATTRIBUTE', 'rule.conditions.query.attributes[0].name'],
    ['an unknown value in a boost', rule({ id: 'a', actions: { boosts: [{ attribute: 'color', values: ['mauve'], weight: 0.5 }] } }), 'UNKNOWN_VALUE', 'rule.actions.boosts[0].values[0]'],
    ['a zero boost weight', rule({ id: 'a', actions: { boosts: [{ attribute: 'color', values: ['red'], weight: 0 }] } }), 'BAD_WEIGHT', 'rule.actions.boosts[0].weight'],
    ['a boost weight above 1', rule({ id: 'a', actions: { boosts: [{ attribute: 'color', values: ['red'], weight: 2 }] } }), 'BAD_WEIGHT', 'rule.actions.boosts[0].weight'],
    ['two pins at one position', rule({ id: 'a', actions: { pins: [{ productId: 'x', position: 1 }, { productId: 'y', position: 1 }] } }), 'CONFLICTING_PINS', 'rule.actions.pins[1]'],
    ['a product pinned twice', rule({ id: 'a', actions: { pins: [{ productId: 'x', position: 1 }, { productId: 'x', position: 2 }] } }), 'CONFLICTING_PINS', 'rule.actions.pins[1]'],
    ['a product pinned and hidden', rule({ id: 'a', actions: { pins: [{ productId: 'x', position: 1 }], hide: ['x'] } }), 'CONFLICTING_PINS', 'rule.actions.hide'],
    ['a pin at position 0', rule({ id: 'a', actions: { pins: [{ productId: 'x', position: 0 }] } }), 'BAD_POSITION', 'rule.actions.pins[0].position'],
    ['a pin beyond the deepest position', rule({ id: 'a', actions: { pins: [{ productId: 'x', position: 6401 }] } }), 'BAD_POSITION', 'rule.actions.pins[0].position'],
    ['a term that is its own synonym', rule({ id: 'a', actions: { synonyms: [{ terms: ['Jeans', 'jeans!'], oneWay: false }] } }), 'CIRCULAR_SYNONYMS', 'rule.actions.synonyms[0].terms'],
    ['a synonym of one term', rule({ id: 'a', actions: { synonyms: [{ terms: ['jeans'], oneWay: false }] } }), 'BAD_TEXT', 'rule.actions.synonyms[0].terms'],
    ['a replacement by itself', rule({ id: 'a', actions: { replacements: [{ term: 'Tee', with: 'tee' }] } }), 'CIRCULAR_SYNONYMS', 'rule.actions.replacements[0]'],
    ['a filter on an unknown attribute', rule({ id: 'a', actions: { filter: { attributes: [{ attribute: 'fabric', anyOf: ['x'] }] } } }), 'BAD_FILTER', 'rule.actions.filter'],
    ['a redirect that is not http(s)', rule({ id: 'a', actions: { redirect: { url: 'javascript:alert(1)', keepResults: false } } }), 'BAD_URL', 'rule.actions.redirect.url'],
    ['a window that ends before it starts', rule({ id: 'a', activeFrom: '2026-12-02T00:00:00Z', activeUntil: '2026-12-01T00:00:00Z' }), 'BAD_WINDOW', 'rule.activeUntil'],
    ['an unparsable date', rule({ id: 'a', activeFrom: 'tomorrow' }), 'BAD_WINDOW', 'rule.activeFrom'],
    ['a bad context', rule({ id: 'a', conditions: { contexts: ['x'.repeat(65)] } }), 'BAD_TEXT', 'rule.conditions.contexts[0]'],
    ['too many hidden products', rule({ id: 'a', actions: { hide: Array.from({ length: 301 }, (_, i) => `p${i}`) } }), 'TOO_MANY', 'rule.actions.hide'],
  ])('refuses %s with a reason and the field to fix', (_what, input, expectedReason, expectedField) => {
    const r = reason(() => validateRule(input, CONTEXT));
    expect(r.reason).toBe(expectedReason);
    expect(r.field).toBe(expectedField);
    expect(r.message.length).toBeGreaterThan(20);
  });

  it('accepts free values for attributes the catalogue lists no values of', () => {
    expect(validateRule(rule({ id: 'a', conditions: { filters: [{ name: 'size', value: 'XXL' }] } }), CONTEXT).conditions.filters).toEqual([{ name: 'size', value: 'XXL' }]);
  });
});

describe('checkPattern', () => {
  it.each(['^red (dress|skirt)$', '^sale.*shoes', '\\bnavy\\b', 'jeans?'])('accepts the linear pattern %s', async (p) => {
    await expect(checkPattern(p, 'conditions.query.matches')).resolves.toBeUndefined();
  });

  it.each(['(a|aa)*b', '(x+x+)+y', '^(\\w+\\s?)*$'])('refuses the backtracking pattern %s with SLOW_PATTERN', async (p) => {
    await expect(checkPattern(p, 'conditions.query.matches')).rejects.toMatchObject({ details: { reason: 'SLOW_PATTERN' }, message: expect.stringMatching(/time/) });
  });

  it('refuses a pattern that does not compile, and an overlong one, before any analysis', () => {
    expect(reason(() => validateRule(rule({ id: 'a', conditions: { query: { matches: '(' } } }), CONTEXT)).reason).toBe('BAD_TEXT');
    expect(reason(() => validateRule(rule({ id: 'a', conditions: { query: { matches: 'a'.repeat(201) } } }), CONTEXT)).reason).toBe('TOO_MANY');
  });
});

describe('checkRuleBook', () => {
  it('refuses a cycle of one-way synonyms across rules, naming the rules', () => {
    const rules = [
      rule({ id: 'r1', actions: { synonyms: [{ terms: ['tee', 't shirt'], oneWay: true }] } }),
      rule({ id: 'r2', actions: { synonyms: [{ terms: ['t shirt', 'top'], oneWay: true }] } }),
      rule({ id: 'r3', actions: { synonyms: [{ terms: ['top', 'tee'], oneWay: true }] } }),
    ];
    const r = reason(() => checkRuleBook(rules));
    expect(r.reason).toBe('CIRCULAR_SYNONYMS');
    expect(r.message).toContain('tee => t shirt => top => tee');
    expect(r.message).toMatch(/r1.*r2.*r3|two-way/);
  });

  it('refuses replacements that would swap words back and forth', () => {
    const rules = [rule({ id: 'r1', actions: { replacements: [{ term: 'pants', with: 'trousers' }] } }), rule({ id: 'r2', actions: { replacements: [{ term: 'trousers', with: 'pants' }] } })];
    expect(reason(() => checkRuleBook(rules)).reason).toBe('CIRCULAR_SYNONYMS');
  });

  it('accepts chains without a cycle and two-way synonyms', () => {
    const rules = [
      rule({ id: 'r1', actions: { synonyms: [{ terms: ['tee', 't shirt'], oneWay: true }] } }),
      rule({ id: 'r2', actions: { synonyms: [{ terms: ['t shirt', 'top'], oneWay: true }, { terms: ['top', 'tee'], oneWay: false }] } }),
      rule({ id: 'r3', actions: { replacements: [{ term: 'pants', with: 'trousers' }, { term: 'slacks', with: 'pants' }] } }),
    ];
    expect(() => checkRuleBook(rules)).not.toThrow();
  });
});
