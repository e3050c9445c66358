/**
 * Background jobs for evaluation runs: the API's `evaluate` enqueues a job and answers at once;
 * one job runs at a time, the others wait in a bounded queue (a submit beyond it is refused with
 * OVERLOADED); a job reports its progress and can be cancelled, waiting or running. Jobs live in
 * memory (the runs they record are on disk); the most recent finished jobs are kept for lookup.
 */
import { DomainError, NotFoundError, OverloadedError } from '../domain/errors';

export type EvaluationJobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type EvaluationJobPhase = 'RANKING' | 'STATISTICS';

export interface EvaluationJob {
  id: string;
  /** The judgement set's name as requested (e.g. "text", "uploaded"). */
  set: string;
  state: EvaluationJobState;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * The running phase and its progress: ranking counts queries times variants, statistics counts
   * intervals and tests. Once SUCCEEDED: no phase, done = total = queries times variants; a failed
   * or cancelled job keeps where it stopped.
   */
  progress: { phase: EvaluationJobPhase | null; done: number; total: number };
  /** Jobs that run before this one (0: next); null unless QUEUED. */
  queuePosition: number | null;
  /** The recorded run, once SUCCEEDED. */
  runId: string | null;
  /** Why the job failed (FAILED only): the coded message of a domain error, else "internal error". */
  error: { message: string; code: string } | null;
}

export interface JobControl {
  signal: AbortSignal;
  progress(phase: EvaluationJobPhase, done: number, total: number): void;
}

/** The work of one job: resolves with the id of the run it recorded. */
export type JobWork = (control: JobControl) => Promise<string>;

export interface EvaluationJobQueueOptions {
  /** Jobs that may wait behind the running one (default 4). */
  maxQueued?: number;
  /** Finished jobs kept for lookup (default 100). */
  keepFinished?: number;
  clock?: () => Date;
  /** Hears of failures that are not domain errors (bugs), which the job reports as "internal error". */
  onUnexpectedError?: (error: unknown, jobId: string) => void;
}

interface Entry {
  job: Omit<EvaluationJob, 'queuePosition'>;
  total: number;
  work: JobWork;
  controller: AbortController;
  settled: Promise<void>;
  settle: () => void;
}

