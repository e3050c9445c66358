import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const product: QueryResolvers['product'] = (_parent, { id }, { loaders }) => loaders.productById.load(id);
