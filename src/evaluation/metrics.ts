/**
 * Ranking metrics with trec_eval's definitions. Pure functions over one query's ranked list and
 * its judgements; aggregation over queries lives in `evaluateRun`.
 *
 * Conventions (shared by every metric, and by the independent check in
 * test/fixtures/eval/independent_metrics.py):
 * - A ranked list is an array of document ids, best first. Where a run carries scores (a TREC run
 *   file), the list is ordered as trec_eval orders it: score descending, ties broken by document id
 *   descending (see `orderByScore`). Repeated ids keep their first occurrence only.
 * - Judgements are integer grades; unjudged documents have grade 0. A document is *relevant* for
 *   the binary metrics (MRR, MAP, P@k, R@k, hit@k) when its grade >= `threshold` (default 1).
 * - MRR: 1 / rank of the first relevant document; 0 when none is retrieved.
 * - MAP: sum of precision at the rank of each retrieved relevant document, divided by the number of
 *   relevant judged documents (relevant documents never retrieved contribute zero).
 * - NDCG@k: DCG@k = sum over ranks i <= k of (2^grade - 1) / log2(i + 1); the ideal DCG@k ranks
 *   every judged document by grade. Graded: the threshold does not apply.
 * - P@k: relevant documents in the top k divided by k (a short list is not rescaled, as trec_eval).
 * - R@k: relevant documents in the top k divided by the number of relevant judged documents.
 * - hit@k: 1 when a relevant document is in the top k, else 0.
 * - A query without any relevant judged document cannot be scored: `scoreQuery` returns null and
 *   aggregates leave it out (it is reported as skipped). An empty ranked list scores 0 everywhere.
 */
import { InvalidInputError } from '../domain/errors';

export type MetricKind = 'mrr' | 'map' | 'ndcg' | 'p' | 'r' | 'hit';

export interface MetricSpec {
  kind: MetricKind;
  /** Cut-off for ndcg, p, r and hit; absent for mrr and map (full depth). */
  k?: number;
}

/** Qrels of one query: document id -> grade. */
export type Judgements = ReadonlyMap<string, number>;

/** Qrels of a judgement set: query id -> judgements. */
export type Qrels = ReadonlyMap<string, Judgements>;

export interface ScoredDoc {
  id: string;
  score: number;
}

const METRIC_PATTERN = /^(mrr|map|ndcg|p|r|hit)(?:@(\d+))?$/;

/** Parses a metric name such as `mrr`, `map`, `ndcg@10`, `p@50`, `r@50`, `hit@10` (case-insensitive). */
export function parseMetric(name: string): MetricSpec {
  const m = METRIC_PATTERN.exec(name.trim().toLowerCase());
  if (!m) {
    throw new InvalidInputError(
      `unknown metric "${name}": use mrr, map, or ndcg@K, p@K, r@K, hit@K with a positive integer K`,
      { metric: name },
    );
  }
  const kind = m[1] as MetricKind;
  const k = m[2] === undefined ? undefined : Number(m[2]);
  if (kind === 'mrr' || kind === 'map') {
    if (k !== undefined) throw new InvalidInputError(`metric "${name}" takes no cut-off: write ${kind}`, { metric: name });
    return { kind };
  }
  if (k === undefined || !Number.isSafeInteger(k) || k < 1) {
    throw new InvalidInputError(`metric "${name}" needs a positive cut-off, e.g. ${kind}@10`, { metric: name });
  }
  return { kind, k };
}

export function metricName(spec: MetricSpec): string {
  return spec.k === undefined ? spec.kind : `${spec.kind}@${spec.k}`;
}

/** Display label used in tables and reports: MRR, MAP, NDCG@10, P@50, R@50, Hit@10. */
export function metricLabel(spec: MetricSpec): string {
  const base = { mrr: 'MRR', map: 'MAP', ndcg: 'NDCG', p: 'P', r: 'R', hit: 'Hit' }[spec.kind];
  return spec.k === undefined ? base : `${base}@${spec.k}`;
}

