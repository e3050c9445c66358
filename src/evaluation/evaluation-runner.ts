/**
 * Runs a judgement set against variants and computes the recorded result: per-query metric values,
 * aggregates with bootstrap confidence intervals, and paired tests of every variant against the
 * baseline (the first variant unless named). Two phases: ranking (every query through every
 * variant; an abort signal is checked between queries) and statistics (a StatisticsTask, computed
 * in process by default or on a worker thread by the API).
 */
import { performance } from 'node:perf_hooks';
import { InvalidInputError } from '../domain/errors';
import type { ModelVersion } from '../encoders/encoder';
import type {
  Comparison,
  EvaluationRun,
  EvaluationSettings,
  JudgementSet,
  MetricAggregate,
  QueryRow,
  Variant,
  VariantResult,
} from './evaluation-run';
import { qrelsToRecord } from './evaluation-run';
import { evaluateRun, metricName, orderByScore, parseMetric, type MetricSpec, type ScoredDoc } from './metrics';
import { inProcessStatistics, type StatisticsRunner, type StatisticsTask } from './statistics-task';

export interface RunOptions {
  id: string;
  createdAt: string;
  metrics: string[];
  threshold?: number;
  /** Retrieval depth per query; at least the largest metric cut-off. Default max(100, cut-offs). */
  depth?: number;
  bootstrapSamples?: number;
  permutationSamples?: number;
  confidenceLevel?: number;
  seed?: number;
  baseline?: string;
  catalogSource?: string | null;
  /** Queries ranked at once per variant (encoders batch concurrent calls). */
  concurrency?: number;
  onProgress?: (event: ProgressEvent) => void;
  /** Progress of the statistics phase: intervals and tests done, of all. */
  onStatisticsProgress?: (done: number, total: number) => void;
  /** Stops the run between queries and during the statistics; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Where the statistics are computed (default: in process). */
  statistics?: StatisticsRunner;
}

export interface ProgressEvent {
  variant: string;
  done: number;
  total: number;
}

/** Variant names double as TREC run tags, so they hold no whitespace. */
export const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

export const DEFAULT_METRICS = ['mrr', 'map', 'ndcg@10', 'p@10', 'r@10', 'r@50'];

export function resolveSettings(options: Omit<RunOptions, 'id' | 'createdAt'>): { settings: EvaluationSettings; specs: MetricSpec[] } {
  if (options.metrics.length === 0) throw new InvalidInputError('name at least one metric, e.g. ["mrr", "ndcg@10"]');
  const specs = options.metrics.map(parseMetric);
  const names = specs.map(metricName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new InvalidInputError(`metric "${dup}" is listed twice`);
  const maxCut = Math.max(0, ...specs.map((s) => s.k ?? 0));
  const depth = options.depth ?? Math.max(100, maxCut);
  if (!Number.isSafeInteger(depth) || depth < 1 || depth > 10_000) throw new InvalidInputError(`depth must be an integer in 1..10000, got ${depth}`);
  if (depth < maxCut) throw new InvalidInputError(`depth ${depth} is below the largest metric cut-off ${maxCut}: raise depth`);
  const threshold = options.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) throw new InvalidInputError(`relevance threshold must be a positive integer grade, got ${threshold}`);
  const level = options.confidenceLevel ?? 0.95;
  if (!(level > 0 && level < 1)) throw new InvalidInputError(`confidence level must lie strictly between 0 and 1, got ${level}`);
  const bootstrapSamples = options.bootstrapSamples ?? 1000;
  const permutationSamples = options.permutationSamples ?? 10000;
  for (const [what, v] of [['bootstrap samples', bootstrapSamples], ['permutation samples', permutationSamples]] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 1_000_000) throw new InvalidInputError(`${what} must be an integer in 1..1000000, got ${v}`);
  }
  const seed = options.seed ?? 42;
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`seed must be an integer, got ${seed}`);
  return {
    specs,
    settings: { metrics: names, threshold, depth, bootstrapSamples, permutationSamples, confidenceLevel: level, seed },
  };
}

/** Longest stretch, in ms, the ranking keeps the event loop before letting other work run. */
const YIELD_EVERY_MS = 10;

