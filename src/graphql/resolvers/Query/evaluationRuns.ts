import type { QueryResolvers } from '../../__generated__/resolvers-types';
import { toEvaluationRunSummary } from '../../../evaluation/evaluation-run.mapper';
import { evaluationService } from '../../../evaluation/evaluation.service';

export const evaluationRuns: QueryResolvers['evaluationRuns'] = async (_parent, { limit, offset }, { services }) => {
  const page = await evaluationService(services.evaluation).list({ limit, offset });
  return { items: page.items.map(toEvaluationRunSummary), totalCount: page.total };
};
