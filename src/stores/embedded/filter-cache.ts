/**
 * What the attribute index computed for a filter (its slots, their number, its facet counts),
 * kept for the next requests with the same filter until the next write. A search page asks for the
 * same filter three times (candidates, totalCount, facets) and the next page asks again, so most
 * requests find their filter here; every write (upsert or delete) empties the cache, so a hit is
 * always the answer a fresh evaluation would give.
 */
import type { Filter } from '../../domain/filter';
import type { Bitset } from './bitset';

export interface FacetValue {
  value: string;
  count: number;
}

export interface FilterEntry {
  /** Shared: never modify; clone it to change it. */
  bits: Bitset;
  count: number;
  /** Full facet counts per keyword key, most frequent first, ties by value. */
  facets: Map<string, FacetValue[]>;
}

export const FILTER_CACHE_ENTRIES = 64;

export class FilterCache {
  private readonly entries = new Map<string, FilterEntry>();
  private version = 0;

  constructor(private readonly capacity = FILTER_CACHE_ENTRIES) {}

  static key(filter: Filter | undefined): string {
    return filter ? JSON.stringify(filter) : '';
  }

  /** The entry of a filter made at `version`; stale entries are dropped. */
  get(key: string, version: number): FilterEntry | undefined {
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, version: number, entry: FilterEntry): void {
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
