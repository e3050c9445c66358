import type { SearchEdgeResolvers } from '../__generated__/resolvers-types';

export const SearchEdge: SearchEdgeResolvers = {
  node: (hit) => hit.product,
  explanation: (hit) => hit,
};
