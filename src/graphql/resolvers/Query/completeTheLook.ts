import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { outfitService } from '../../../outfits/outfit.service';

export const completeTheLook: QueryResolvers['completeTheLook'] = (_parent, { productId, first }, { services }) =>
  outfitService(services.outfits).completeTheLook(productId, first ?? undefined);
