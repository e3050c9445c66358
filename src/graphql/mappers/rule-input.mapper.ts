/**
 * GraphQL's RuleInput to the rule book's RuleDefinition: absent and null fields become the domain's
 * defaults. Checking (known attributes, patterns, conflicts) is the rule book's, not this mapper's.
 */
import type { RuleInput } from '../__generated__/resolvers-types';
import type { RuleAttributeValue, RuleDefinition } from '../../rules/rule';
import type { FilterInput } from '../../search/search.types';

const list = <T>(xs: readonly T[] | null | undefined): T[] => (xs ? [...xs] : []);
const values = (xs: readonly { name: string; value: string }[] | null | undefined): RuleAttributeValue[] => list(xs).map((x) => ({ name: x.name, value: x.value }));

export function toRuleDefinition(input: RuleInput): RuleDefinition {
  const c = input.conditions;
  const a = input.actions;
  const q = c?.query;
  return {
    id: input.id,
    description: input.description ?? '',
    enabled: input.enabled ?? true,
    conditions: {
      query: q ? { is: list(q.is), contains: list(q.contains), matches: q.matches ?? null, attributes: values(q.attributes) } : null,
      modes: list(c?.modes),
      contexts: list(c?.contexts),
      filters: values(c?.filters),
    },
    actions: {
      synonyms: list(a.synonyms).map((s) => ({ terms: [...s.terms], oneWay: s.oneWay ?? false })),
      replacements: list(a.replacements).map((r) => ({ term: r.term, with: r.with })),
      ignore: list(a.ignore),
      pins: list(a.pins).map((p) => ({ productId: p.productId, position: p.position })),
      hide: list(a.hide),
      boosts: list(a.boosts).map((b) => ({ attribute: b.attribute, values: [...b.values], weight: b.weight })),
      filter: (a.filter as FilterInput | null | undefined) ?? null,
      redirect: a.redirect ? { url: a.redirect.url, keepResults: a.redirect.keepResults ?? false } : null,
    },
    activeFrom: input.activeFrom ?? null,
    activeUntil: input.activeUntil ?? null,
  };
}
