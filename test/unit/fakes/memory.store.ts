/**
 * An in-memory VectorStore for unit tests: exact scoring, Qdrant filter semantics, RRF (k = 60),
 * a naive lexical scorer (term overlap) and facet counts. Small and obvious on purpose.
 */
import { dot } from '../../../src/domain/embedding';
import type { Condition, Filter } from '../../../src/domain/filter';
import { filterablePredictions, PREDICTED_KEY_PREFIX, type Product } from '../../../src/domain/product';
import { denseSourceName } from '../../../src/stores/vector-store';
import type {
  FacetCount,
  ScoredHit,
  ScorePart,
  ScrollPage,
  SearchRequest,
  SpaceRecord,
  StoreInfo,
  StoredProduct,
  VectorSpace,
  VectorStore,
} from '../../../src/stores/vector-store';

function fieldValues(p: Product, key: string): (string | number | boolean)[] {
  if (key === 'price') return [p.price];
  if (key === 'inStock') return [p.inStock];
  if (key.startsWith(PREDICTED_KEY_PREFIX)) return filterablePredictions(p)[key.slice(PREDICTED_KEY_PREFIX.length)] ?? [];
  return p.attributes[key] ?? [];
}

function holds(p: Product, c: Condition): boolean {
  switch (c.kind) {
    case 'match':
      return fieldValues(p, c.key).some((v) => v === c.value);
    case 'matchAny':
      return fieldValues(p, c.key).some((v) => c.any.includes(v as string));
    case 'matchExcept': {
      const vs = fieldValues(p, c.key);
      return vs.length > 0 && vs.some((v) => !c.except.includes(v as string));
    }
    case 'range':
      return fieldValues(p, c.key).some(
        (v) =>
          typeof v === 'number' &&
          (c.gt === undefined || v > c.gt) &&
          (c.gte === undefined || v >= c.gte) &&
          (c.lt === undefined || v < c.lt) &&
          (c.lte === undefined || v <= c.lte),
      );
    case 'hasId':
      return c.ids.includes(p.id);
    case 'nested':
      return matches(p, c.filter);
  }
}

export function matches(p: Product, f: Filter | undefined): boolean {
  if (!f) return true;
  if (f.must && !f.must.every((c) => holds(p, c))) return false;
  if (f.should && f.should.length > 0 && !f.should.some((c) => holds(p, c))) return false;
  if (f.mustNot && f.mustNot.some((c) => holds(p, c))) return false;
  return true;
}

export class MemoryStore implements VectorStore {
  readonly items = new Map<string, StoredProduct>();
  readonly searches: SearchRequest[] = [];
  opened = false;
  /** Raised by every write, like the embedded store's write sequence. */
  writes = 0;

  async open(): Promise<void> {
    this.opened = true;
  }
  async close(): Promise<void> {
    this.opened = false;
  }
  async upsert(items: StoredProduct[]): Promise<void> {
    this.writes++;
    for (const it of items) this.items.set(it.product.id, { product: structuredClone(it.product), vectors: { ...it.vectors } });
  }
  async delete(ids: string[]): Promise<number> {
    this.writes++;
    return ids.filter((id) => this.items.delete(id)).length;
  }
  async getProducts(ids: string[]): Promise<(Product | null)[]> {
    return ids.map((id) => this.items.get(id)?.product ?? null);
  }
  async getVector(id: string, space: VectorSpace): Promise<Float32Array | null> {
    return this.items.get(id)?.vectors[space] ?? null;
  }
  private candidates(filter?: Filter, excludeIds: string[] = []): StoredProduct[] {
    return [...this.items.values()].filter((it) => !excludeIds.includes(it.product.id) && matches(it.product, filter));
  }
  async search(request: SearchRequest): Promise<ScoredHit[]> {
    this.searches.push(request);
    const pool = this.candidates(request.filter, request.excludeIds);
    const lists: { source: ScorePart['source']; ranked: { id: string; score: number }[] }[] = [];
    for (const d of request.dense) {
      const ranked = pool
        .filter((it) => it.vectors[d.space] && matches(it.product, d.filter))
        .map((it) => ({ id: it.product.id, score: dot(it.vectors[d.space] as Float32Array, d.vector) }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, request.limit);
      lists.push({ source: denseSourceName(d), ranked });
    }
    if (request.lexical) {
      const terms = new Set(request.lexical.text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
      const ranked = pool
        .map((it) => {
          const words = `${it.product.title} ${it.product.description} ${it.product.brand}`.toLowerCase().split(/[^a-z0-9]+/);
          return { id: it.product.id, score: words.filter((w) => terms.has(w)).length };
        })
        .filter((x) => x.score > 0)
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, request.limit);
      lists.push({ source: 'lexical', ranked });
    }
    if (lists.length === 1) {
      return lists[0].ranked.map((r, i) => ({ id: r.id, score: r.score, parts: [{ source: lists[0].source, score: r.score, rank: i + 1 }] }));
    }
    const fused = new Map<string, ScoredHit>();
    for (const list of lists) {
      list.ranked.forEach((r, i) => {
        const hit = fused.get(r.id) ?? { id: r.id, score: 0, parts: [] };
        hit.score += 1 / (60 + i + 1);
        hit.parts.push({ source: list.source, score: r.score, rank: i + 1 });
        fused.set(r.id, hit);
      });
    }
    return [...fused.values()].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, request.limit);
  }
  async count(filter?: Filter): Promise<number> {
    return this.candidates(filter).length;
  }
  async facets(attributes: string[], filter?: Filter, limit = 100): Promise<FacetCount[]> {
    const pool = this.candidates(filter);
    return attributes.map((attribute) => {
      const counts = new Map<string, number>();
      for (const it of pool) for (const v of fieldValues(it.product, attribute) as string[]) counts.set(v, (counts.get(v) ?? 0) + 1);
      const values = [...counts.entries()]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
        .slice(0, limit);
      return { attribute, values };
    });
  }
  async scroll(options: { after?: string | null; limit: number; filter?: Filter }): Promise<ScrollPage> {
    const all = this.candidates(options.filter).sort((a, b) => (a.product.id < b.product.id ? -1 : 1));
    const start = options.after ? all.findIndex((it) => it.product.id > (options.after as string)) : 0;
    const items = start < 0 ? [] : all.slice(start, start + options.limit);
    const next = start >= 0 && start + options.limit < all.length ? items[items.length - 1].product.id : null;
    return { items, next };
  }
  async attributeNames(): Promise<string[]> {
    return [...new Set([...this.items.values()].flatMap((it) => Object.keys(it.product.attributes)))].sort();
  }
  async catalogVersion(): Promise<string | null> {
    return `memory.${this.writes}`;
  }
  private space: SpaceRecord | null = null;
  async spaceRecord(): Promise<SpaceRecord | null> {
    return this.space;
  }
  async recordSpace(record: SpaceRecord): Promise<void> {
    this.space = record;
  }
  async info(): Promise<StoreInfo> {
    return { backend: 'memory', products: this.items.size, dimensions: {} };
  }
}
