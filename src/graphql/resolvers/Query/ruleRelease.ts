import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { ruleBook } from '../rules.service';

export const ruleRelease: QueryResolvers['ruleRelease'] = (_parent, { version }, { services }) => ruleBook(services).releaseByVersion(version);
