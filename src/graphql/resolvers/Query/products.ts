import { InvalidInputError } from '../../../domain/errors';
import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const MAX_PRODUCT_IDS = 100;

export const products: QueryResolvers['products'] = (_parent, { ids }, { loaders }) => {
  if (ids.length > MAX_PRODUCT_IDS) throw new InvalidInputError(`ids has ${ids.length} entries; ask for at most ${MAX_PRODUCT_IDS}`);
  return loaders.productById.loadMany(ids).then((rows) => rows.map((r) => (r instanceof Error ? null : r)));
};
