import type { MutationResolvers } from '../../__generated__/resolvers-types';

export const deleteProducts: MutationResolvers['deleteProducts'] = async (_parent, { ids }, { services }) => ({
  deleted: await services.writer.delete(ids),
});
