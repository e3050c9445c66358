import type { MutationResolvers } from '../../__generated__/resolvers-types';
import { evaluationService } from '../../../evaluation/evaluation.service';

export const evaluate: MutationResolvers['evaluate'] = (_parent, { input }, { services }) =>
  evaluationService(services.evaluation).submit({
    set: input.set,
    qrels: input.qrels,
    queries: input.queries,
    variants: input.variants,
    baseline: input.baseline,
    metrics: input.metrics,
    threshold: input.relevanceThreshold,
    depth: input.depth,
    bootstrapSamples: input.bootstrapSamples,
    permutationSamples: input.permutationSamples,
    confidenceLevel: input.confidenceLevel,
    seed: input.seed,
    limitQueries: input.limitQueries,
  });
