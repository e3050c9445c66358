import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const predictCategory: QueryResolvers['predictCategory'] = (_parent, { image }, { services }) => services.search.predictCategory(image);
