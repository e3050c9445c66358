/**
 * Maps evaluation runs to their GraphQL shape. Per-query results and exports are getters, so they
 * are computed only when a query selects them.
 */
import type {
  EvaluationComparison,
  EvaluationRun as GqlEvaluationRun,
  EvaluationRunSummary as GqlEvaluationRunSummary,
  EvaluationVariant,
  EvaluationVariantQueries,
  EvaluationExports,
} from '../graphql/__generated__/resolvers-types';
import type { EvaluationRun, EvaluationRunSummary, VariantResult } from './evaluation-run';
import { aggregatesCsv, comparisonsCsv, queriesCsv, toJsonLines, trecQrels, trecRun } from './exports';

function variant(v: VariantResult): EvaluationVariant {
  return {
    name: v.name,
    description: v.description ?? null,
    models: v.models.map((m) => ({ name: m.name, version: m.version })),
    metrics: v.aggregates,
    segments: v.segments.map((s) => ({ name: s.segment, queryCount: s.queries, metrics: s.aggregates })),
  };
}

export function toEvaluationRunSummary(run: EvaluationRunSummary): Omit<GqlEvaluationRunSummary, '__typename'> {
  return {
    id: run.id,
    createdAt: run.createdAt,
    set: run.set.name,
    queryCount: run.set.queries,
    scoredQueryCount: run.set.scoredQueries,
    dataHash: run.catalog.dataHash ?? run.set.dataHash,
    catalogSource: run.catalog.source,
    models: run.models.map((m) => ({ name: m.name, version: m.version })),
    settings: {
      metrics: run.settings.metrics,
      relevanceThreshold: run.settings.threshold,
      depth: run.settings.depth,
      bootstrapSamples: run.settings.bootstrapSamples,
      permutationSamples: run.settings.permutationSamples,
      confidenceLevel: run.settings.confidenceLevel,
      seed: run.settings.seed,
    },
    variants: run.variants.map(variant),
    comparisons: run.comparisons.map(
      (c): EvaluationComparison => ({
        baseline: c.baseline,
        variant: c.variant,
        metric: c.metric,
        baselineMean: c.baselineMean,
        variantMean: c.variantMean,
        meanDifference: c.meanDifference,
        relativeGain: c.relativeGain,
        differenceLower: c.differenceLower,
        differenceUpper: c.differenceUpper,
        permutationPValue: c.permutationP,
        tTestPValue: c.tTestP,
        t: c.t,
        degreesOfFreedom: c.degreesOfFreedom,
        queryCount: c.queries,
      }),
    ),
  };
}

export function toEvaluationRun(run: EvaluationRun): GqlEvaluationRun {
  const exports: EvaluationExports = {
    get csv() {
      return queriesCsv(run);
    },
    get aggregatesCsv() {
      return aggregatesCsv(run);
    },
    get comparisonsCsv() {
      return comparisonsCsv(run);
    },
    get jsonLines() {
      return toJsonLines(run);
    },
    get trecQrels() {
      return trecQrels(run);
    },
    get trecRuns() {
      return run.variants.map((v) => ({ variant: v.name, content: trecRun(run, v.name) }));
    },
  };
  return {
    ...toEvaluationRunSummary(run),
    skippedQueries: run.skippedQueries,
    get queryResults(): EvaluationVariantQueries[] {
      return run.variants.map((v) => ({
        variant: v.name,
        queries: run.queries
          .filter((q) => q.variant === v.name)
          .map((q) => ({
            queryId: q.queryId,
            retrieved: q.retrieved,
            relevant: q.relevant,
            metrics: run.settings.metrics.map((metric) => ({ metric, value: q.values[metric] })),
          })),
      }));
    },
    exports,
  };
}
