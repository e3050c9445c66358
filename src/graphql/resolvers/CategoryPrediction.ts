import type { CategoryPredictionResolvers } from '../__generated__/resolvers-types';

/** `use` is set on a search's prediction (what the search did with it); a bare prediction has none. */
export const CategoryPrediction: CategoryPredictionResolvers = {
  use: (prediction) => (prediction as { use?: 'FILTER' | 'BOOST' }).use ?? null,
};
