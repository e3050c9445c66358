/**
 * A process-wide micro-batcher for encoder calls, with a bounded queue: beyond `maxQueuedItems`
 * waiting items a call is refused with OVERLOADED at once instead of growing memory without bound
 * (every request's items wait here while the model runs).
 *
 * When to run. An idle batcher (no run in flight) runs what is queued at the end of the current
 * turn of the event loop (setImmediate): calls made together still share a run, and a lone call
 * waits no timer, so batching costs no latency when there is nothing to batch. Calls arriving while
 * a run is in flight queue up and form the next batch as soon as a run slot frees; with several
 * slots (`maxConcurrent` > 1) and one free, a partial batch waits at most `maxDelayMs` for more.
 */
import { OverloadedError } from '../domain/errors';

export interface MicroBatcherOptions {
  /** Most items in one run (default 64). A full batch runs at once. */
  maxBatchSize?: number;
  /** Longest wait, in ms, of a partial batch for more items while another run is in flight and a run slot is free (default 3). */
  maxDelayMs?: number;
  /** Runs in flight at once (default 1); items queued meanwhile form the next batch. */
  maxConcurrent?: number;
  /**
   * Most items waiting for a run (default 4096). A call that would queue beyond it is refused with
   * OverloadedError, unless the queue is empty (one call alone always runs: its caller already holds
   * its items in memory).
   */
  maxQueuedItems?: number;
}

interface Request<I, O> {
  items: I[];
  results: O[];
  remaining: number;
  failed: boolean;
  resolve(results: O[]): void;
  reject(err: unknown): void;
}

interface Slot<I, O> {
  request: Request<I, O>;
  index: number;
}

/**
 * Gathers concurrent calls into one model run. Each `submit` resolves with its own results, in
 * order. When a run fails, each caller that shared it is retried alone, so an error reaches only the
 * callers whose input causes it.
 */
export class MicroBatcher<I, O> {
  private readonly maxBatchSize: number;
  private readonly maxDelayMs: number;
  private readonly maxConcurrent: number;
  private readonly maxQueuedItems: number;
  private queue: Slot<I, O>[] = [];
  private timer: { cancel(): void } | null = null;
  private running = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    options: MicroBatcherOptions = {},
  ) {
    this.maxBatchSize = positiveInt(options.maxBatchSize ?? 64, 'maxBatchSize');
    this.maxDelayMs = options.maxDelayMs ?? 3;
    if (!Number.isFinite(this.maxDelayMs) || this.maxDelayMs < 0) throw new RangeError(`maxDelayMs must be a non-negative number (got ${this.maxDelayMs})`);
    this.maxConcurrent = positiveInt(options.maxConcurrent ?? 1, 'maxConcurrent');
    this.maxQueuedItems = positiveInt(options.maxQueuedItems ?? 4096, 'maxQueuedItems');
  }

  /** Queues the items of one caller; resolves with their results in the same order. */
  submit(items: I[]): Promise<O[]> {
    if (!Array.isArray(items)) return Promise.reject(new TypeError('submit expects an array of items'));
    if (items.length === 0) return Promise.resolve([]);
    if (this.queue.length > 0 && this.queue.length + items.length > this.maxQueuedItems) {
      return Promise.reject(
        new OverloadedError(`the encoders are at capacity (${this.queue.length} items waiting, at most ${this.maxQueuedItems}): retry in a moment`, {
          retryAfterSeconds: 1,
        }),
      );
    }
    return new Promise<O[]>((resolve, reject) => {
      const request: Request<I, O> = { items, results: new Array(items.length), remaining: items.length, failed: false, resolve, reject };
      for (let index = 0; index < items.length; index++) this.queue.push({ request, index });
      this.schedule();
    });
  }

  /** Items waiting for a run. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    while (this.running < this.maxConcurrent && this.queue.length >= this.maxBatchSize) this.flush();
    if (this.queue.length > 0 && !this.timer && this.running < this.maxConcurrent) {
      const fire = () => {
        this.timer = null;
        if (this.running < this.maxConcurrent) this.flush();
        this.schedule();
      };
      if (this.running === 0) {
        const handle = setImmediate(fire);
        this.timer = { cancel: () => clearImmediate(handle) };
      } else {
        const handle = setTimeout(fire, this.maxDelayMs);
        this.timer = { cancel: () => clearTimeout(handle) };
      }
    }
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatchSize);
    if (batch.length === 0) return;
    if (this.timer && this.queue.length === 0) {
      this.timer.cancel();
      this.timer = null;
    }
    this.running++;
    void this.execute(batch).finally(() => {
      this.running--;
      // Items that queued during the run have waited long enough: run them now.
      if (!this.timer && this.queue.length > 0) this.flush();
      this.schedule();
    });
  }

  private async execute(batch: Slot<I, O>[]): Promise<void> {
    const live = batch.filter((s) => !s.request.failed);
    if (live.length === 0) return;
    try {
      const results = await this.runChecked(live.map((s) => s.request.items[s.index]));
      live.forEach((slot, i) => this.deliver(slot, results[i]));
    } catch (err) {
      const requests = [...new Set(live.map((s) => s.request))];
      if (requests.length === 1) {
        this.fail(requests[0], err);
        return;
      }
      // Retry each caller's share alone so the error reaches only the caller that causes it.
      await Promise.all(
        requests.map(async (request) => {
          const slots = live.filter((s) => s.request === request);
          try {
            const results = await this.runChecked(slots.map((s) => request.items[s.index]));
            slots.forEach((slot, i) => this.deliver(slot, results[i]));
          } catch (e) {
            this.fail(request, e);
          }
        }),
      );
    }
  }

  private async runChecked(items: I[]): Promise<O[]> {
    const results = await this.run(items);
    if (!Array.isArray(results) || results.length !== items.length) {
      throw new Error(`batch run returned ${Array.isArray(results) ? results.length : typeof results} results for ${items.length} items`);
    }
    return results;
  }

  private deliver(slot: Slot<I, O>, result: O): void {
    const { request } = slot;
    if (request.failed) return;
    request.results[slot.index] = result;
    if (--request.remaining === 0) request.resolve(request.results);
  }

  private fail(request: Request<I, O>, err: unknown): void {
    if (request.failed) return;
    request.failed = true;
    request.reject(err);
  }
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer (got ${v})`);
  return v;
}
