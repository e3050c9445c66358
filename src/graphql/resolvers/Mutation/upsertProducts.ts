import type { MutationResolvers } from '../../__generated__/resolvers-types';

export const upsertProducts: MutationResolvers['upsertProducts'] = (_parent, { products }, { services }) => services.writer.upsert(products);
