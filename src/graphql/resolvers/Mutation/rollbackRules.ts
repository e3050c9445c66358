import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { actor, ruleBook } from '../rules.service';

export const rollbackRules: MutationResolvers['rollbackRules'] = (_parent, { version, note }, { services, access }) =>
  ruleBook(services).rollback(version, actor(access), note ?? '');
