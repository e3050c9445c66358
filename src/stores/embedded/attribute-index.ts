/**
 * In-memory attribute index over product slots: keyword postings (key -> value -> slots), price and
 * stock columns, and the live set. Filters evaluate to bitsets of slots with the semantics of
 * filter-evaluator.ts; facet counts intersect postings with a filter's bitset.
 */
import type { Condition, Filter } from '../../domain/filter';
import { IN_STOCK_KEY, PRICE_KEY, type Product } from '../../domain/product';
import { Bitset } from './bitset';
import { inRange, keywordPayload } from './filter-evaluator';

interface Posting {
  slots: Set<number>;
  /** Materialised on first use, dropped when the posting changes. */
  bits?: Bitset;
}

export class AttributeIndex {
  readonly live = new Bitset(1024);
  private readonly postings = new Map<string, Map<string, Posting>>();
  private readonly payloads: (Record<string, string[]> | undefined)[] = [];
  /** Attribute names (product.attributes keys, not the fallback fields) by slot, and products per name. */
  private readonly attributeKeys: (string[] | undefined)[] = [];
  private readonly productsByAttribute = new Map<string, number>();
  private prices = new Float64Array(1024);
  private stock = new Uint8Array(1024);
  private liveCount = 0;

  /** `slotOf` resolves product ids for `hasId` conditions. */
  constructor(private readonly slotOf: (id: string) => number | undefined) {}

  get size(): number {
    return this.liveCount;
  }

  /** One past the highest slot ever held. */
  get slotBound(): number {
    return this.payloads.length;
  }

  set(slot: number, product: Product): void {
    if (this.live.has(slot)) this.remove(slot);
    const payload = keywordPayload(product);
    while (this.payloads.length <= slot) this.payloads.push(undefined);
    this.payloads[slot] = payload;
    const names = Object.keys(product.attributes);
    while (this.attributeKeys.length <= slot) this.attributeKeys.push(undefined);
    this.attributeKeys[slot] = names;
    for (const n of names) this.productsByAttribute.set(n, (this.productsByAttribute.get(n) ?? 0) + 1);
    for (const [key, values] of Object.entries(payload)) {
      let byValue = this.postings.get(key);
      if (!byValue) this.postings.set(key, (byValue = new Map()));
      for (const v of values) {
        let p = byValue.get(v);
        if (!p) byValue.set(v, (p = { slots: new Set() }));
        p.slots.add(slot);
        p.bits = undefined;
      }
    }
    if (slot >= this.prices.length) {
      const cap = Math.max(slot + 1, this.prices.length * 2);
      const prices = new Float64Array(cap);
      prices.set(this.prices);
      this.prices = prices;
      const stock = new Uint8Array(cap);
      stock.set(this.stock);
      this.stock = stock;
    }
    this.prices[slot] = product.price;
    this.stock[slot] = product.inStock ? 1 : 0;
    this.live.add(slot);
    this.liveCount++;
  }

  remove(slot: number): void {
    if (!this.live.has(slot)) return;
    const payload = this.payloads[slot];
    if (payload) {
      for (const [key, values] of Object.entries(payload)) {
        const byValue = this.postings.get(key);
        if (!byValue) continue;
        for (const v of values) {
          const p = byValue.get(v);
          if (!p) continue;
          p.slots.delete(slot);
          p.bits = undefined;
          if (p.slots.size === 0) byValue.delete(v);
        }
        if (byValue.size === 0) this.postings.delete(key);
      }
    }
    this.payloads[slot] = undefined;
    for (const n of this.attributeKeys[slot] ?? []) {
      const left = (this.productsByAttribute.get(n) ?? 1) - 1;
      if (left > 0) this.productsByAttribute.set(n, left);
      else this.productsByAttribute.delete(n);
    }
    this.attributeKeys[slot] = undefined;
    this.live.delete(slot);
    this.liveCount--;
  }

  /** Attribute names at least one live product carries. */
  attributeNames(): string[] {
    return [...this.productsByAttribute.keys()];
  }

  /** Slots of live products matching the filter (a fresh bitset the caller may modify). */
  evaluate(filter: Filter | undefined): Bitset {
    if (!filter) return this.live.clone();
    const result = this.live.clone();
    for (const c of filter.must ?? []) result.and(this.condition(c));
    const should = filter.should ?? [];
    if (should.length > 0) {
      const any = new Bitset(this.live.capacity);
      for (const c of should) any.or(this.condition(c));
      result.and(any);
    }
    for (const c of filter.mustNot ?? []) result.andNot(this.condition(c));
    return result;
  }

  private condition(c: Condition): Bitset {
    switch (c.kind) {
      case 'match':
        if (typeof c.value === 'boolean') {
          return c.key === IN_STOCK_KEY ? this.scan((s) => (this.stock[s] === 1) === c.value) : new Bitset();
        }
        return this.postingBits(c.key, c.value)?.clone() ?? new Bitset();
      case 'matchAny': {
        const out = new Bitset(this.live.capacity);
        for (const v of new Set(c.any)) {
          const b = this.postingBits(c.key, v);
          if (b) out.or(b);
        }
        return out;
      }
      case 'matchExcept': {
        const out = new Bitset(this.live.capacity);
        const byValue = this.postings.get(c.key);
        if (!byValue) return out;
        const except = new Set(c.except);
        for (const v of byValue.keys()) {
          if (except.has(v)) continue;
          const b = this.postingBits(c.key, v);
          if (b) out.or(b);
        }
        return out;
      }
      case 'range':
        return c.key === PRICE_KEY ? this.scan((s) => inRange(this.prices[s], c)) : new Bitset();
      case 'hasId': {
        const out = new Bitset(this.live.capacity);
        for (const id of c.ids) {
          const s = this.slotOf(id);
          if (s !== undefined) out.add(s);
        }
        return out;
      }
      case 'nested':
        return this.evaluate(c.filter);
    }
  }

  private scan(pred: (slot: number) => boolean): Bitset {
    const out = new Bitset(this.live.capacity);
    this.live.forEach((s) => {
      if (pred(s)) out.add(s);
    });
    return out;
  }

  private postingBits(key: string, value: string): Bitset | undefined {
    const p = this.postings.get(key)?.get(value);
    if (!p) return undefined;
    if (!p.bits) p.bits = Bitset.from(p.slots, this.live.capacity);
    return p.bits;
  }

  /** Value counts of one keyword key over the given slots, most frequent first, then by value. */
  facet(key: string, within: Bitset, withinCount: number, limit: number): { value: string; count: number }[] {
    const byValue = this.postings.get(key);
    if (!byValue) return [];
    const counts: { value: string; count: number }[] = [];
    if (withinCount * 4 < byValue.size * 32 || withinCount < 4096) {
      // Few matches: tally the matching products' own values.
      const tally = new Map<string, number>();
      within.forEach((s) => {
        const values = this.payloads[s]?.[key];
        if (!values) return;
        for (const v of new Set(values)) tally.set(v, (tally.get(v) ?? 0) + 1);
      });
      for (const [value, count] of tally) counts.push({ value, count });
    } else {
      for (const value of byValue.keys()) {
        const b = this.postingBits(key, value)!;
        const n = b.clone().and(within).count();
        if (n > 0) counts.push({ value, count: n });
      }
    }
    counts.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return counts.slice(0, limit);
  }
}
