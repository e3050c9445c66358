/**
 * The catalogue's attribute vocabulary (attribute -> values, with product counts), read from the
 * store's facet counts. It decides which attribute names filters and facets accept, and builds the
 * query understanding (src/query/query-understanding.ts) from the live values, the lexicon training
 * learned and the colour dictionary. Refreshed after ingest and after product writes.
 */
import { ATTRIBUTE_NAMES } from '../domain/product';
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
}

export class CatalogVocabulary {
  private names = new Set<string>(ATTRIBUTE_NAMES);
  private counts: ValueCounts = {};
  private readonly lexicon: Lexicon;
  private readonly colourDictionary: ReadonlyMap<string, string>;
  private queryUnderstanding: QueryUnderstanding;
  private readonly variants = new Map<string, QueryUnderstanding>();

  constructor(
    private readonly store: Pick<VectorStore, 'facets'>,
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

  async refresh(): Promise<void> {
    const facets = await this.store.facets([...this.names], undefined, MAX_VALUES_PER_ATTRIBUTE);
    const counts: ValueCounts = {};
    for (const f of facets) counts[f.attribute] = Object.fromEntries(f.values.map((v) => [v.value, v.count]));
    this.counts = counts;
    this.variants.clear();
    this.queryUnderstanding = this.build();
  }

  private build(options: Partial<UnderstandingOptions> | undefined = this.options.understanding): QueryUnderstanding {
    const understood = Object.fromEntries(Object.entries(this.counts).filter(([name]) => !UNDERSTOOD_EXCEPT.has(name)));
    return new QueryUnderstanding(understood, this.lexicon, this.colourDictionary, options);
  }
}
