/**
 * The search service: validates a query, has it planned (search-planner.ts: encoders, query
 * understanding, sources, conditions), and turns the store's scored hits into a page with cursors,
 * facet counts over the whole filtered result and per-hit explanations. Identifiers in a text
 * (words with letters and digits, such as a product code "TE00017-2") are matched exactly first:
 * products whose title, description or brand contain one (found through the lexical index) are
 * pinned at the top, since a fused ranking would dilute an exact lexical hit among semantically
 * similar products.
 *
 * Pagination is positional with opaque, validated cursors over a canonical ranking that does not
 * depend on how deep a request retrieves, so pages neither repeat nor skip products. A cursor carries
 * the store's catalogue version; after a write it is refused with STALE_CURSOR (see cursor.ts). Fused
 * rankings (RRF) change with depth, so the canonical ranking is built in segments: segment 0 is
 * the top W of a search at depth W (W = resultWindow); segment k holds the best hits of a search at
 * depth W*2^k that earlier segments do not hold, up to W*2^(k-1) of them. Only the segments that
 * cover offset + page + 1 are retrieved (one store call for the first W results, one more per
 * doubling after that). Attribute re-ranking reorders each segment on its own. The pages after the
 * first take the canonical ranking from a cache of recent rankings (ranking-cache.ts) instead of
 * retrieving it again.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../domain/errors';
import { cleanFreeText } from '../domain/input-text';
import type { Filter } from '../domain/filter';
import { andFilters } from '../domain/filter';
import { matchesFilter } from '../domain/filter-evaluator';
import { predictedKey } from '../domain/product';
import type { Product } from '../domain/product';
import type { FusionEncoder, ImageEncoder, TextEncoder } from '../encoders/encoder';
import type { UnderstandingOptions, UnderstoodQuery } from '../query/query-understanding';
import type { CategoryPrediction } from '../attributes/category-prediction';
import type { ColourShare } from '../domain/product';
import { colourSimilarity } from '../vision/colour/colour-profile';
import type { FacetCount, ScoredHit, SearchRequest, VectorStore } from '../stores/vector-store';
import { AttributeReranker, matchAttributes } from './attribute.reranker';
import { RankingCache, type CanonicalRanking } from './ranking-cache';
import type { CatalogVocabulary } from './catalog-vocabulary';
import { decodeCursor, encodeCursor, queryFingerprint } from './cursor';
import { listKnownAttributes, toDomainFilter } from './filter-input';
import { SearchPlanner, type CategoryUse, type PlannerDeps, type ImageKind, type PlannedSearch, type QueryImageLoader, type TextSource } from './search-planner';
import type { AttributeValue, FilterInput, FiredRule, ImageSource, PredictedAttributeMatch, SearchHit, SearchMode, SearchQuery, SearchResult, SimilarQuery } from './search.types';
import { DEFAULT_UNDERSTANDING_POLICY, type UnderstandingPolicy } from './understood-conditions';
import { applyBoosts, placePins, type HitRuleEffect } from '../rules/rule-ranking';
import { attributeKey, filterInputValues, type LiveRules, type RuleEffects, type RuleSet } from '../rules/rule-set';
import { checkContext } from '../rules/rule-validation';
import type { RuleDefinition } from '../rules/rule';

export { ATTRIBUTES_SOURCE, extractIdentifiers, type QueryImageLoader, type TextSource } from './search-planner';

export interface SearchOptions {
  defaultPageSize: number;
  maxPageSize: number;
  maxTextLength: number;
  maxFacets: number;
  /** Sources of a text-only search: dense spaces and/or lexical, fused by RRF. */
  textSources: TextSource[];
  /** Image weight of a text + image search without modifier. */
  defaultImageWeight: number;
  /** Size of the first segment of the canonical ranking (see above). */
  resultWindow: number;
  /** Deepest position a client can page to; deeper cursors are refused. */
  maxResults: number;
  /** Canonical rankings kept for the pages after a first page (ranking-cache.ts); 0 keeps none. */
  rankingCacheSize: number;
  /** Attribute re-ranking of searches with text; null disables it. */
  reranker: AttributeReranker | null;
  /** How recognised attributes, exclusions and prices shape a search (understood-conditions.ts). */
  understanding: UnderstandingPolicy;
  /** What category prediction does to image searches by default (a request may say otherwise). */
  categoryPrediction: CategoryUse;
  /** Weight of colour similarity to the query picture in re-ranking image and similar searches by default (a request may say otherwise). */
  colourWeight: number;
  /**
   * Weight of the category boost of image searches (categoryPrediction BOOST, and AUTO when not
   * confident): re-ranking adds weight x the predicted probability of each result's category.
   */
  categoryBoostWeight: number;
  /** Whether query understanding runs at all; off, text goes to the towers and BM25 as typed. */
  understand: boolean;
  /** Query-understanding settings other than the catalogue vocabulary's own (tuning, evaluations). */
  understandingOptions?: Partial<UnderstandingOptions>;
}

