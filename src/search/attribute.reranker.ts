/**
 * Light re-ranking by attributes stated in the query text. Scale-free: a hit's key is its
 * reciprocal-rank value 1/(k + rank) plus `weight / (k + 1)` times the fraction of stated
 * attribute names the product matches, so weight 1 lets a full match at any rank compete with
 * rank 1. The search service re-ranks each segment of its canonical ranking separately (see
 * search.service.ts), so a page's order never depends on how deep the service retrieved.
 */
import type { AttributeValue } from './search.types';

/** Splits query attributes into those a product has and those it lacks. */
export function matchAttributes(
  query: AttributeValue[],
  productAttributes: Record<string, string[]>,
): { matched: AttributeValue[]; unmatched: AttributeValue[] } {
  const matched: AttributeValue[] = [];
  const unmatched: AttributeValue[] = [];
  for (const a of query) {
    if ((productAttributes[a.name] ?? []).includes(a.value)) matched.push(a);
    else unmatched.push(a);
  }
  return { matched, unmatched };
}

export interface RerankCandidate {
  attributes: Record<string, string[]>;
}

export interface AttributeRerankerOptions {
  weight: number;
  k?: number;
}

export class AttributeReranker {
  private readonly k: number;

  constructor(private readonly options: AttributeRerankerOptions) {
    if (!(options.weight >= 0)) throw new RangeError('reranker weight must be >= 0');
    this.k = options.k ?? 60;
  }

  /** Fraction of distinct stated attribute names with at least one matching value. */
  static matchFraction(query: AttributeValue[], attributes: Record<string, string[]>): number {
    const names = new Set(query.map((a) => a.name));
    if (names.size === 0) return 0;
    const { matched } = matchAttributes(query, attributes);
    return new Set(matched.map((a) => a.name)).size / names.size;
  }

  /**
   * Returns the new order (indices into `items`) and each item's boost (by original index).
   * `extra` adds weighted evidence of another kind per item (0..weight, e.g. colour similarity to
   * the query picture times its weight), on the same scale as the attribute match.
   */
  rerank<T extends RerankCandidate>(items: T[], query: AttributeValue[], extra?: readonly number[]): { order: number[]; boosts: number[] } {
    const boosts = items.map((it, i) => (this.options.weight * AttributeReranker.matchFraction(query, it.attributes) + (extra?.[i] ?? 0)) / (this.k + 1));
    const order = items.map((_, i) => i);
    order.sort((a, b) => 1 / (this.k + b + 1) + boosts[b] - (1 / (this.k + a + 1) + boosts[a]) || a - b);
    return { order, boosts };
  }
}
