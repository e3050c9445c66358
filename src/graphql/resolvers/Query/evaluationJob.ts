import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { evaluationService } from '../../../evaluation/evaluation.service';

export const evaluationJob: QueryResolvers['evaluationJob'] = (_parent, { id }, { services }) => evaluationService(services.evaluation).job(id);