export const DEFAULT_SEARCH_OPTIONS: SearchOptions = {
  defaultPageSize: 20,
  maxPageSize: 100,
  maxTextLength: 500,
  maxFacets: 20,
  textSources: ['image', 'lexical'],
  defaultImageWeight: 0.5,
  resultWindow: 100,
  maxResults: 6400,
  rankingCacheSize: 256,
  reranker: null,
  understanding: DEFAULT_UNDERSTANDING_POLICY,
  understand: true,
  categoryPrediction: 'AUTO',
  colourWeight: 0,
  categoryBoostWeight: 0.1,
};

export interface SearchLogEntry {
  searchId: string;
  mode: SearchMode;
  text: string | null;
  modifier: string | null;
  imageKind: ImageKind | null;
  referenceId: string | null;
  filter: Filter | null;
  offset: number;
  totalCount: number;
  resultIds: string[];
  /** The storefront's id of the shopper's visit, when it sent one. */
  sessionId?: string | null;
  createdAt: Date;
}

/** Receives one entry per search (the event log); failures never fail a search. */
export interface SearchLog {
  recordSearch(entry: SearchLogEntry): void;
}

export interface SearchServiceDeps {
  store: VectorStore;
  textEncoder: TextEncoder;
  imageEncoder: ImageEncoder;
  fusionEncoder: FusionEncoder;
  images: QueryImageLoader;
  vocabulary: CatalogVocabulary;
  /** Category prediction for image queries (src/attributes/); none without. */
  categories?: PlannerDeps['categories'];
  /** Colour profiles of query pictures (src/vision/colour/), for colour re-ranking; none without. */
  colours?: PlannerDeps['colours'];
  /** The picture category model, for category prediction of uploaded pictures; none without. */
  pictures?: PlannerDeps['pictures'];
  log?: SearchLog;
  /** The live merchandising rules; none apply without. */
  rules?: LiveRules;
  options?: Partial<SearchOptions>;
}

/** How one search runs, beside what it asks. */
export interface SearchRun {
  /** These rules instead of the live ones (previews); null applies none. */
  rules?: RuleSet | null;
  /** Record the search in the search log (default true; previews do not). */
  record?: boolean;
}

export const MAX_SESSION_ID_LENGTH = 128;

function checkSessionId(value: string | null | undefined): string | null {
  if (value == null) return null;
  const id = value.trim();
  if (id.length === 0 || id.length > MAX_SESSION_ID_LENGTH || /[\u0000-\u001f]/.test(id)) {
    throw new InvalidInputError(`input.sessionId must be 1 to ${MAX_SESSION_ID_LENGTH} printable characters (an opaque id of the shopper's visit), got ${JSON.stringify(value.slice(0, 40))}${value.length > 40 ? '...' : ''}`);
  }
  return id;
}

/** At most this many exact identifier matches are pinned above the ranking. */
export const MAX_PINNED = 10;

function containsWord(haystack: string, word: string): boolean {
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(word, from);
    if (at < 0) return false;
    const before = at === 0 ? '' : haystack[at - 1];
    const after = haystack[at + word.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    from = at + 1;
  }
}

export class SearchService {
  private readonly store: VectorStore;
  private readonly options: SearchOptions;

  private readonly planner: SearchPlanner;
  private readonly rankings: RankingCache;

  constructor(private readonly deps: SearchServiceDeps) {
    this.store = deps.store;
    this.options = { ...DEFAULT_SEARCH_OPTIONS, ...deps.options };
    this.planner = new SearchPlanner(deps, this.options);
    this.rankings = new RankingCache(this.options.rankingCacheSize);
    if (this.options.textSources.length === 0) throw new RangeError('textSources needs at least one source');
  }

