import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { ruleBook } from '../rules.service';

/** Summaries carry no rules; RuleRelease.rules reads them when asked (Rule.ts). */
export const ruleReleases: QueryResolvers['ruleReleases'] = (_parent, { first }, { services }) => ruleBook(services).releases(first ?? 20);
