/**
 * In-memory attribute index over product slots: keyword postings (key -> value -> slots, with a
 * bitset per value), the price column, the in-stock set and the live set. Filters evaluate to
 * bitsets of slots with the semantics of src/domain/filter-evaluator.ts.
 *
 * Counts and facets without scans: a filter's bitset and its popcount are kept per filter until the
 * next write (filter-cache.ts), so `totalCount`, the search candidates and the facets of one request
 * (and of the next page) evaluate the filter once. A facet count is the popcount of the value's
 * bitset AND the filter's bitset, over the words where the filter has members (about a nanosecond
 * a word); when the filter keeps so few products that reading their own values is cheaper (about
 * 64 words' worth per product), their values are tallied instead. Both ways count each product once
 * per value and give identical counts; the cheaper is taken.
 */
import type { Condition, Filter } from '../../domain/filter';
import { IN_STOCK_KEY, PRICE_KEY, type Product } from '../../domain/product';
import { Bitset } from './bitset';
import { FilterCache, type FacetValue, type FilterEntry } from './filter-cache';
import { inRange, keywordPayload } from '../../domain/filter-evaluator';

/**
 * The products holding one value: a set while they are few, a bitset once it is smaller than the
 * set would be (from about one product in 192, DENSE_SHARE), which is what most values of a
 * catalogue are (a colour, a category, a size). A bitset posting is updated in place; a set
 * posting materialises its bitset on first use and drops it when it changes.
 */
interface Posting {
  /** Members while few; null once `bits` holds them. */
  slots: Set<number> | null;
  bits?: Bitset;
  size: number;
}

/** A set entry costs about 24 bytes and a bitset one bit per slot: a set turns into a bitset past this share of the slots. */
const DENSE_SHARE = 1 / 192;
/** Sets this small stay sets whatever the share. */
const DENSE_MIN = 64;