  async search(query: SearchQuery, run: SearchRun = {}): Promise<SearchResult> {
    const text = this.cleanText(query.text, 'input.text');
    const modifier = this.cleanText(query.modifier, 'input.modifier');
    const image = query.image ?? null;
    if (text === null && image === null) {
      throw new InvalidInputError(
        modifier !== null
          ? 'input.modifier changes an image: give input.image too'
          : 'empty search: give input.text, input.image, or both',
      );
    }
    if (modifier !== null && image === null) throw new InvalidInputError('input.modifier changes an image: give input.image too');
    if (modifier !== null && text !== null) {
      throw new InvalidInputError('give either input.text or input.modifier with an image, not both: the modifier already says how the image should change');
    }
    const imageWeight = query.imageWeight ?? this.options.defaultImageWeight;
    if (!(imageWeight >= 0 && imageWeight <= 1)) throw new InvalidInputError(`input.imageWeight must be between 0 and 1, got ${imageWeight}`);
    if (image) this.checkImageSource(image);

    const page = this.pageSize(query.first);
    const filter = this.domainFilter(query.filter);
    const facets = this.facetAttributes(query.facets);
    const correctSpelling = query.correctSpelling ?? true;
    const sessionId = checkSessionId(query.sessionId);
    const context = query.context == null ? null : checkContext(query.context, 'input.context');
    const colourWeight = this.colourWeight(query.colourWeight, 'input.colourWeight');
    const fingerprint = queryFingerprint({ kind: 'search', text, modifier, image, imageWeight, filter: query.filter ?? null, correctSpelling, context, category: query.categoryPrediction ?? null, colourWeight });
    const catalogVersion = await this.store.catalogVersion();

    const mode: SearchMode = image === null ? 'TEXT' : modifier !== null ? 'COMPOSED' : text !== null ? 'TEXT_AND_IMAGE' : 'IMAGE';
    const ruleText = text ?? modifier;
    // Rules with attribute conditions read the understanding first; planning reuses it when no rule rewrote the text.
    let understood: UnderstoodQuery | null | undefined;
    const effects = this.ruleEffects(run, {
      text: ruleText,
      mode,
      context,
      filterValues: filterInputValues(query.filter),
      attributes: () => {
        if (understood === undefined) understood = ruleText === null ? null : this.planner.understandText(ruleText, correctSpelling);
        return includedAttributes(understood);
      },
      now: Date.now(),
    });
    const versions = rankingVersions(catalogVersion, effects);
    const offset = query.after ? decodeCursor(query.after, fingerprint, versions.cursor) : 0;
    if (effects?.redirect && !effects.redirect.keepResults) return this.redirectOnly(mode, effects);

    const planText = mode === 'COMPOSED' ? text : (effects?.text ?? text);
    const planModifier = mode === 'COMPOSED' ? (effects?.text ?? modifier) : modifier;
    const plan = await this.planner.plan(planText, planModifier, image, imageWeight, correctSpelling, {
      understood: effects?.text ? undefined : understood,
      categoryUse: this.categoryUse(query.categoryPrediction),
      colours: mode === 'IMAGE' && colourWeight > 0,
    });
    return this.execute(plan, {
      filter: andFilters(filter, plan.filter, effects?.filter),
      facets,
      page,
      offset,
      fingerprint,
      versions,
      text,
      modifier,
      sessionId,
      effects,
      record: run.record ?? true,
      predictedFilter: predictedFilterValues(query.filter),
      facetsIncludePredicted: query.facetsIncludePredicted ?? false,
      colourWeight,
    });
  }

  /** A request's colour weight (checked), else the service's. */
  private colourWeight(requested: number | null | undefined, argument: string): number {
    if (requested == null) return this.options.colourWeight;
    if (!(requested >= 0 && requested <= 1)) throw new InvalidInputError(`${argument} must be between 0 and 1, got ${requested}`, { argument });
    return requested;
  }

  /**
   * Facet counts; with predictions, each value also counts the products that have it only as a
   * filterable predicted value (key predicted:<name>). The two sets are disjoint (a predicted value
   * is filterable only where the merchant gave none), so the counts add up exactly.
   */
  private async facetCounts(names: string[], filter: Filter | undefined, withPredicted: boolean): Promise<FacetCount[]> {
    if (!withPredicted) return this.store.facets(names, filter);
    const counts = await this.store.facets([...names, ...names.map(predictedKey)], filter);
    return names.map((attribute, i) => {
      const merged = new Map<string, number>();
      for (const v of [...counts[i].values, ...counts[names.length + i].values]) merged.set(v.value, (merged.get(v.value) ?? 0) + v.count);
      const values = [...merged].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
      return { attribute, values };
    });
  }

