import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { evaluationService } from '../../../evaluation/evaluation.service';

export const cancelEvaluation: MutationResolvers['cancelEvaluation'] = (_parent, { id }, { services }) => evaluationService(services.evaluation).cancel(id);
