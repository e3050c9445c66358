/**
 * The ranking stage of rules: boosts and buries reorder a segment of the canonical ranking, pins put
 * products at positions of the whole ranking. Both work on positions, not on store scores, so they
 * act the same on every store and every search mode (scores of a fused text search and of an image
 * search have different scales).
 *
 * Boost: in a segment of n products, the product at position i (0-based, after attribute
 * re-ranking) has the rank score 1 - i/n; each boost whose attribute value it has adds the boost's
 * weight; the segment is sorted by the sum (ties keep their order). So a weight of 1 puts products
 * with the value above every product without it, -1 below every product without it, and 0.5 moves a
 * product up by half the segment.
 */
import type { Product } from '../domain/product';
import type { AppliedBoost, PlacedPin, RuleReference } from './rule-set';

export type RuleEffectKind = 'PIN' | 'BOOST' | 'BURY';

/** What a rule did to one result. */
export interface HitRuleEffect {
  rule: RuleReference;
  kind: RuleEffectKind;
  /** e.g. "pinned at position 1", "boosted by 0.5 (brand = acme)". */
  detail: string;
}

export function hasBoostedValue(product: Product, boost: AppliedBoost): boolean {
  const values = product.attributes[boost.attribute];
  return values !== undefined && values.some((v) => boost.values.has(v));
}

/** The segment's new order (indexes into `products`) and each product's boost effects. */
export function applyBoosts(products: readonly Product[], boosts: readonly AppliedBoost[]): { order: number[]; effects: HitRuleEffect[][] } {
  const n = products.length;
  const effects: HitRuleEffect[][] = products.map(() => []);
  const score = products.map((product, i) => {
    let s = 1 - i / n;
    for (const b of boosts) {
      if (!hasBoostedValue(product, b)) continue;
      s += b.weight;
      const values = product.attributes[b.attribute].filter((v) => b.values.has(v)).join(', ');
      effects[i].push({
        rule: b.rule,
        kind: b.weight > 0 ? 'BOOST' : 'BURY',
        detail: `${b.weight > 0 ? 'boosted' : 'buried'} by ${Math.abs(b.weight)} (${b.attribute} = ${values})`,
      });
    }
    return s;
  });
  const order = products.map((_, i) => i).sort((a, b) => score[b] - score[a] || a - b);
  return { order, effects };
}

/**
 * Puts pinned items at their positions (1-based) in `ranked`, taking them out of where they were.
 * A pin beyond the end of a ranking that goes on (not `exhausted`) waits for a deeper page; beyond
 * the end of an exhausted ranking it comes last.
 */
export function placePins<T extends { product: Product }>(ranked: readonly T[], pins: readonly PlacedPin[], items: ReadonlyMap<string, T>, exhausted: boolean): { ranked: T[]; placed: Map<string, PlacedPin> } {
  const pinnedIds = new Set(pins.filter((p) => items.has(p.productId)).map((p) => p.productId));
  // A pinned product the ranking holds keeps its retrieval scores in the explanation.
  const inRanking = new Map(ranked.filter((x) => pinnedIds.has(x.product.id)).map((x) => [x.product.id, x]));
  const out = ranked.filter((x) => !pinnedIds.has(x.product.id));
  const placed = new Map<string, PlacedPin>();
  for (const pin of [...pins].sort((a, b) => a.position - b.position)) {
    const item = pinnedIds.has(pin.productId) ? (inRanking.get(pin.productId) ?? items.get(pin.productId)) : undefined;
    if (!item) continue;
    if (pin.position - 1 <= out.length) out.splice(pin.position - 1, 0, item);
    else if (exhausted) out.push(item);
    else continue;
    placed.set(pin.productId, pin);
  }
  return { ranked: out, placed };
}