  /**
   * The predicted category of an image (attributes/category-prediction.ts); null when no attributes
   * model predicts categories.
   */
  async predictCategory(image: ImageSource): Promise<CategoryPrediction | null> {
    this.checkImageSource(image);
    return this.planner.predictCategory(image);
  }

  /** The effects of the rules that fire, or null (no rules, none fires, or the rules failed: logged by the rule set). */
  private ruleEffects(run: SearchRun, signal: Parameters<RuleSet['effects']>[0]): RuleEffects | null {
    const rules = run.rules !== undefined ? run.rules : (this.deps.rules?.current() ?? null);
    if (!rules || rules.size === 0) return null;
    return rules.effects(signal);
  }

  private categoryUse(requested: CategoryUse | null | undefined): CategoryUse {
    return requested ?? this.options.categoryPrediction;
  }

  /** The rules of `rules` whose conditions a text search matches (previews choose their queries with it). */
  matchingRules(query: { text: string; context: string | null }, rules: RuleSet): RuleDefinition[] {
    return rules.match({
      text: query.text,
      mode: 'TEXT',
      context: query.context,
      filterValues: new Set(),
      attributes: () => includedAttributes(this.planner.understandText(query.text, true)),
      now: Date.now(),
    });
  }

  /** A redirect that replaces the results: the URL, no retrieval. */
  private redirectOnly(mode: SearchMode, effects: RuleEffects): SearchResult {
    return {
      searchId: randomUUID(),
      mode,
      hits: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      totalCount: 0,
      facets: [],
      queryAttributes: [],
      understanding: null,
      rules: firedRules(effects),
    };
  }

  private domainFilter(input: FilterInput | null | undefined): Filter | undefined {
    return toDomainFilter(input, { knownAttributes: this.deps.vocabulary.knownAttributes });
  }

  async similar(query: SimilarQuery, run: SearchRun = {}): Promise<SearchResult> {
    const id = query.id?.trim();
    if (!id) throw new InvalidInputError('id must name a product');
    const page = this.pageSize(query.first);
    const filter = this.domainFilter(query.filter);
    const context = query.context == null ? null : checkContext(query.context, 'context');
    const colourWeight = this.colourWeight(query.colourWeight, 'colourWeight');
    const fingerprint = queryFingerprint({ kind: 'similar', id, filter: query.filter ?? null, context, colourWeight });
    const catalogVersion = await this.store.catalogVersion();
    const effects = this.ruleEffects(run, {
      text: null,
      mode: 'SIMILAR',
      context,
      filterValues: filterInputValues(query.filter),
      attributes: () => new Set(),
      now: Date.now(),
    });
    const versions = rankingVersions(catalogVersion, effects);
    const offset = query.after ? decodeCursor(query.after, fingerprint, versions.cursor) : 0;
    if (effects?.redirect && !effects.redirect.keepResults) return this.redirectOnly('SIMILAR', effects);
    const plan = await this.planner.planSimilar(id, { colours: colourWeight > 0 });
    return this.execute(plan, {
      filter: andFilters(filter, effects?.filter),
      facets: [],
      page,
      offset,
      fingerprint,
      versions,
      text: null,
      modifier: null,
      sessionId: null,
      effects,
      record: run.record ?? true,
      colourWeight,
    });
  }

