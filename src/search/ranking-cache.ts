/**
 * The canonical rankings of recent searches, for the pages that follow them.
 *
 * A first page computes its query's canonical ranking (search.service.ts: the pinned identifier
 * matches and the segments of the fused store ranking) and keeps it here under the query's
 * fingerprint and the catalogue version it was ranked at. A later page of the same search (a cursor
 * carries both) takes the ranking from here instead of retrieving it again, as long as the ranking
 * reaches the positions the page needs. A first page always ranks afresh, so new query models or
 * settings are in use from the next search on, and a write to the catalogue changes the version,
 * so no page is served from a ranking of another catalogue. Stores that cannot tell their version
 * (null) are not cached.
 *
 * Least recently used rankings go first beyond `maxEntries`.
 */
import type { ScoredHit } from '../stores/vector-store';

export interface CanonicalRanking {
  pinned: ScoredHit[];
  segments: ScoredHit[][];
  /** True when the store had no more results: the ranking covers every position. */
  exhausted: boolean;
}

/** Positions a ranking holds: its pinned hits and its segments' hits. */
export function rankedPositions(ranking: CanonicalRanking): number {
  return ranking.segments.reduce((n, s) => n + s.length, ranking.pinned.length);
}

export class RankingCache {
  private readonly entries = new Map<string, CanonicalRanking>();

  constructor(private readonly maxEntries = 256) {}

  private static key(fingerprint: string, catalogVersion: string): string {
    return `${catalogVersion}\u0000${fingerprint}`;
  }

  /** The ranking kept for this query at this catalogue version, when it reaches `needed` positions. */
  get(fingerprint: string, catalogVersion: string | null, needed: number): CanonicalRanking | undefined {
    if (catalogVersion === null) return undefined;
    const key = RankingCache.key(fingerprint, catalogVersion);
    const ranking = this.entries.get(key);
    if (!ranking || (!ranking.exhausted && rankedPositions(ranking) < needed)) return undefined;
    this.entries.delete(key);
    this.entries.set(key, ranking);
    return ranking;
  }

  set(fingerprint: string, catalogVersion: string | null, ranking: CanonicalRanking): void {
    if (catalogVersion === null || this.maxEntries === 0) return;
    const key = RankingCache.key(fingerprint, catalogVersion);
    this.entries.delete(key);
    this.entries.set(key, ranking);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
