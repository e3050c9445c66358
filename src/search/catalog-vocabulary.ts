/**
 * The catalogue's attribute vocabulary (attribute -> values), read from the store's facet counts.
 * It feeds the query parser and decides which attribute names filters and facets accept.
 * Refreshed after ingest and after product writes.
 */
import { ATTRIBUTE_NAMES } from '../domain/product';
import type { VectorStore } from '../stores/vector-store';
import { QueryParser, type AttributeVocabulary } from './query-parser';

const MAX_VALUES_PER_ATTRIBUTE = 10_000;

export class CatalogVocabulary {
  private names = new Set<string>(ATTRIBUTE_NAMES);
  private vocabulary: AttributeVocabulary = {};
  private queryParser = new QueryParser({});

  constructor(private readonly store: Pick<VectorStore, 'facets'>) {}

  /** Attribute names that filters and facets accept. */
  get knownAttributes(): ReadonlySet<string> {
    return this.names;
  }

  get parser(): QueryParser {
    return this.queryParser;
  }

  get values(): AttributeVocabulary {
    return this.vocabulary;
  }

  /** Adds attribute names seen on written products. */
  observe(attributeNames: Iterable<string>): void {
    for (const n of attributeNames) this.names.add(n);
  }

  async refresh(): Promise<void> {
    const facets = await this.store.facets([...this.names], undefined, MAX_VALUES_PER_ATTRIBUTE);
    const vocabulary: AttributeVocabulary = {};
    for (const f of facets) vocabulary[f.attribute] = f.values.map((v) => v.value);
    this.vocabulary = vocabulary;
    this.queryParser = new QueryParser(vocabulary);
  }
}