  private async execute(
    plan: PlannedSearch,
    q: {
      filter: Filter | undefined;
      facets: string[];
      page: number;
      offset: number;
      fingerprint: string;
      /** The catalogue version read before ranking (with the rules that fired); a write during this search makes its cursors stale. */
      versions: RankingVersions;
      text: string | null;
      modifier: string | null;
      sessionId: string | null;
      effects: RuleEffects | null;
      record: boolean;
      /** Attribute values of filter conditions that include predictions (explanations). */
      predictedFilter?: Map<string, Set<string>>;
      /** Facet counts include filterable predicted values. */
      facetsIncludePredicted?: boolean;
      /** Weight of colour similarity to plan.queryColours in re-ranking. */
      colourWeight?: number;
    },
  ): Promise<SearchResult> {
    if (q.offset >= this.options.maxResults) {
      throw new InvalidInputError(`results stop at position ${this.options.maxResults}; narrow the search with a filter instead of paging further`, {
        argument: 'after',
      });
    }
    const effects = q.effects;
    const rulePins = effects?.pins ?? [];
    // Pins take positions of their own: retrieve as many more as they could push down.
    const needed = Math.min(q.offset + q.page + 1 + rulePins.length, this.options.maxResults);
    const hidden = effects?.hide.length ? effects.hide : null;
    const excludeIds = hidden ? [...new Set([...(plan.excludeIds ?? []), ...hidden])] : plan.excludeIds;
    const request: SearchRequest = { dense: plan.dense, filter: q.filter, limit: this.options.resultWindow };
    if (plan.lexical) request.lexical = plan.lexical;
    if (excludeIds) request.excludeIds = excludeIds;
    if (plan.dense.length + (plan.lexical ? 1 : 0) > 1) request.fusion = 'rrf';

    const countFilter = excludeIds ? andFilters(q.filter, { mustNot: [{ kind: 'hasId', ids: excludeIds }] }) : q.filter;
    const [{ pinned, segments, exhausted }, totalCount, facets, pinnedItems] = await Promise.all([
      this.canonicalRanking(plan, request, q, needed),
      this.store.count(countFilter),
      q.facets.length ? this.facetCounts(q.facets, countFilter, q.facetsIncludePredicted === true) : Promise.resolve([] as FacetCount[]),
      this.pinnedProducts(rulePins.map((p) => p.productId), countFilter),
    ]);

    const colourQuery = plan.queryColours && (q.colourWeight ?? 0) > 0 ? { histogram: plan.queryColours, weight: q.colourWeight as number } : null;
    const boosted = plan.categoryPrediction?.use === 'BOOST' && this.options.categoryBoostWeight > 0 ? plan.categoryPrediction : null;
    const categoryBoost = boosted
      ? { attribute: boosted.attribute, probability: new Map(boosted.categories.map((c) => [c.value, c.probability])), weight: this.options.categoryBoostWeight }
      : null;
    const hydrated = await this.rankAndHydrate(pinned, segments, plan.queryAttributes, needed, effects, colourQuery, categoryBoost);
    const { ranked, placed } = rulePins.length
      ? placePins(hydrated, rulePins, pinnedItems, exhausted)
      : { ranked: hydrated, placed: new Map<string, never>() };
    const pageItems = ranked.slice(q.offset, q.offset + q.page);
    const edges: SearchHit[] = pageItems.map((item, i) => {
      const { matched, unmatched } = matchAttributes(plan.queryAttributes, item.product.attributes);
      const predictedMatches = matchedByPrediction(item.product, unmatched, q.predictedFilter);
      const pin = placed.get(item.product.id);
      const ruleEffects: HitRuleEffect[] = pin
        ? [{ rule: pin.rule, kind: 'PIN', detail: `pinned at position ${pin.position}${pin.requestedPosition !== null ? ` (asked for ${pin.requestedPosition}, which an earlier rule had taken)` : ''}` }]
        : item.rules;
      return {
        product: item.product,
        score: item.hit.score,
        parts: item.hit.parts,
        matched,
        unmatched,
        rerankBoost: item.boost,
        rules: ruleEffects,
        predictedMatches,
        colourSimilarity: item.colourSimilarity ?? null,
        positionWithoutRules: effects ? (item.basePosition ?? null) : q.offset + i + 1,
        cursor: encodeCursor(q.offset + i + 1, q.fingerprint, q.versions.cursor),
      };
    });
    const result: SearchResult = {
      searchId: randomUUID(),
      mode: plan.mode,
      hits: edges,
      pageInfo: {
        hasNextPage: ranked.length > q.offset + q.page,
        hasPreviousPage: q.offset > 0,
        startCursor: edges.length ? edges[0].cursor : null,
        endCursor: edges.length ? edges[edges.length - 1].cursor : null,
      },
      totalCount,
      facets,
      queryAttributes: plan.queryAttributes,
      understanding: plan.understanding,
      rules: effects ? firedRules(effects) : undefined,
      categoryPrediction: plan.categoryPrediction,
    };
    if (q.record) this.logSearch(result, plan, q);
    return result;
  }