async function rankAll(set: JudgementSet, variant: Variant, depth: number, options: RunOptions): Promise<Map<string, ScoredDoc[]>> {
  const out = new Map<string, ScoredDoc[]>();
  const concurrency = Math.max(1, options.concurrency ?? 16);
  let next = 0;
  let done = 0;
  const total = set.queries.length;
  options.onProgress?.({ variant: variant.name, done, total });
  await variant.prepare?.(set.queries);
  // Ranking a query often completes synchronously (cached embeddings, an in-process store), so the
  // workers' awaits alone would never let the event loop serve I/O: yield to it every few ms.
  // All workers wait on one shared pause, so the loop gets a turn every YIELD_EVERY_MS in all.
  let lastYield = performance.now();
  let pause: Promise<void> | null = null;
  const yieldToLoop = () =>
    (pause ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        pause = null;
        lastYield = performance.now();
        resolve();
      }),
    ));
  const worker = async (): Promise<void> => {
    while (next < total) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) await yieldToLoop();
      options.signal?.throwIfAborted();
      if (next >= total) break;
      const query = set.queries[next++];
      const docs = await variant.rank(query, depth);
      const order = orderByScore(docs).slice(0, depth);
      const score = new Map<string, number>();
      for (const d of docs) if (!score.has(d.id)) score.set(d.id, d.score);
      out.set(
        query.id,
        order.map((id) => ({ id, score: score.get(id)! })),
      );
      done++;
      options.onProgress?.({ variant: variant.name, done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, worker));
  return out;
}

/**
 * Checks a run before it starts (variant names, baseline, a set with queries, settings); throws
 * InvalidInputError saying what to fix. The API checks a job with it before enqueueing it.
 */
