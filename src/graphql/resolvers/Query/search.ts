import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const search: QueryResolvers['search'] = (_parent, { input }, { services }) => services.search.search(input);