  /**
   * The products rules pin that the search's filter (hidden products included) lets through, by
   * id: pins never show a product the shopper filtered out. The filter is decided on the products
   * read (src/domain/filter-evaluator.ts, the semantics every store is held to), so no store scan.
   */
  private async pinnedProducts(ids: string[], filter: Filter | undefined): Promise<Map<string, RankedItem>> {
    const out = new Map<string, RankedItem>();
    if (ids.length === 0) return out;
    const products = await this.store.getProducts(ids);
    for (const product of products) {
      if (product && matchesFilter(product, filter)) out.set(product.id, { hit: { id: product.id, score: 0, parts: [] }, product, boost: 0, rules: [], basePosition: null });
    }
    return out;
  }

  /**
   * Products containing one of the identifiers verbatim (title, description or brand), best
   * lexical match first. Deterministic, so pinned results page like the rest.
   */
  private async exactIdentifierMatches(identifiers: string[], request: SearchRequest): Promise<ScoredHit[]> {
    const hits = await this.store.search({
      dense: [],
      lexical: { text: identifiers.join(' ') },
      filter: request.filter,
      excludeIds: request.excludeIds,
      limit: MAX_PINNED * 4,
    });
    if (hits.length === 0) return [];
    const products = await this.store.getProducts(hits.map((h) => h.id));
    const wanted = identifiers.map((i) => i.toLowerCase());
    return hits
      .filter((_, i) => {
        const p = products[i];
        if (!p) return false;
        const haystack = `${p.title} ${p.description} ${p.brand}`.toLowerCase();
        return wanted.some((w) => containsWord(haystack, w));
      })
      .slice(0, MAX_PINNED);
  }

  /**
   * The canonical ranking covering the first `needed` positions: pinned identifier matches, then
   * the segments (see the header). A page after the first takes it from the ranking cache when the
   * first page's ranking reaches far enough (ranking-cache.ts).
   */
  private async canonicalRanking(
    plan: PlannedSearch,
    request: SearchRequest,
    q: { offset: number; fingerprint: string; versions: RankingVersions },
    needed: number,
  ): Promise<CanonicalRanking> {
    const cached = q.offset > 0 ? this.rankings.get(q.fingerprint, q.versions.cache, needed) : undefined;
    if (cached) return cached;
    const pinned = plan.identifiers?.length ? await this.exactIdentifierMatches(plan.identifiers, request) : [];
    const ranking = { pinned, ...(await this.canonicalSegments(request, needed, new Set(pinned.map((h) => h.id)))) };
    this.rankings.set(q.fingerprint, q.versions.cache, ranking);
    return ranking;
  }

  /** Segments of the canonical ranking covering the first `needed` positions (see the header). */
  private async canonicalSegments(request: SearchRequest, needed: number, pinned: ReadonlySet<string>): Promise<{ segments: ScoredHit[][]; exhausted: boolean }> {
    const segments: ScoredHit[][] = [];
    const placed = new Set<string>(pinned);
    needed = Math.max(0, needed - pinned.size);
    let covered = 0;
    for (let depth = this.options.resultWindow; ; depth *= 2) {
      const hits = await this.store.search({ ...request, limit: depth });
      const quota = depth - covered;
      const segment: ScoredHit[] = [];
      for (const h of hits) {
        if (segment.length >= quota) break;
        if (!placed.has(h.id)) segment.push(h);
      }
      for (const h of segment) placed.add(h.id);
      segments.push(segment);
      covered += segment.length;
      const exhausted = hits.length < depth || depth * 2 > this.options.maxResults;
      if (exhausted || covered >= needed) return { segments, exhausted };
    }
  }

