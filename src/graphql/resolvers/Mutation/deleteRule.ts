import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { actor, ruleBook } from '../rules.service';

export const deleteRule: MutationResolvers['deleteRule'] = (_parent, { id, expectedRevision }, { services, access }) =>
  ruleBook(services).delete(id, actor(access), expectedRevision);
