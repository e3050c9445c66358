import type { SearchConnectionResolvers } from '../__generated__/resolvers-types';

export const SearchConnection: SearchConnectionResolvers = {
  edges: (result) => result.hits,
  rules: (result) => result.rules ?? [],
  rewrittenText: (result) => result.rules?.[0]?.rewrittenText ?? null,
  redirect: (result) => result.rules?.find((r) => r.redirect)?.redirect ?? null,
  categoryPrediction: (result) => result.categoryPrediction ?? null,
};
