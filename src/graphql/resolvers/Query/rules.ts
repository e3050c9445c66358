import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { ruleBook } from '../rules.service';

export const rules: QueryResolvers['rules'] = (_parent, { status }, { services }) => ruleBook(services).list(status);
