import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { toEvaluationRun } from '../../../evaluation/evaluation-run.mapper';
import { evaluationService } from '../../../evaluation/evaluation.service';

export const evaluationRun: QueryResolvers['evaluationRun'] = async (_parent, { id }, { services }) => {
  const run = await evaluationService(services.evaluation).find(id);
  return run ? toEvaluationRun(run) : null;
};