/** trec_eval's order: score descending, ties by document id descending; first occurrence of an id wins. */
export function orderByScore(docs: readonly ScoredDoc[]): string[] {
  const seen = new Set<string>();
  const unique: ScoredDoc[] = [];
  for (const d of docs) {
    if (!Number.isFinite(d.score)) throw new InvalidInputError(`document "${d.id}" has a non-finite score`, { id: d.id });
    if (seen.has(d.id)) continue;
    seen.add(d.id);
    unique.push(d);
  }
  unique.sort((a, b) => (b.score !== a.score ? b.score - a.score : b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
  return unique.map((d) => d.id);
}

function dedupe(ranked: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ranked) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

function relevantCount(judgements: Judgements, threshold: number): number {
  let n = 0;
  for (const g of judgements.values()) if (g >= threshold) n++;
  return n;
}

export function reciprocalRank(ranked: readonly string[], judgements: Judgements, threshold = 1): number {
  const list = dedupe(ranked);
  for (let i = 0; i < list.length; i++) if ((judgements.get(list[i]) ?? 0) >= threshold) return 1 / (i + 1);
  return 0;
}

export function averagePrecision(ranked: readonly string[], judgements: Judgements, threshold = 1): number {
  const numRel = relevantCount(judgements, threshold);
  if (numRel === 0) return 0;
  const list = dedupe(ranked);
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < list.length; i++) {
    if ((judgements.get(list[i]) ?? 0) >= threshold) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / numRel;
}

const gain = (grade: number): number => (grade > 0 ? 2 ** grade - 1 : 0);
const discount = (rank1: number): number => Math.log2(rank1 + 1);

export function ndcgAt(ranked: readonly string[], judgements: Judgements, k: number): number {
  const list = dedupe(ranked);
  let dcg = 0;
  for (let i = 0; i < Math.min(k, list.length); i++) dcg += gain(judgements.get(list[i]) ?? 0) / discount(i + 1);
  const ideal = [...judgements.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += gain(ideal[i]) / discount(i + 1);
  return idcg === 0 ? 0 : dcg / idcg;
}

function relevantInTop(list: readonly string[], judgements: Judgements, k: number, threshold: number): number {
  let n = 0;
  for (let i = 0; i < Math.min(k, list.length); i++) if ((judgements.get(list[i]) ?? 0) >= threshold) n++;
  return n;
}

export function precisionAt(ranked: readonly string[], judgements: Judgements, k: number, threshold = 1): number {
  return relevantInTop(dedupe(ranked), judgements, k, threshold) / k;
}

export function recallAt(ranked: readonly string[], judgements: Judgements, k: number, threshold = 1): number {
  const numRel = relevantCount(judgements, threshold);
  if (numRel === 0) return 0;
  return relevantInTop(dedupe(ranked), judgements, k, threshold) / numRel;
}

export function hitAt(ranked: readonly string[], judgements: Judgements, k: number, threshold = 1): number {
  return relevantInTop(dedupe(ranked), judgements, k, threshold) > 0 ? 1 : 0;
}

export function computeMetric(spec: MetricSpec, ranked: readonly string[], judgements: Judgements, threshold = 1): number {
  switch (spec.kind) {
    case 'mrr':
      return reciprocalRank(ranked, judgements, threshold);
    case 'map':
      return averagePrecision(ranked, judgements, threshold);
    case 'ndcg':
      return ndcgAt(ranked, judgements, spec.k!);
    case 'p':
      return precisionAt(ranked, judgements, spec.k!, threshold);
    case 'r':
      return recallAt(ranked, judgements, spec.k!, threshold);
    case 'hit':
      return hitAt(ranked, judgements, spec.k!, threshold);
  }
}

/**
 * Scores one query on every metric, or returns null when the query has no relevant judged document
 * at `threshold` (it cannot be scored and is left out of aggregates).
 */
export function scoreQuery(
  specs: readonly MetricSpec[],
  ranked: readonly string[],
  judgements: Judgements | undefined,
  threshold = 1,
): Record<string, number> | null {
  if (!judgements || relevantCount(judgements, threshold) === 0) return null;
  const out: Record<string, number> = {};
  for (const spec of specs) out[metricName(spec)] = computeMetric(spec, ranked, judgements, threshold);
  return out;
}

export interface QueryScores {
  queryId: string;
  /** Metric name -> value. */
  values: Record<string, number>;
  retrieved: number;
  relevant: number;
}

export interface RunScores {
  /** Scored queries in judgement-set order (qrels insertion order). */
  queries: QueryScores[];
  /** Metric name -> mean over scored queries (0 when none is scored). */
  means: Record<string, number>;
  /** Judged queries without a relevant document at the threshold. */
  skipped: string[];
}

/**
 * Evaluates a run over every query in the qrels (trec_eval -c): a judged query missing from the run
 * counts as an empty ranked list. Run queries without judgements are ignored.
 */
export function evaluateRun(
  specs: readonly MetricSpec[],
  run: ReadonlyMap<string, readonly string[]>,
  qrels: Qrels,
  threshold = 1,
): RunScores {
  const queries: QueryScores[] = [];
  const skipped: string[] = [];
  for (const [queryId, judgements] of qrels) {
    const ranked = dedupe(run.get(queryId) ?? []);
    const values = scoreQuery(specs, ranked, judgements, threshold);
    if (!values) {
      skipped.push(queryId);
      continue;
    }
    queries.push({ queryId, values, retrieved: ranked.length, relevant: relevantCount(judgements, threshold) });
  }
  const means: Record<string, number> = {};
  for (const spec of specs) {
    const name = metricName(spec);
    means[name] = queries.length === 0 ? 0 : queries.reduce((s, q) => s + q.values[name], 0) / queries.length;
  }
  return { queries, means, skipped };
}

/** Deepest cut-off the metrics need; MRR and MAP read the whole list (callers choose the depth). */
export function requiredDepth(specs: readonly MetricSpec[], fullDepth: number): number {
  let depth = 0;
  for (const s of specs) depth = Math.max(depth, s.k ?? fullDepth);
  return depth;
}
