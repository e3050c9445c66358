import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { toRuleDefinition } from '../../mappers/rule-input.mapper';
import { actor, ruleBook } from '../rules.service';

export const upsertRule: MutationResolvers['upsertRule'] = (_parent, { rule, expectedRevision }, { services, access }) =>
  ruleBook(services).upsert(toRuleDefinition(rule), actor(access), expectedRevision);
