/**
 * The catalogue's attribute vocabulary (attribute -> values, with product counts), read from the
 * store's facet counts. It decides which attribute names filters and facets accept, and builds the
 * query understanding (src/query/query-understanding.ts) from the live values, the lexicon training
 * learned and the colour dictionary.
 *
 * `refresh` reads it all from the store: the attribute names every stored product carries (so names
 * added through the API stay filterable after a restart) and their value counts; it runs at start
 * and after an ingest. Product writes do not rescan the catalogue: `apply` moves the counts by the
 * products a write removed and added, makes new names known at once, and rebuilds the query
 * understanding at most once per `rebuildDelayMs` (a burst of writes costs one rebuild).
 */
import { ATTRIBUTE_NAMES, type Product } from '../domain/product';
import { Lexicon } from '../query/lexicon';
import { QueryUnderstanding, type UnderstandingOptions, type ValueCounts } from '../query/query-understanding';
import type { VectorStore } from '../stores/vector-store';

const MAX_VALUES_PER_ATTRIBUTE = 10_000;

/** Attributes text can name: all but sizes, whose values ("s", "m", "40") are ordinary words and numbers. */
export const UNDERSTOOD_EXCEPT: ReadonlySet<string> = new Set(['size']);

export interface CatalogVocabularyOptions {
  lexicon?: Lexicon;
  /** The colour dictionary (loadColourDictionary); empty: no colour names beyond the catalogue's. */
  colourDictionary?: ReadonlyMap<string, string>;
  understanding?: Partial<UnderstandingOptions>;
  /** Longest time (ms) between a product write and the rebuilt query understanding (default 250). */
  rebuildDelayMs?: number;
}

/** What a write did to the catalogue: products as they were before it (replaced or deleted), and as written. */
export interface CatalogChange {
  removed: readonly Product[];
  added: readonly Product[];
}

export const DEFAULT_REBUILD_DELAY_MS = 250;

export class CatalogVocabulary {
  private names = new Set<string>(ATTRIBUTE_NAMES);
  private counts: ValueCounts = {};
  private readonly lexicon: Lexicon;
  private readonly colourDictionary: ReadonlyMap<string, string>;
  private queryUnderstanding: QueryUnderstanding;
  private readonly variants = new Map<string, QueryUnderstanding>();
  private rebuildTimer: NodeJS.Timeout | null = null;
  private rebuilds = 0;

  constructor(
    private readonly store: Pick<VectorStore, 'facets' | 'attributeNames'>,
    private readonly options: CatalogVocabularyOptions = {},
  ) {
    this.lexicon = options.lexicon ?? Lexicon.empty();
    this.colourDictionary = options.colourDictionary ?? new Map();
    this.queryUnderstanding = this.build();
  }

  /** Attribute names that filters and facets accept. */
  get knownAttributes(): ReadonlySet<string> {
    return this.names;
  }

  get understanding(): QueryUnderstanding {
    return this.queryUnderstanding;
  }

  /** Query understanding of the same vocabulary with other settings (built once per settings until the next refresh). */
  understandingWith(options: Partial<UnderstandingOptions>): QueryUnderstanding {
    const key = JSON.stringify(options);
    let built = this.variants.get(key);
    if (!built) {
      built = this.build({ ...this.options.understanding, ...options });
      this.variants.set(key, built);
    }
    return built;
  }

  /** Attribute values present in the catalogue, by attribute name. */
  get values(): Record<string, string[]> {
    return Object.fromEntries(Object.entries(this.counts).map(([name, counts]) => [name, Object.keys(counts)]));
  }

  /** Adds attribute names seen on written products. */
  observe(attributeNames: Iterable<string>): void {
    for (const n of attributeNames) this.names.add(n);
  }

  /** Reads names and value counts from the store and rebuilds the understanding now. */
  async refresh(): Promise<void> {
    for (const n of await this.store.attributeNames()) this.names.add(n);
    const facets = await this.store.facets([...this.names], undefined, MAX_VALUES_PER_ATTRIBUTE);
    const counts: ValueCounts = {};
    for (const f of facets) counts[f.attribute] = Object.fromEntries(f.values.map((v) => [v.value, v.count]));
    this.counts = counts;
    this.cancelRebuild();
    this.rebuild();
  }

  /**
   * Applies a product write without reading the store: value counts move by the removed and added
   * products, names of added products are accepted at once, and the query understanding is rebuilt
   * within `rebuildDelayMs`.
   */
  apply(change: CatalogChange): void {
    const counts: ValueCounts = { ...this.counts };
    const touched = new Set<string>();
    const move = (product: Product, by: 1 | -1) => {
      for (const [name, values] of Object.entries(product.attributes)) {
        if (by > 0) this.names.add(name);
        if (!touched.has(name)) {
          touched.add(name);
          counts[name] = { ...(counts[name] ?? {}) };
        }
        const byValue = counts[name];
        for (const value of new Set(values)) {
          const next = (byValue[value] ?? 0) + by;
          if (next > 0 && (value in byValue || Object.keys(byValue).length < MAX_VALUES_PER_ATTRIBUTE)) byValue[value] = next;
          else delete byValue[value];
        }
      }
    };
    for (const p of change.removed) move(p, -1);
    for (const p of change.added) move(p, 1);
    if (touched.size === 0) return;
    this.counts = counts;
    this.scheduleRebuild();
  }

  /** Rebuilds now when a rebuild is waiting (before a shutdown, and in tests). */
  settle(): void {
    if (!this.rebuildTimer) return;
    this.cancelRebuild();
    this.rebuild();
  }

  /** Stops a waiting rebuild (the process is stopping). */
  close(): void {
    this.cancelRebuild();
  }

  /** Rebuilds of the query understanding since construction (one per refresh or per coalesced burst of writes). */
  get rebuildCount(): number {
    return this.rebuilds;
  }

  private scheduleRebuild(): void {
    if (this.rebuildTimer) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      this.rebuild();
    }, this.options.rebuildDelayMs ?? DEFAULT_REBUILD_DELAY_MS);
    this.rebuildTimer.unref();
  }

  private cancelRebuild(): void {
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
  }

  private rebuild(): void {
    this.rebuilds++;
    this.variants.clear();
    this.queryUnderstanding = this.build();
  }

  private build(options: Partial<UnderstandingOptions> | undefined = this.options.understanding): QueryUnderstanding {
    const understood = Object.fromEntries(Object.entries(this.counts).filter(([name]) => !UNDERSTOOD_EXCEPT.has(name)));
    return new QueryUnderstanding(understood, this.lexicon, this.colourDictionary, options);
  }
}
