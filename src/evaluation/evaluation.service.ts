/**
 * Evaluation runs for the API and the CLI: resolves a judgement set (a named set, optionally with
 * uploaded TREC qrels) and variants, runs them, records the run, and serves runs and exports.
 *
 * The CLI runs an evaluation and waits (`evaluate`). The API submits a background job instead
 * (`submit`): the request is checked at once (bad input is refused before anything is queued, and
 * the API's caps on queries, variants, depth and resamples apply), then the job waits in a bounded
 * queue, runs alone, reports progress and can be cancelled (evaluation-job.queue.ts). A job's id
 * is the id of the run it records, so `job(id)` still answers after a restart, from the run.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError, UnavailableError } from '../domain/errors';
import type { EvalQuery, EvaluationRun, EvaluationRunSummary, JudgementSet, Variant } from './evaluation-run';
import { assertRunId, requireRun, type EvaluationRunStore } from './evaluation-run.store';
import { EvaluationJobQueue, type EvaluationJob, type JobControl } from './evaluation-job.queue';
import { checkRun, runEvaluation, type ProgressEvent, type RunOptions } from './evaluation-runner';
import type { StatisticsRunner } from './statistics-task';
import { exportRun, type ExportFormat } from './exports';
import { parseQrels } from './trec-format';

/** Judgement sets by name (e.g. text, composed, realshot, image, index). */
export interface JudgementSetProvider {
  setNames(): string[];
  load(name: string): Promise<JudgementSet>;
}

/** Variants runnable on a set, by name. */
export interface VariantProvider {
  /** Variant names available for a set, the default comparison first. */
  variantNames(set: string): string[];
  variants(set: string, names: string[]): Promise<Variant[]>;
}

export interface EvaluateRequest {
  /** Named judgement set; with `qrels` and `queries` it may be omitted (custom text set). */
  set?: string | null;
  /** TREC qrels text replacing the set's judgements (queries limited to those judged). */
  qrels?: string | null;
  /** Text queries for uploaded qrels, when no named set supplies them. */
  queries?: { id: string; text: string }[] | null;
  variants?: string[] | null;
  metrics?: string[] | null;
  threshold?: number | null;
  depth?: number | null;
  bootstrapSamples?: number | null;
  permutationSamples?: number | null;
  confidenceLevel?: number | null;
  seed?: number | null;
  baseline?: string | null;
  /** Evaluate only the first N queries (in set order). */
  limitQueries?: number | null;
}

export const MAX_UPLOADED_QRELS_BYTES = 20 * 1024 * 1024;

/** What one evaluation may ask for through the API (the CLI is not capped). */
export interface EvaluationApiLimits {
  maxQueries: number;
  maxVariants: number;
  maxDepth: number;
  maxBootstrapSamples: number;
  maxPermutationSamples: number;
}

/**
 * The API's caps: the demo's largest set (3,023 composed queries) runs whole; the statistics of
 * the largest allowed run take minutes on one core, on a worker thread, cancellable.
 */
export const API_EVALUATION_LIMITS: EvaluationApiLimits = {
  maxQueries: 5000,
  maxVariants: 8,
  maxDepth: 1000,
  maxBootstrapSamples: 10_000,
  maxPermutationSamples: 100_000,
};

export interface EvaluationServiceOptions {
  defaultMetrics: Record<string, string[]>;
  catalogSource?: string | null;
  clock?: () => Date;
  /** Where background jobs compute their statistics (the API: a worker thread); default in process. */
  statistics?: StatisticsRunner;
  /** Caps of submitted jobs (default API_EVALUATION_LIMITS). */
  apiLimits?: EvaluationApiLimits;
  /** Jobs waiting behind the running one (EVALUATION_QUEUE_SIZE, default 4). */
  maxQueuedJobs?: number;
  /** Hears of jobs failing with an unexpected (non-domain) error. */
  onUnexpectedError?: (error: unknown, jobId: string) => void;
}

/** A checked request, ready to run. */
interface EvaluationPlan {
  setKey: string;
  set: JudgementSet;
  variants: Variant[];
  options: Omit<RunOptions, 'id' | 'createdAt'>;
}

export class EvaluationService {
  private readonly jobs: EvaluationJobQueue;

  constructor(
    private readonly runs: EvaluationRunStore,
    private readonly sets: JudgementSetProvider,
    private readonly variantProvider: VariantProvider,
    private readonly options: EvaluationServiceOptions = { defaultMetrics: {} },
  ) {
    this.jobs = new EvaluationJobQueue({ maxQueued: options.maxQueuedJobs ?? 4, clock: options.clock, onUnexpectedError: options.onUnexpectedError });
  }