export function checkRun(
  set: JudgementSet,
  variants: Pick<Variant, 'name'>[],
  options: Omit<RunOptions, 'id' | 'createdAt'>,
): { settings: EvaluationSettings; specs: MetricSpec[]; baseline: string } {
  if (variants.length === 0) throw new InvalidInputError('name at least one variant to evaluate');
  const names = variants.map((v) => v.name);
  for (const n of names) {
    if (!VARIANT_NAME.test(n)) throw new InvalidInputError(`variant name "${n}" must start with a letter or digit and hold only letters, digits, '.', '_', '+' and '-'`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new InvalidInputError(`variant "${dup}" is listed twice`);
  const baseline = options.baseline ?? names[0];
  if (!names.includes(baseline)) throw new InvalidInputError(`baseline "${baseline}" is not among the variants: ${names.join(', ')}`);
  if (set.queries.length === 0) throw new InvalidInputError(`judgement set "${set.name}" has no query`);
  return { ...resolveSettings(options), baseline };
}

export async function runEvaluation(set: JudgementSet, variants: Variant[], options: RunOptions): Promise<EvaluationRun> {
  const { settings, specs, baseline } = checkRun(set, variants, options);

  const queryIds = new Set(set.queries.map((q) => q.id));
  const judged = new Map([...set.qrels].filter(([qid]) => queryIds.has(qid)));
  // Queries without any judgement are scored as queries without relevant documents (skipped).
  for (const q of set.queries) if (!judged.has(q.id)) judged.set(q.id, new Map());
  const ordered = new Map(set.queries.map((q) => [q.id, judged.get(q.id)!] as const));

  const rankings: EvaluationRun['rankings'] = {};
  const rows: QueryRow[] = [];
  const perVariant = new Map<string, Map<string, Record<string, number>>>();
  // Every interval the run reports, in the order the statistics task lists them.
  const groups: { variant: Variant; segment: string | null; rows: Record<string, number>[] }[] = [];
  let skipped: string[] = [];
  let scored = 0;
  for (const variant of variants) {
    options.signal?.throwIfAborted();
    const ranked = await rankAll(set, variant, settings.depth, options);
    rankings[variant.name] = Object.fromEntries(ranked);
    const scores = evaluateRun(specs, new Map([...ranked].map(([q, docs]) => [q, docs.map((d) => d.id)])), ordered, settings.threshold);
    skipped = scores.skipped;
    scored = scores.queries.length;
    const byQuery = new Map<string, Record<string, number>>();
    for (const q of scores.queries) {
      byQuery.set(q.queryId, q.values);
      rows.push({ variant: variant.name, queryId: q.queryId, retrieved: q.retrieved, relevant: q.relevant, values: q.values });
    }
    perVariant.set(variant.name, byQuery);
    groups.push({ variant, segment: null, rows: scores.queries.map((q) => q.values) });
    for (const segment of set.segments ?? []) {
      const seg = segment.queryIds.map((id) => byQuery.get(id)).filter((v): v is Record<string, number> => !!v);
      groups.push({ variant, segment: segment.name, rows: seg });
    }
  }

  const base = perVariant.get(baseline)!;
  const pairedIds = [...base.keys()];
  const compared = variants.filter((v) => v.name !== baseline);
  const task: StatisticsTask = {
    settings: {
      bootstrapSamples: settings.bootstrapSamples,
      permutationSamples: settings.permutationSamples,
      seed: settings.seed,
      confidenceLevel: settings.confidenceLevel,
    },
    intervals: groups.flatMap((g) => settings.metrics.map((metric) => g.rows.map((r) => r[metric]))),
    pairs: compared.flatMap((variant) => {
      const other = perVariant.get(variant.name)!;
      return settings.metrics.map((metric) => ({ a: pairedIds.map((id) => base.get(id)![metric]), b: pairedIds.map((id) => other.get(id)![metric]) }));
    }),
  };
  options.signal?.throwIfAborted();
  options.onStatisticsProgress?.(0, task.intervals.length + task.pairs.length);
  const stats = await (options.statistics ?? inProcessStatistics)(task, { signal: options.signal, onProgress: options.onStatisticsProgress });

  let next = 0;
  const aggregates = (): MetricAggregate[] =>
    settings.metrics.map((metric) => {
      const ci = stats.intervals[next++];
      return { metric, mean: ci.mean, lower: ci.lower, upper: ci.upper, level: ci.level };
    });
  const results: VariantResult[] = variants.map((variant) => {
    const own = groups.filter((g) => g.variant === variant);
    const result: VariantResult = { name: variant.name, description: variant.description, models: variant.models, aggregates: aggregates(), segments: [] };
    for (const g of own.slice(1)) result.segments.push({ segment: g.segment!, queries: g.rows.length, aggregates: aggregates() });
    return result;
  });

  const comparisons: Comparison[] = [];
  let pair = 0;
  for (const variant of compared) {
    for (const metric of settings.metrics) {
      const test = stats.pairs[pair++];
      const baselineMean = results.find((r) => r.name === baseline)!.aggregates.find((x) => x.metric === metric)!.mean;
      const variantMean = results.find((r) => r.name === variant.name)!.aggregates.find((x) => x.metric === metric)!.mean;
      comparisons.push({
        baseline,
        variant: variant.name,
        metric,
        baselineMean,
        variantMean,
        meanDifference: test.meanDifference,
        relativeGain: baselineMean === 0 ? null : (variantMean - baselineMean) / baselineMean,
        differenceLower: test.differenceCI.lower,
        differenceUpper: test.differenceCI.upper,
        permutationP: test.permutationP,
        tTestP: test.tTestP,
        t: Number.isFinite(test.t) ? test.t : null,
        degreesOfFreedom: test.degreesOfFreedom,
        queries: test.n,
      });
    }
  }

  return {
    id: options.id,
    createdAt: options.createdAt,
    set: { name: set.name, queries: set.queries.length, scoredQueries: scored, dataHash: set.dataHash ?? null },
    settings,
    models: uniqueModels(variants.flatMap((v) => v.models)),
    catalog: { source: options.catalogSource ?? null, dataHash: set.dataHash ?? null, split: set.split ?? null },
    variants: results,
    comparisons,
    skippedQueries: skipped,
    queries: rows,
    rankings,
    qrels: qrelsToRecord(ordered),
  };
}

function uniqueModels(models: ModelVersion[]): ModelVersion[] {
  const seen = new Map<string, ModelVersion>();
  for (const m of models) seen.set(`${m.name}@${m.version}`, m);
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