  /**
   * Loads products for the covered part of the ranking and re-ranks each segment (when on and the
   * query states attributes; whole segments are then loaded, since their order depends on all of
   * their members). Products deleted meanwhile are dropped rather than shown as null.
   */
  private async rankAndHydrate(
    pinned: ScoredHit[],
    segments: ScoredHit[][],
    queryAttributes: AttributeValue[],
    upTo: number,
    effects: RuleEffects | null,
    colourQuery: { histogram: ColourShare[]; weight: number } | null = null,
    categoryBoost: { attribute: string; probability: Map<string, number>; weight: number } | null = null,
  ): Promise<RankedItem[]> {
    // Colour similarity to the query picture and the predicted probability of each result's category
    // join the attribute re-ranking as boosts of the same scale.
    const extraTerms = colourQuery !== null || categoryBoost !== null;
    const reranker = this.options.reranker ?? (extraTerms ? new AttributeReranker({ weight: 0 }) : null);
    const rerank = reranker !== null && (queryAttributes.length > 0 || extraTerms);
    const boosts = effects?.boosts ?? [];
    const out: RankedItem[] = [];
    if (pinned.length) {
      const products = await this.store.getProducts(pinned.map((h) => h.id));
      pinned.forEach((hit, i) => {
        if (products[i]) out.push({ hit, product: products[i] as Product, boost: 0, rules: [], basePosition: out.length + 1 });
      });
    }
    let position = out.length;
    for (const segment of segments) {
      if (position >= upTo) break;
      const whole = rerank || boosts.length > 0;
      const considered = whole ? segment : segment.slice(0, upTo - position);
      position += segment.length;
      const products = await this.store.getProducts(considered.map((h) => h.id));
      let items: RankedItem[] = [];
      considered.forEach((hit, i) => {
        const product = products[i];
        if (product) items.push({ hit, product, boost: 0, rules: [], basePosition: null });
      });
      if (rerank) {
        const similarity = colourQuery ? items.map((x) => (x.product.colours ? colourSimilarity(colourQuery.histogram, x.product.colours.histogram) : 0)) : null;
        const extra = items.map((x, i) => {
          let e = similarity ? colourQuery!.weight * similarity[i] : 0;
          if (categoryBoost) e += categoryBoost.weight * (categoryBoost.probability.get(x.product.attributes[categoryBoost.attribute]?.[0] ?? '') ?? 0);
          return e;
        });
        const { order, boosts: rerankBoosts } = reranker.rerank(
          items.map((x) => x.product),
          queryAttributes,
          extraTerms ? extra : undefined,
        );
        items = order.map((i) => ({ ...items[i], boost: rerankBoosts[i], colourSimilarity: similarity ? round4(similarity[i]) : undefined }));
      }
      // Where each would rank without the rules' boosts (and pins).
      items.forEach((item, i) => (item.basePosition = out.length + i + 1));
      if (boosts.length) {
        const { order, effects: boosted } = applyBoosts(
          items.map((x) => x.product),
          boosts,
        );
        items = order.map((i) => ({ ...items[i], rules: boosted[i] }));
      }
      out.push(...items);
    }
    return out;
  }

  private logSearch(
    result: SearchResult,
    plan: PlannedSearch,
    q: { filter: Filter | undefined; offset: number; text: string | null; modifier: string | null; sessionId: string | null },
  ): void {
    if (!this.deps.log) return;
    try {
      this.deps.log.recordSearch({
        searchId: result.searchId,
        mode: plan.mode,
        text: q.text,
        modifier: q.modifier,
        imageKind: plan.imageKind,
        referenceId: plan.referenceId,
        filter: q.filter ?? null,
        offset: q.offset,
        totalCount: result.totalCount,
        resultIds: result.hits.map((h) => h.product.id),
        sessionId: q.sessionId,
        createdAt: new Date(),
      });
    } catch {
      // The search log is best effort: a search never fails because it could not be logged.
    }
  }

  private pageSize(first: number | null | undefined): number {
    if (first == null) return this.options.defaultPageSize;
    if (!Number.isInteger(first) || first < 1 || first > this.options.maxPageSize) {
      throw new InvalidInputError(`first must be between 1 and ${this.options.maxPageSize}, got ${first}`, { argument: 'first' });
    }
    return first;
  }

  /**
   * Search text as the towers and the lexical index will read it: control characters removed (tabs
   * and line breaks become spaces; see src/domain/input-text.ts), trimmed, within the length limit.
   */
  private cleanText(value: string | null | undefined, what: string): string | null {
    if (value == null) return null;
    const t = cleanFreeText(value).trim();
    if (t === '') throw new InvalidInputError(`${what} is empty; leave it out or give some words`, { argument: what });
    if (t.length > this.options.maxTextLength) {
      throw new InvalidInputError(`${what} is ${t.length} characters long; the limit is ${this.options.maxTextLength}`, { argument: what });
    }
    return t;
  }

