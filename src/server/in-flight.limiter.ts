/**
 * A bound on GraphQL requests being processed at once (MAX_IN_FLIGHT). Beyond it the HTTP front
 * answers 503 with Retry-After and the code OVERLOADED at once, without reading the body, so a burst
 * of clients sheds load instead of queueing every request in memory (and /healthz, answered before
 * any admission, stays prompt). Requests are admitted, not queued: a client that is refused retries.
 */
export class InFlightLimiter {
  private active = 0;
  private refusedTotal = 0;

  constructor(readonly maxInFlight: number) {
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer (got ${maxInFlight})`);
  }

  /** Admits one request: a release function to call exactly once when it ends, or null when full. */
  tryAcquire(): (() => void) | null {
    if (this.active >= this.maxInFlight) {
      this.refusedTotal++;
      return null;
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }

  /** Requests being processed now. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests refused since start. */
  get refused(): number {
    return this.refusedTotal;
  }
}
