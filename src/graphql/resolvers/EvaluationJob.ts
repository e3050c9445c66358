/** An evaluation job's recorded run, read when asked for (the job holds its id only). */
import type { EvaluationJobResolvers } from '../__generated__/resolvers-types';
import { toEvaluationRun } from '../../evaluation/evaluation-run.mapper';
import { evaluationService } from '../../evaluation/evaluation.service';

export const EvaluationJob: EvaluationJobResolvers = {
  run: async (job, _args, { services }) => {
    if (!job.runId) return null;
    const run = await evaluationService(services.evaluation).find(job.runId);
    return run ? toEvaluationRun(run) : null;
  },
};