  private checkImageSource(image: ImageSource): void {
    const given = (['url', 'base64', 'productId'] as const).filter((k) => image[k] != null);
    if (given.length !== 1) {
      throw new InvalidInputError(
        given.length === 0
          ? 'input.image: give exactly one of url, base64 or productId'
          : `input.image: give exactly one of url, base64 or productId, not ${given.join(' and ')}`,
        { argument: 'input.image' },
      );
    }
    if (image.productId != null && image.productId.trim() === '') {
      throw new InvalidInputError('input.image.productId is empty', { argument: 'input.image.productId' });
    }
  }

  private facetAttributes(facets: string[] | null | undefined): string[] {
    if (!facets) return [];
    const names = [...new Set(facets.map((f) => f.trim()))];
    if (names.length > this.options.maxFacets) {
      throw new InvalidInputError(`input.facets asks for ${names.length} attributes; the limit is ${this.options.maxFacets}`);
    }
    const known = this.deps.vocabulary.knownAttributes;
    for (const n of names) {
      if (!known.has(n)) {
        throw new InvalidInputError(`input.facets: unknown attribute "${n}"; known attributes: ${listKnownAttributes(known)}`, {
          argument: 'input.facets',
          attribute: n,
        });
      }
    }
    return names;
  }
}

/** Attribute values of the filter's conditions that include predictions (top level and inside `and`). */
function predictedFilterValues(input: FilterInput | null | undefined, out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (!input) return out;
  for (const c of input.attributes ?? []) {
    if (c.includePredicted !== true || !c.anyOf?.length) continue;
    const set = out.get(c.attribute) ?? new Set<string>();
    for (const v of c.anyOf) set.add(v.trim());
    out.set(c.attribute, set);
  }
  for (const f of input.and ?? []) predictedFilterValues(f, out);
  return out;
}

/**
 * What a product matched only through its predicted values: query attributes it has no merchant
 * value of, and values of filter conditions that include predictions.
 */
function matchedByPrediction(product: Product, unmatched: AttributeValue[], filter: Map<string, Set<string>> | undefined): PredictedAttributeMatch[] {
  const predicted = product.predictedAttributes;
  if (!predicted) return [];
  const out: PredictedAttributeMatch[] = [];
  const seen = new Set<string>();
  const add = (name: string, value: string) => {
    const hit = predicted[name]?.find((p) => p.value === value && p.filterable);
    const key = `${name}\u0000${value}`;
    if (hit && !seen.has(key)) {
      seen.add(key);
      out.push({ name, ...hit });
    }
  };
  for (const a of unmatched) add(a.name, a.value);
  for (const [name, values] of filter ?? []) {
    if ((product.attributes[name] ?? []).some((v) => values.has(v))) continue;
    for (const v of values) add(name, v);
  }
  return out;
}

/** Included attribute values of an understood text, as rule conditions name them. */
function includedAttributes(understood: UnderstoodQuery | null): ReadonlySet<string> {
  const out = new Set<string>();
  for (const a of understood?.attributes ?? []) if (a.polarity === 'include') out.add(attributeKey(a.name, a.value));
  return out;
}

interface RankedItem {
  hit: ScoredHit;
  product: Product;
  boost: number;
  /** Colour similarity to the query picture, when re-ranking used it. */
  colourSimilarity?: number;
  rules: HitRuleEffect[];
  /** 1-based position before rules' boosts and pins; null for a pinned product the ranking did not hold. */
  basePosition: number | null;
}

/**
 * Versions a ranking is cut at: cursors check `cursor` (the catalogue's and, when rules fired, which
 * rules), the ranking cache keys by `cache` (null, so nothing cached, when the store cannot tell its
 * catalogue version).
 */
interface RankingVersions {
  cursor: string | null;
  cache: string | null;
}

function rankingVersions(catalogVersion: string | null, effects: RuleEffects | null): RankingVersions {
  if (!effects) return { cursor: catalogVersion, cache: catalogVersion };
  const rules = `rules:${queryFingerprint(effects.key)}`;
  return { cursor: `${catalogVersion ?? ''}|${rules}`, cache: catalogVersion === null ? null : `${catalogVersion}|${rules}` };
}

function firedRules(effects: RuleEffects): FiredRule[] {
  return effects.fired.map((rule) => ({
    id: rule.id,
    description: rule.description,
    actions: effects.actions.get(rule.id) ?? [],
    rewrittenText: effects.text,
    redirect: effects.redirect?.rule.id === rule.id ? { url: effects.redirect.url, keepResults: effects.redirect.keepResults } : null,
  }));
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
