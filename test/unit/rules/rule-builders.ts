/** Builders for rule tests. */
import type { RuleDefinition } from '../../../src/rules/rule';
import type { RuleSignal } from '../../../src/rules/rule-set';
import { attributeKey } from '../../../src/rules/rule-set';
import type { RuleValidationContext } from '../../../src/rules/rule-validation';

export function rule(overrides: Partial<RuleDefinition> & { id: string }): RuleDefinition {
  return { description: '', enabled: true, conditions: {}, actions: { hide: ['p-0001'] }, activeFrom: null, activeUntil: null, ...overrides };
}

export function signal(overrides: Partial<Omit<RuleSignal, 'attributes'>> & { attributes?: [string, string][] } = {}): RuleSignal {
  const attrs = new Set((overrides.attributes ?? []).map(([n, v]) => attributeKey(n, v)));
  return {
    text: overrides.text ?? null,
    mode: overrides.mode ?? 'TEXT',
    context: overrides.context ?? null,
    filterValues: overrides.filterValues ?? new Set(),
    attributes: () => attrs,
    now: overrides.now ?? Date.parse('2026-12-01T12:00:00Z'),
  };
}

export const CONTEXT: RuleValidationContext = {
  knownAttributes: new Set(['color', 'category', 'material', 'brand', 'size']),
  values: { color: ['red', 'navy', 'black', 'white', 'green'], category: ['shirt', 'dress', 'sneaker', 'bag'], material: ['denim', 'cotton', 'leather'], brand: ['Acme', 'Nordwind'] },
  maxPosition: 6400,
};
