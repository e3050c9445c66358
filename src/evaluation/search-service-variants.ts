/**
 * Variants that rank the gallery through the API's search service, the object users query, rather
 * than through a tower alone. Each query becomes the SearchQuery a client would send and the
 * ranked list is read page by page with the service's cursors, to the depth the run needs:
 *
 * - text:     `search` (query understanding, the configured sources and the attribute source fused
 *             by RRF, attribute re-ranking), `search-no-rerank` (the same without re-ranking),
 *             `search-no-understanding` (the text as typed: no spelling correction, no exclusions,
 *             no attribute source) and `search-lexical-only` (BM25 alone);
 * - composed, composed-meaning: `search` with the reference product as image and the modifier, and
 *             `search-no-understanding` (the fusion network alone);
 * - realshot, realshot-indist: `search` with the query photo (sent as base64 bytes, as a client
 *             would; category prediction as configured), and, when an attributes model predicts
 *             categories, `search-no-category` (none), `search-category-boost` and
 *             `search-category-filter` (always that use of it).
 *
 * The service's scores are not comparable across re-ranked segments, so documents are scored by
 * their position (1 / rank): the evaluation keeps the service's order exactly.
 */
import { promises as fs } from 'node:fs';
import { InvalidInputError, NotFoundError } from '../domain/errors';
import type { ModelVersion } from '../encoders/encoder';
import type { SearchOptions } from '../search/search.service';
import type { SearchQuery, SearchResult } from '../search/search.types';
import type { EvalQuery, Variant } from './evaluation-run';
import type { VariantProvider } from './evaluation.service';
import type { ScoredDoc } from './metrics';

/** The part of SearchService these variants use. */
export interface QueryableSearch {
  search(query: SearchQuery): Promise<SearchResult>;
}

/** Builds a search service as the API wires it, with some options replaced. */
export type SearchServiceFactory = (overrides: Partial<SearchOptions>) => QueryableSearch;

/** Service variants per set, in table order (the default configuration last). */
export const SEARCH_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  text: ['search-lexical-only', 'search-no-understanding', 'search-no-rerank', 'search'],
  composed: ['search-no-understanding', 'search'],
  'composed-meaning': ['search-no-understanding', 'search'],
  realshot: ['search'],
  'realshot-indist': ['search'],
};

/** The real-shot variants when image searches can predict categories (an attributes model is loaded). */
export const CATEGORY_VARIANTS: readonly string[] = ['search-no-category', 'search-category-boost', 'search-category-filter', 'search'];

export interface SearchServiceVariantsDeps {
  searchService: SearchServiceFactory;
  /** Versions of the models the service runs with, recorded with each run. */
  models: { text: ModelVersion; image: ModelVersion; fusion: ModelVersion | null };
  /** Page size of each service call (the service's largest page). */
  pageSize?: number;
  readImage?: (file: string) => Promise<Buffer>;
  /** Image searches can predict categories: the real-shot sets compare the uses of it (CATEGORY_VARIANTS). */
  categoryPrediction?: boolean;
}

export class SearchServiceVariants implements VariantProvider {
  private readonly pageSize: number;
  private readonly readImage: (file: string) => Promise<Buffer>;

