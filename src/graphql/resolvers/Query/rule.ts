import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { ruleBook } from '../rules.service';

export const rule: QueryResolvers['rule'] = (_parent, { id }, { services }) => ruleBook(services).get(id);
