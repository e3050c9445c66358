import type { QueryResolvers } from '../../__generated__/resolvers-types';
import type { RuleRelease } from '../../../rules/rule';
import { ruleBook } from '../rules.service';

/** Summaries carry no rules; RuleRelease.rules reads them when asked (RuleRelease.ts). */
export const ruleReleases: QueryResolvers['ruleReleases'] = async (_parent, { first }, { services }) =>
  (await ruleBook(services).releases(first ?? 20)).map((s) => ({ ...s, rules: undefined as unknown as RuleRelease['rules'] }));