  /** Runs an evaluation now and records it (the CLI); statistics in process. */
  async evaluate(request: EvaluateRequest, onProgress?: (e: ProgressEvent) => void): Promise<EvaluationRun> {
    const plan = await this.plan(request);
    const now = this.now();
    const run = await runEvaluation(plan.set, plan.variants, { ...plan.options, id: newRunId(now), createdAt: now.toISOString(), onProgress });
    await this.runs.save(run);
    return run;
  }

  /**
   * Checks the request (refusing bad input and anything over the API's caps with BAD_USER_INPUT),
   * then queues it as a background job and returns the job at once; OVERLOADED when the queue is full.
   */
  async submit(request: EvaluateRequest): Promise<EvaluationJob> {
    const limits = this.options.apiLimits ?? API_EVALUATION_LIMITS;
    for (const [what, value, max] of [
      ['bootstrapSamples', request.bootstrapSamples, limits.maxBootstrapSamples],
      ['permutationSamples', request.permutationSamples, limits.maxPermutationSamples],
      ['depth', request.depth, limits.maxDepth],
      ['limitQueries', request.limitQueries, limits.maxQueries],
    ] as const) {
      if (typeof value === 'number' && value > max) throw new InvalidInputError(`${what} is ${value}; through the API at most ${max} are allowed (the eval CLI allows more)`, { [what]: value });
    }
    if ((request.variants?.length ?? 0) > limits.maxVariants) {
      throw new InvalidInputError(`${request.variants!.length} variants are named; through the API at most ${limits.maxVariants} run in one evaluation: split it`);
    }
    const plan = await this.plan(request);
    if (plan.set.queries.length > limits.maxQueries) {
      throw new InvalidInputError(
        `set "${plan.set.name}" has ${plan.set.queries.length} queries; through the API at most ${limits.maxQueries} run in one evaluation: pass limitQueries (or use the eval CLI)`,
      );
    }
    if (plan.variants.length > limits.maxVariants) {
      throw new InvalidInputError(`set "${plan.setKey}" compares ${plan.variants.length} variants; through the API at most ${limits.maxVariants} run in one evaluation: name fewer in "variants"`);
    }
    const now = this.now();
    const id = newRunId(now);
    const queries = plan.set.queries.length;
    return this.jobs.submit({ id, set: request.set ?? plan.set.name, total: queries * plan.variants.length }, (control) => this.runJob(plan, id, now, control));
  }

  /** A job by id: from the queue, or (after a restart, or once forgotten) the recorded run's; null when unknown. */
  async job(id: string): Promise<EvaluationJob | null> {
    assertRunId(id);
    const job = this.jobs.get(id);
    if (job) return job;
    const run = await this.runs.get(id);
    if (!run) return null;
    const total = run.set.queries * run.variants.length;
    return {
      id,
      set: run.set.name,
      state: 'SUCCEEDED',
      createdAt: run.createdAt,
      startedAt: null,
      finishedAt: null,
      progress: { phase: null, done: total, total },
      queuePosition: null,
      runId: run.id,
      error: null,
    };
  }

  /** Cancels a waiting or running job (NOT_FOUND for an unknown id; a finished job is returned as it is). */
  async cancel(id: string): Promise<EvaluationJob> {
    assertRunId(id);
    const known = this.jobs.get(id);
    if (!known) {
      const finished = await this.job(id);
      if (finished) return finished;
    }
    return this.jobs.cancel(id);
  }

  /** Stops: refuses new jobs, cancels the waiting and running ones. */
  close(): Promise<void> {
    return this.jobs.close();
  }

  /** Jobs waiting and running now. */
  get queueDepth(): { waiting: number; running: number } {
    return this.jobs.depth;
  }

  private async runJob(plan: EvaluationPlan, id: string, createdAt: Date, control: JobControl): Promise<string> {
    const done = new Map<string, number>();
    const total = plan.set.queries.length * plan.variants.length;
    const run = await runEvaluation(plan.set, plan.variants, {
      ...plan.options,
      id,
      createdAt: createdAt.toISOString(),
      signal: control.signal,
      statistics: this.options.statistics,
      onProgress: (e) => {
        done.set(e.variant, e.done);
        let sum = 0;
        for (const d of done.values()) sum += d;
        control.progress('RANKING', sum, total);
      },
      onStatisticsProgress: (d, t) => control.progress('STATISTICS', d, t),
    });
    control.signal.throwIfAborted();
    await this.runs.save(run);
    return run.id;
  }

