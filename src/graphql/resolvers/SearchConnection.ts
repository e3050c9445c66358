import type { SearchConnectionResolvers } from '../__generated__/resolvers-types';

export const SearchConnection: SearchConnectionResolvers = {
  edges: (result) => result.hits,
};