export class EvaluationJobQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly waiting: Entry[] = [];
  private running: Entry | null = null;
  private readonly maxQueued: number;
  private readonly keepFinished: number;
  private readonly clock: () => Date;
  private closed = false;

  constructor(private readonly options: EvaluationJobQueueOptions = {}) {
    this.maxQueued = options.maxQueued ?? 4;
    this.keepFinished = options.keepFinished ?? 100;
    if (!Number.isSafeInteger(this.maxQueued) || this.maxQueued < 0) throw new RangeError(`maxQueued must be a non-negative integer (got ${this.maxQueued})`);
    if (!Number.isSafeInteger(this.keepFinished) || this.keepFinished < 1) throw new RangeError(`keepFinished must be a positive integer (got ${this.keepFinished})`);
    this.clock = options.clock ?? (() => new Date());
  }

  /** Enqueues a job (it starts at once when none runs); refused with OverloadedError when the queue is full. */
  submit(meta: { id: string; set: string; total: number }, work: JobWork): EvaluationJob {
    if (this.closed) throw new OverloadedError('the server is shutting down: evaluations are not accepted now');
    if (this.entries.has(meta.id)) throw new Error(`evaluation job ${meta.id} exists already`);
    const busy = this.running !== null;
    if (busy && this.waiting.length >= this.maxQueued) {
      throw new OverloadedError(
        `the evaluation queue is full (1 running, ${this.waiting.length} waiting): retry when one has finished, or cancel one with cancelEvaluation`,
        { retryAfterSeconds: 30 },
      );
    }
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const entry: Entry = {
      job: {
        id: meta.id,
        set: meta.set,
        state: 'QUEUED',
        createdAt: this.clock().toISOString(),
        startedAt: null,
        finishedAt: null,
        progress: { phase: null, done: 0, total: meta.total },
        runId: null,
        error: null,
      },
      total: meta.total,
      work,
      controller: new AbortController(),
      settled,
      settle,
    };
    this.entries.set(meta.id, entry);
    this.waiting.push(entry);
    this.pump();
    return this.snapshot(entry);
  }

  /** The job, or null when no job has this id (never submitted, or finished long ago). */
  get(id: string): EvaluationJob | null {
    const entry = this.entries.get(id);
    return entry ? this.snapshot(entry) : null;
  }

  /**
   * Cancels a job: a waiting one at once, a running one as soon as it stops (between two queries,
   * or at once during the statistics; this waits for that). A finished job is returned unchanged.
   */
  async cancel(id: string): Promise<EvaluationJob> {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError(`no evaluation job has id "${id}"`, { id });
    if (entry.job.state === 'QUEUED') {
      this.waiting.splice(this.waiting.indexOf(entry), 1);
      this.finish(entry, 'CANCELLED');
    } else if (entry.job.state === 'RUNNING') {
      entry.controller.abort(new JobCancelled());
      await entry.settled;
    }
    return this.snapshot(entry);
  }

  /** Refuses new jobs, cancels every waiting and running one and waits for the running one to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.waiting.splice(0)) this.finish(entry, 'CANCELLED');
    const running = this.running;
    if (running) {
      running.controller.abort(new JobCancelled());
      await running.settled;
    }
  }

  /** Jobs waiting and running now. */
  get depth(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running ? 1 : 0 };
  }

  private pump(): void {
    if (this.running || this.waiting.length === 0) return;
    const entry = this.waiting.shift()!;
    this.running = entry;
    entry.job.state = 'RUNNING';
    entry.job.startedAt = this.clock().toISOString();
    const control: JobControl = {
      signal: entry.controller.signal,
      progress: (phase, done, total) => {
        entry.job.progress = { phase, done, total };
      },
    };
    // Start on a later turn: submit answers first, and a synchronous throw becomes a rejection.
    void new Promise<void>((resolve) => setImmediate(resolve)).then(() => entry.work(control)).then(
      (runId) => {
        if (entry.controller.signal.aborted) {
          this.finish(entry, 'CANCELLED');
          return;
        }
        entry.job.runId = runId;
        entry.job.progress = { phase: null, done: entry.total, total: entry.total };
        this.finish(entry, 'SUCCEEDED');
      },
      (error: unknown) => {
        if (entry.controller.signal.aborted) {
          this.finish(entry, 'CANCELLED');
          return;
        }
        if (error instanceof DomainError && error.code !== 'INTERNAL') {
          entry.job.error = { message: error.message, code: error.code };
        } else {
          this.options.onUnexpectedError?.(error, entry.job.id);
          entry.job.error = { message: 'internal error', code: 'INTERNAL_SERVER_ERROR' };
        }
        this.finish(entry, 'FAILED');
      },
    );
  }

  private finish(entry: Entry, state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'): void {
    entry.job.state = state;
    entry.job.finishedAt = this.clock().toISOString();
    if (this.running === entry) this.running = null;
    entry.settle();
    this.forgetOldFinished();
    this.pump();
  }

  private forgetOldFinished(): void {
    let finished = 0;
    for (const entry of this.entries.values()) if (isFinished(entry.job.state)) finished++;
    for (const [id, entry] of this.entries) {
      if (finished <= this.keepFinished) break;
      if (!isFinished(entry.job.state)) continue;
      this.entries.delete(id);
      finished--;
    }
  }

  private snapshot(entry: Entry): EvaluationJob {
    const position = entry.job.state === 'QUEUED' ? this.waiting.indexOf(entry) : -1;
    return { ...entry.job, progress: { ...entry.job.progress }, error: entry.job.error && { ...entry.job.error }, queuePosition: position >= 0 ? position : null };
  }
}

/** The reason a cancelled job's signal carries. */
export class JobCancelled extends Error {
  constructor() {
    super('the evaluation job was cancelled');
    this.name = 'JobCancelled';
  }
}

function isFinished(state: EvaluationJobState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}
