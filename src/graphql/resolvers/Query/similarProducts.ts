import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const similarProducts: QueryResolvers['similarProducts'] = (_parent, args, { services }) => services.search.similar(args);
