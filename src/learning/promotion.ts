/**
 * Whether a candidate query model may replace the current one, from an evaluation run on held-out
 * recorded sessions (baseline: the current model). The candidate is refused when it is significantly
 * worse (paired permutation test, p < alpha) on any guarded metric; it is promoted otherwise, the
 * gains being reported either way. `force` promotes a refused candidate and says so.
 */
import type { EvaluationRun } from '../evaluation/evaluation-run';

export const GUARDED_METRICS = ['mrr', 'ndcg@10'] as const;

export interface PromotionDecision {
  promote: boolean;
  forced: boolean;
  reasons: string[];
  comparisons: { metric: string; current: number; candidate: number; difference: number; p: number }[];
}

export function decidePromotion(run: EvaluationRun, options: { baseline: string; candidate: string; alpha?: number; force?: boolean; metrics?: readonly string[] }): PromotionDecision {
  const alpha = options.alpha ?? 0.05;
  const metrics = options.metrics ?? GUARDED_METRICS;
  const comparisons = run.comparisons
    .filter((c) => c.baseline === options.baseline && c.variant === options.candidate && metrics.includes(c.metric))
    .map((c) => ({ metric: c.metric, current: c.baselineMean, candidate: c.variantMean, difference: c.meanDifference, p: c.permutationP }));
  const missing = metrics.filter((m) => !comparisons.some((c) => c.metric === m));
  if (missing.length) throw new Error(`the evaluation run has no ${missing.join(', ')} comparison of ${options.candidate} against ${options.baseline}`);
  const worse = comparisons.filter((c) => c.difference < 0 && c.p < alpha);
  const reasons = worse.map((c) => `${c.metric} ${c.candidate.toFixed(4)} < ${c.current.toFixed(4)} (p = ${c.p.toFixed(4)} < ${alpha})`);
  const force = options.force === true;
  return { promote: worse.length === 0 || force, forced: worse.length > 0 && force, reasons, comparisons };
}
