/**
 * The evaluation model: judgement sets, variants (rankers) and the recorded result of a run.
 * A run is plain JSON-compatible data so that it can be stored, exported and mapped to GraphQL.
 */
import type { ModelVersion } from '../encoders/encoder';
import type { Qrels, ScoredDoc } from './metrics';

/** One query of a judgement set; which fields are present depends on the set's kind. */
export interface EvalQuery {
  id: string;
  text?: string;
  /** Query image as a file path (realshot, image sets). */
  imagePath?: string;
  /** Reference product of a composed query (its stored image vector is the image part). */
  referenceId?: string;
  /** Modifying text of a composed query. */
  modifier?: string;
  /** Products that must not be retrieved for this query (e.g. the reference product). */
  excludeIds?: string[];
}

export interface QuerySegment {
  /** e.g. "colour+category". */
  name: string;
  queryIds: string[];
}

export interface JudgementSet {
  name: string;
  /** Query ids in a stable order; the qrels hold the judgements of each. */
  queries: EvalQuery[];
  qrels: Qrels;
  /** Hash of the catalogue data the judgements refer to (e.g. "sha256:..."), when known. */
  dataHash?: string;
  /** The catalogue split the judgements refer to ("test", "validation"), when known. */
  split?: string;
  /** Named query subsets reported separately (metrics restricted to these queries). */
  segments?: QuerySegment[];
}

/** Ranks the gallery for one query; returns at most `depth` documents, best first, with scores. */
export type Ranker = (query: EvalQuery, depth: number) => Promise<ScoredDoc[]>;

export interface Variant {
  name: string;
  description?: string;
  models: ModelVersion[];
  /** Optional batch work before ranking (e.g. encoding every query text in batches). */
  prepare?: (queries: EvalQuery[]) => Promise<void>;
  rank: Ranker;
}

export interface MetricAggregate {
  metric: string;
  mean: number;
  lower: number;
  upper: number;
  level: number;
}

export interface SegmentResult {
  segment: string;
  queries: number;
  aggregates: MetricAggregate[];
}

export interface VariantResult {
  name: string;
  description?: string;
  models: ModelVersion[];
  aggregates: MetricAggregate[];
  segments: SegmentResult[];
}

export interface Comparison {
  baseline: string;
  variant: string;
  metric: string;
  baselineMean: number;
  variantMean: number;
  meanDifference: number;
  /** (variant - baseline) / baseline; null when the baseline mean is 0. */
  relativeGain: number | null;
  differenceLower: number;
  differenceUpper: number;
  permutationP: number;
  tTestP: number;
  /** t statistic; null when the differences have no variance but a non-zero mean. */
  t: number | null;
  degreesOfFreedom: number;
  queries: number;
}

export interface QueryRow {
  variant: string;
  queryId: string;
  retrieved: number;
  relevant: number;
  values: Record<string, number>;
}

export interface EvaluationSettings {
  metrics: string[];
  threshold: number;
  depth: number;
  bootstrapSamples: number;
  permutationSamples: number;
  confidenceLevel: number;
  seed: number;
}

export interface EvaluationRun {
  id: string;
  createdAt: string;
  set: { name: string; queries: number; scoredQueries: number; dataHash: string | null };
  settings: EvaluationSettings;
  /** Every model version any variant used. */
  models: ModelVersion[];
  /**
   * The catalogue the run was judged on: its source (a folder), data hash and split ("test" for the
   * reported numbers, "validation" for choices; null when unknown, absent on runs recorded before
   * the split was).
   */
  catalog: { source: string | null; dataHash: string | null; split?: string | null };
  variants: VariantResult[];
  comparisons: Comparison[];
  /** Scored queries without relevant documents at the threshold (left out of every aggregate). */
  skippedQueries: string[];
  queries: QueryRow[];
  /** variant -> query id -> ranked documents, in trec_eval order. */
  rankings: Record<string, Record<string, ScoredDoc[]>>;
  /** The judgements the run was scored against: query id -> document id -> grade. */
  qrels: Record<string, Record<string, number>>;
}

export type EvaluationRunSummary = Omit<EvaluationRun, 'queries' | 'rankings' | 'qrels'>;

export function summarize(run: EvaluationRun): EvaluationRunSummary {
  const { queries: _q, rankings: _r, qrels: _j, ...summary } = run;
  return summary;
}

export function qrelsToRecord(qrels: Qrels): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [qid, j] of qrels) out[qid] = Object.fromEntries(j);
  return out;
}

export function qrelsFromRecord(record: Record<string, Record<string, number>>): Map<string, Map<string, number>> {
  return new Map(Object.entries(record).map(([qid, j]) => [qid, new Map(Object.entries(j))]));
}
