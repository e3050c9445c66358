/**
 * Evaluation runs for the API and the CLI: resolves a judgement set (a named set, optionally with
 * uploaded TREC qrels) and variants, runs them, records the run, and serves runs and exports.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError, UnavailableError } from '../domain/errors';
import type { EvalQuery, EvaluationRun, EvaluationRunSummary, JudgementSet, Variant } from './evaluation-run';
import { assertRunId, requireRun, type EvaluationRunStore } from './evaluation-run.store';
import { runEvaluation, type ProgressEvent } from './evaluation-runner';
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

export class EvaluationService {
  constructor(
    private readonly runs: EvaluationRunStore,
    private readonly sets: JudgementSetProvider,
    private readonly variantProvider: VariantProvider,
    private readonly options: { defaultMetrics: Record<string, string[]>; catalogSource?: string | null; clock?: () => Date } = {
      defaultMetrics: {},
    },
  ) {}

  async evaluate(request: EvaluateRequest, onProgress?: (e: ProgressEvent) => void): Promise<EvaluationRun> {
    const set = await this.resolveSet(request);
    const setKey = request.set ?? 'text';
    const names = request.variants?.length ? request.variants : this.variantProvider.variantNames(setKey);
    if (names.length === 0) throw new InvalidInputError(`no variant is available for set "${setKey}"`);
    const variants = await this.variantProvider.variants(setKey, names);
    const now = (this.options.clock ?? (() => new Date()))();
    const run = await runEvaluation(set, variants, {
      id: newRunId(now),
      createdAt: now.toISOString(),
      metrics: request.metrics?.length ? request.metrics : (this.options.defaultMetrics[setKey] ?? ['mrr', 'map', 'ndcg@10', 'p@10', 'r@10']),
      threshold: request.threshold ?? undefined,
      depth: request.depth ?? undefined,
      bootstrapSamples: request.bootstrapSamples ?? undefined,
      permutationSamples: request.permutationSamples ?? undefined,
      confidenceLevel: request.confidenceLevel ?? undefined,
      seed: request.seed ?? undefined,
      baseline: request.baseline ?? undefined,
      catalogSource: this.options.catalogSource ?? null,
      onProgress,
    });
    await this.runs.save(run);
    return run;
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