  constructor(private readonly deps: SearchServiceVariantsDeps) {
    this.pageSize = deps.pageSize ?? 100;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${deps.pageSize}`);
    this.readImage = deps.readImage ?? readImageFile;
  }

  variantNames(set: string): string[] {
    if (this.deps.categoryPrediction && (set === 'realshot' || set === 'realshot-indist')) return [...CATEGORY_VARIANTS];
    return [...(SEARCH_VARIANTS[set] ?? [])];
  }

  async variants(set: string, names: string[]): Promise<Variant[]> {
    const available = this.variantNames(set);
    return names.map((name) => {
      if (!available.includes(name)) {
        throw new InvalidInputError(`search-service variant "${name}" does not apply to set "${set}": choose one of ${available.join(', ') || 'none'}`);
      }
      return this.build(set, name);
    });
  }

  private build(set: string, name: string): Variant {
    if (set === 'text') {
      const overrides: Partial<SearchOptions> =
        name === 'search-lexical-only'
          ? { textSources: ['lexical'], reranker: null, understand: false }
          : name === 'search-no-understanding'
            ? { understand: false }
            : name === 'search-no-rerank'
              ? { reranker: null }
              : {};
      const description = {
        'search-lexical-only': 'search service, BM25 over title, description and brand alone, the text as typed',
        'search-no-understanding': 'search service without query understanding: the text as typed to the towers and BM25, fused by RRF; no spelling correction, attributes, exclusions or prices',
        'search-no-rerank': 'search service as configured without attribute re-ranking',
        search: 'search service as configured: query understanding, text sources and the attribute source fused by RRF, then attribute re-ranking',
      }[name] as string;
      return this.configured(set, name, description, overrides);
    }
    if (set === 'composed' || set === 'composed-meaning') {
      const description =
        name === 'search-no-understanding'
          ? 'search service without query understanding: reference product as image plus the modifier through the fusion network alone'
          : 'search service: reference product as image plus the modifier (fusion; the values the modifier asks for and the reference category restrict an extra source; re-ranking)';
      return this.configured(set, name, description, name === 'search-no-understanding' ? { understand: false } : {});
    }
    // `search` runs as configured (SEARCH_CATEGORY_PREDICTION, AUTO by default); the others fix the use.
    const category = { 'search-no-category': 'OFF', 'search-category-boost': 'BOOST', 'search-category-filter': 'FILTER' } as const;
    const use = category[name as keyof typeof category];
    const what = use === undefined ? 'category prediction as configured' : { OFF: 'without category prediction', BOOST: 'the predicted category boosted', FILTER: 'the predicted category as a filter' }[use];
    return this.configured(set, name, `search service: the query photo as an uploaded image, ${what}`, use === undefined ? {} : { categoryPrediction: use });
  }

  /** A variant of a set ranked by the search service with some options replaced (also used to tune them). */
  configured(set: string, name: string, description: string, overrides: Partial<SearchOptions>): Variant {
    const { text, image, fusion } = this.deps.models;
    const service = this.deps.searchService(overrides);
    if (set === 'text') {
      const lexicalOnly = overrides.textSources?.length === 1 && overrides.textSources[0] === 'lexical';
      return {
        name,
        description,
        models: lexicalOnly ? [] : [text, image],
        rank: async (query, depth) => this.collect(service, { text: need(query.text, 'text', query) }, query, depth),
      };
    }
    if (set === 'composed' || set === 'composed-meaning') {
      return {
        name,
        description,
        models: [image, text, ...(fusion ? [fusion] : [])],
        rank: async (query, depth) =>
          this.collect(service, { image: { productId: need(query.referenceId, 'reference product', query) }, modifier: need(query.modifier, 'modifier', query) }, query, depth),
      };
    }
    return {
      name,
      description,
      models: [image],
      rank: async (query, depth) => {
        const bytes = await this.readImage(need(query.imagePath, 'image', query));
        return this.collect(service, { image: { base64: bytes.toString('base64') } }, query, depth);
      },
    };
  }

  /** Pages through the service's ranking until `depth` documents (the query's exclusions left out). */
  private async collect(service: QueryableSearch, base: SearchQuery, query: EvalQuery, depth: number): Promise<ScoredDoc[]> {
    const excluded = new Set(query.excludeIds ?? []);
    const ids: string[] = [];
    let after: string | null = null;
    while (ids.length < depth) {
      const result: SearchResult = await service.search({ ...base, first: Math.min(this.pageSize, depth - ids.length), after });
      for (const hit of result.hits) if (!excluded.has(hit.product.id) && ids.length < depth) ids.push(hit.product.id);
      if (!result.pageInfo.hasNextPage || result.hits.length === 0 || result.pageInfo.endCursor === null) break;
      after = result.pageInfo.endCursor;
    }
    return ids.map((id, i) => ({ id, score: 1 / (i + 1) }));
  }
}

/**
 * Serves the tower variants and, by name, the search-service variants of the same sets. The
 * default comparison of a set stays the towers'; service variants run when asked for.
 */
export class CombinedVariants implements VariantProvider {
  constructor(
    private readonly primary: VariantProvider,
    private readonly service: VariantProvider,
  ) {}

  variantNames(set: string): string[] {
    return this.primary.variantNames(set);
  }

  serviceVariantNames(set: string): string[] {
    return this.service.variantNames(set);
  }

  async variants(set: string, names: string[]): Promise<Variant[]> {
    const serviceNames = new Set(this.service.variantNames(set));
    const mine = names.filter((n) => serviceNames.has(n));
    const theirs = names.filter((n) => !serviceNames.has(n));
    const built = new Map<string, Variant>();
    if (theirs.length) (await this.primary.variants(set, theirs)).forEach((v, i) => built.set(theirs[i], v));
    if (mine.length) (await this.service.variants(set, mine)).forEach((v, i) => built.set(mine[i], v));
    return names.map((n) => built.get(n) as Variant);
  }
}

function need<T>(value: T | undefined, what: string, query: EvalQuery): T {
  if (value === undefined || value === null || value === '') throw new InvalidInputError(`query "${query.id}" has no ${what}, which this variant needs`);
  return value;
}

async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch {
    throw new NotFoundError(`query image not found: ${file}`, { file });
  }
}
