/**
 * Per-client rate limits for expensive operations, as token buckets: a client (an API key, or the
 * client address when anonymous) may do N operations of a kind a minute, in bursts of up to a
 * sixth of that (ten seconds' worth, at least one). Buckets refill continuously.
 *
 * Memory stays bounded: at most `maxClients` buckets are kept, the least recently used dropped
 * first (a dropped bucket is a full one, which a client that has been idle for long has anyway).
 */
export interface RateLimit {
  /** Operations a minute; 0 or less disables the limit. */
  perMinute: number;
  /** Largest burst (default max(1, ceil(perMinute / 6))). */
  burst?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updated: number;
}

export class TokenBucketLimiter<K extends string = string> {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limits: Map<K, { rate: number; burst: number }>;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(limits: Partial<Record<K, RateLimit>>, options: { maxClients?: number; now?: () => number } = {}) {
    this.limits = new Map();
    for (const [kind, limit] of Object.entries(limits) as [K, RateLimit | undefined][]) {
      if (!limit || !(limit.perMinute > 0)) continue;
      const burst = limit.burst ?? Math.max(1, Math.ceil(limit.perMinute / 6));
      if (!Number.isFinite(limit.perMinute) || !Number.isSafeInteger(burst) || burst < 1) {
        throw new RangeError(`rate limit of ${kind}: perMinute must be finite and burst a positive integer`);
      }
      this.limits.set(kind, { rate: limit.perMinute / 60_000, burst });
    }
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The limit of `kind` in operations a minute, or null when it is not limited. */
  perMinute(kind: K): number | null {
    const limit = this.limits.get(kind);
    return limit ? Math.round(limit.rate * 60_000 * 1000) / 1000 : null;
  }

  /** Takes one token of `kind` for `client`; says when to retry when there is none. */
  take(kind: K, client: string): RateDecision {
    const limit = this.limits.get(kind);
    if (!limit) return { allowed: true };
    const key = `${kind}\u0000${client}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, updated: now };
    this.buckets.delete(key); // re-inserted below: the map's order is least recently used first
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.updated) * limit.rate);
    bucket.updated = now;
    let decision: RateDecision;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      decision = { allowed: true };
    } else {
      decision = { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.rate / 1000)) };
    }
    this.buckets.set(key, bucket);
    while (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value as string);
    return decision;
  }

  /** Buckets held now (at most maxClients). */
  get clients(): number {
    return this.buckets.size;
  }
}