export class AttributeIndex {
  readonly live = new Bitset(1024);
  private readonly postings = new Map<string, Map<string, Posting>>();
  private readonly payloads: (Record<string, string[]> | undefined)[] = [];
  /** Attribute names (product.attributes keys, not the fallback fields) by slot, and products per name. */
  private readonly attributeKeys: (string[] | undefined)[] = [];
  private readonly productsByAttribute = new Map<string, number>();
  private prices = new Float64Array(1024);
  private readonly inStock = new Bitset(1024);
  private liveCount = 0;
  /** Raised by every change; cached filter results carry the version they were computed at. */
  private version = 0;
  private readonly cache = new FilterCache();
  /** One frozen copy of each distinct list of values, per key (see `shared`). */
  private readonly lists = new Map<string, Map<string, string[]>>();

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
    this.version++;
    const payload = this.shared(keywordPayload(product));
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
        if (!p) byValue.set(v, (p = { slots: new Set(), size: 0 }));
        this.addTo(p, slot);
      }
    }
    if (slot >= this.prices.length) {
      const cap = Math.max(slot + 1, this.prices.length * 2);
      const prices = new Float64Array(cap);
      prices.set(this.prices);
      this.prices = prices;
    }
    this.prices[slot] = product.price;
    if (product.inStock) this.inStock.add(slot);
    this.live.add(slot);
    this.liveCount++;
  }

  /**
   * The payload with each list of values replaced by the index's one copy of an equal list (most
   * lists are one value shared by thousands of products), so a catalogue held in memory costs one
   * object per product rather than one per value, and opening a large store spends less time in
   * garbage collection.
   */
  private shared(payload: Record<string, string[]>): Record<string, string[]> {
    for (const key of Object.keys(payload)) {
      const values = payload[key];
      const id = values.length === 1 ? values[0] : values.join('\u0000');
      let lists = this.lists.get(key);
      if (!lists) this.lists.set(key, (lists = new Map()));
      let list = lists.get(id);
      if (!list) lists.set(id, (list = Object.freeze([...values]) as string[]));
      payload[key] = list;
    }
    return payload;
  }

  remove(slot: number): void {
    if (!this.live.has(slot)) return;
    this.version++;
    this.inStock.delete(slot);
    const payload = this.payloads[slot];
    if (payload) {
      for (const [key, values] of Object.entries(payload)) {
        const byValue = this.postings.get(key);
        if (!byValue) continue;
        for (const v of values) {
          const p = byValue.get(v);
          if (!p) continue;
          this.removeFrom(p, slot);
          if (p.size === 0) byValue.delete(v);
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
    return this.matching(filter).bits.clone();
  }

  /** Number of live products matching the filter. */
  count(filter: Filter | undefined): number {
    return this.matching(filter).count;
  }

  /** The filter's cached slots and count; the bitset is shared, so it must not be modified. */
  matching(filter: Filter | undefined): Readonly<FilterEntry> {
    const key = FilterCache.key(filter);
    let entry = this.cache.get(key, this.version);
    if (!entry) {
      const bits = this.compute(filter);
      entry = { bits, count: bits.count(), facets: new Map() };
      this.cache.set(key, this.version, entry);
    }
    return entry;
  }

  /** Value counts of one keyword key over the products matching the filter, most frequent first, then by value. */
  facetCounts(key: string, filter: Filter | undefined, limit: number): FacetValue[] {
    const entry = this.matching(filter);
    let counts = entry.facets.get(key);
    if (!counts) {
      counts = this.facet(key, entry.bits, entry.count, Infinity);
      entry.facets.set(key, counts);
    }
    return counts.slice(0, limit).map((c) => ({ ...c }));
  }

  private compute(filter: Filter | undefined): Bitset {
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
          if (c.key !== IN_STOCK_KEY) return new Bitset();
          return c.value ? this.inStock.clone() : this.live.clone().andNot(this.inStock);
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
        return this.compute(c.filter);
    }
  }

  private scan(pred: (slot: number) => boolean): Bitset {
    const out = new Bitset(this.live.capacity);
    this.live.forEach((s) => {
      if (pred(s)) out.add(s);
    });
    return out;
  }

  private addTo(p: Posting, slot: number): void {
    if (p.slots) {
      p.slots.add(slot);
      p.bits = undefined;
      p.size = p.slots.size;
      if (p.size >= DENSE_MIN && p.size >= DENSE_SHARE * Math.max(this.payloads.length, slot + 1)) {
        p.bits = Bitset.from(p.slots, this.live.capacity);
        p.slots = null;
      }
    } else if (!p.bits!.has(slot)) {
      p.bits!.add(slot);
      p.size++;
    }
  }

  private removeFrom(p: Posting, slot: number): void {
    if (p.slots) {
      p.slots.delete(slot);
      p.bits = undefined;
      p.size = p.slots.size;
    } else if (p.bits!.has(slot)) {
      p.bits!.delete(slot);
      p.size--;
    }
  }

  /** The value's members as a bitset; shared, so callers must not modify it. */
  private postingBits(key: string, value: string): Bitset | undefined {
    const p = this.postings.get(key)?.get(value);
    if (!p) return undefined;
    if (!p.bits) p.bits = Bitset.from(p.slots!, this.live.capacity);
    return p.bits;
  }

  /** Value counts of one keyword key over the given slots, most frequent first, then by value. */
  facet(key: string, within: Bitset, withinCount: number, limit: number): { value: string; count: number }[] {
    const byValue = this.postings.get(key);
    if (!byValue) return [];
    const counts: { value: string; count: number }[] = [];
    const [from, to] = within.wordSpan();
    // One AND + popcount per value over the filter's words, or one look at each member's values.
    if (withinCount * 64 < byValue.size * (to - from)) {
      const tally = new Map<string, number>();
      within.forEach((s) => {
        const values = this.payloads[s]?.[key];
        if (!values) return;
        for (const v of new Set(values)) tally.set(v, (tally.get(v) ?? 0) + 1);
      });
      for (const [value, count] of tally) counts.push({ value, count });
    } else {
      for (const value of byValue.keys()) {
        const n = this.postingBits(key, value)!.andCount(within, from, to);
        if (n > 0) counts.push({ value, count: n });
      }
    }
    counts.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return counts.slice(0, limit);
  }
}
