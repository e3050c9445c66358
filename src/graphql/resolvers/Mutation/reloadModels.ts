import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { UnavailableError } from '../../../domain/errors';

export const reloadModels: MutationResolvers['reloadModels'] = (_parent, _args, { services }) => {
  if (!services.models) throw new UnavailableError('this server cannot reload its models (MODEL_ADAPTER is not the manifest)');
  return services.models.reload();
};
