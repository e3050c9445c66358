/**
 * Type resolvers of the rules schema: a RuleView (Rule) shows its draft's definition; lists the
 * domain leaves out are empty lists; releases read as summaries load their rules when asked.
 */
import type {
  FiredRuleResolvers,
  RuleActionsResolvers,
  RuleConditionsResolvers,
  RuleEffectResolvers,
  RuleFilterResolvers,
  RuleQueryConditionResolvers,
  RuleReleaseResolvers,
  RuleResolvers,
} from '../__generated__/resolvers-types';
import { ruleBook } from './rules.service';

export const Rule: RuleResolvers = {
  id: (v) => v.rule.id,
  description: (v) => v.rule.description,
  enabled: (v) => v.rule.enabled,
  conditions: (v) => v.rule.conditions,
  actions: (v) => v.rule.actions,
  activeFrom: (v) => v.rule.activeFrom,
  activeUntil: (v) => v.rule.activeUntil,
};

export const RuleConditions: RuleConditionsResolvers = {
  query: (c) => c.query ?? null,
  modes: (c) => c.modes ?? [],
  contexts: (c) => c.contexts ?? [],
  filters: (c) => c.filters ?? [],
};

export const RuleQueryCondition: RuleQueryConditionResolvers = {
  is: (q) => q.is ?? [],
  contains: (q) => q.contains ?? [],
  matches: (q) => q.matches ?? null,
  attributes: (q) => q.attributes ?? [],
};

export const RuleActions: RuleActionsResolvers = {
  synonyms: (a) => a.synonyms ?? [],
  replacements: (a) => a.replacements ?? [],
  ignore: (a) => a.ignore ?? [],
  pins: (a) => a.pins ?? [],
  hide: (a) => a.hide ?? [],
  boosts: (a) => a.boosts ?? [],
  filter: (a) => a.filter ?? null,
  redirect: (a) => a.redirect ?? null,
};

export const RuleFilter: RuleFilterResolvers = {
  attributes: (f) => (f.attributes ?? []).map((c) => ({ attribute: c.attribute, anyOf: c.anyOf ?? [], noneOf: c.noneOf ?? [], includePredicted: c.includePredicted ?? false })),
  price: (f) => f.price ?? null,
  inStock: (f) => f.inStock ?? null,
  and: (f) => f.and ?? [],
  or: (f) => f.or ?? [],
  not: (f) => f.not ?? null,
};

export const RuleRelease: RuleReleaseResolvers = {
  ruleCount: (r) => r.ruleCount ?? r.rules?.length ?? 0,
  rules: async (r, _args, { services }) => r.rules ?? (await ruleBook(services).releaseByVersion(r.version))?.rules ?? [],
};

export const FiredRule: FiredRuleResolvers = {};

export const RuleEffect: RuleEffectResolvers = {
  ruleId: (e) => e.rule.id,
};