  /** Resolves set and variants and checks every setting; throws InvalidInputError saying what to fix. */
  private async plan(request: EvaluateRequest): Promise<EvaluationPlan> {
    const set = await this.resolveSet(request);
    const setKey = request.set ?? 'text';
    const names = request.variants?.length ? request.variants : this.variantProvider.variantNames(setKey);
    if (names.length === 0) throw new InvalidInputError(`no variant is available for set "${setKey}"`);
    const variants = await this.variantProvider.variants(setKey, names);
    const options: EvaluationPlan['options'] = {
      metrics: request.metrics?.length ? request.metrics : (this.options.defaultMetrics[setKey] ?? ['mrr', 'map', 'ndcg@10', 'p@10', 'r@10']),
      threshold: request.threshold ?? undefined,
      depth: request.depth ?? undefined,
      bootstrapSamples: request.bootstrapSamples ?? undefined,
      permutationSamples: request.permutationSamples ?? undefined,
      confidenceLevel: request.confidenceLevel ?? undefined,
      seed: request.seed ?? undefined,
      baseline: request.baseline ?? undefined,
      catalogSource: this.options.catalogSource ?? null,
    };
    checkRun(set, variants, options);
    return { setKey, set, variants, options };
  }

  private now(): Date {
    return (this.options.clock ?? (() => new Date()))();
  }

  async run(id: string): Promise<EvaluationRun> {
    return requireRun(this.runs, id);
  }

  /** The run, or null when no run has this id. */
  async find(id: string): Promise<EvaluationRun | null> {
    assertRunId(id);
    return this.runs.get(id);
  }

  async list(page: { limit?: number | null; offset?: number | null } = {}): Promise<{ items: EvaluationRunSummary[]; total: number }> {
    const limit = page.limit ?? 20;
    const offset = page.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) throw new InvalidInputError(`limit must be an integer in 1..100, got ${limit}`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidInputError(`offset must be a non-negative integer, got ${offset}`);
    return this.runs.list({ limit, offset });
  }

  async export(id: string, format: ExportFormat, variant?: string | null): Promise<string> {
    return exportRun(await this.run(id), format, variant);
  }

  private async resolveSet(request: EvaluateRequest): Promise<JudgementSet> {
    if (request.qrels && request.qrels.length > MAX_UPLOADED_QRELS_BYTES) {
      throw new InvalidInputError(`uploaded qrels exceed ${MAX_UPLOADED_QRELS_BYTES} bytes: upload a smaller judgement set`);
    }
    const uploaded = request.qrels ? parseQrels(request.qrels) : null;
    let set: JudgementSet;
    if (request.set) {
      if (!this.sets.setNames().includes(request.set)) {
        throw new InvalidInputError(`unknown judgement set "${request.set}": choose one of ${this.sets.setNames().join(', ')}`, { set: request.set });
      }
      set = await this.sets.load(request.set);
      if (request.queries?.length) throw new InvalidInputError('queries are taken from the named set: leave out "queries" or "set"');
    } else {
      if (!uploaded || !request.queries?.length) {
        throw new InvalidInputError('name a judgement set, or upload qrels together with the text queries they judge');
      }
      const queries: EvalQuery[] = request.queries.map((q) => {
        if (!/^\S+$/.test(q.id)) throw new InvalidInputError(`query id "${q.id}" must be non-empty without whitespace`);
        if (!q.text.trim()) throw new InvalidInputError(`query "${q.id}" has empty text`);
        return { id: q.id, text: q.text };
      });
      set = { name: 'uploaded', queries, qrels: new Map() };
    }
    if (uploaded) {
      const known = new Set(set.queries.map((q) => q.id));
      const unknown = [...uploaded.keys()].filter((q) => !known.has(q));
      if (unknown.length === uploaded.size) {
        throw new InvalidInputError(`no query id of the uploaded qrels is in set "${set.name}" (e.g. "${unknown[0]}")`);
      }
      set = {
        ...set,
        name: `${set.name}+qrels`,
        queries: set.queries.filter((q) => uploaded.has(q.id)),
        qrels: uploaded,
        segments: set.segments?.map((s) => ({ ...s, queryIds: s.queryIds.filter((id) => uploaded.has(id)) })),
      };
    }
    const limit = request.limitQueries;
    if (limit !== undefined && limit !== null) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError(`limitQueries must be a positive integer, got ${limit}`);
      const kept = new Set(set.queries.slice(0, limit).map((q) => q.id));
      set = {
        ...set,
        queries: set.queries.filter((q) => kept.has(q.id)),
        segments: set.segments?.map((s) => ({ ...s, queryIds: s.queryIds.filter((id) => kept.has(id)) })),
      };
    }
    return set;
  }
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `ev-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The configured service, or a clear error when this server runs without evaluations. */
export function evaluationService(service: EvaluationService | undefined): EvaluationService {
  if (!service) throw new UnavailableError('evaluations are not configured on this server (no models or catalogue loaded)');
  return service;
}
