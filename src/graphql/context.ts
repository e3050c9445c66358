/**
 * The per-request GraphQL context: the process-wide services (constructed once in main.ts), fresh
 * DataLoaders for this request, who is calling (access, checked by the guard of the resolver map),
 * the request id and the client address (rate limits of anonymous callers).
 */
import type { ReloadResult } from '../encoders/query-models';
import type DataLoader from 'dataloader';
import { ANONYMOUS_ACCESS, type RequestAccess } from '../auth/authorizer';
import type { Product } from '../domain/product';
import type { EvaluationService } from '../evaluation/evaluation.service';
import type { SearchAnalyticsService } from '../evaluation/search-analytics';
import type { OutfitService } from '../outfits/outfit.service';
import type { SearchEventInput } from '../events/event-log';
import type { RebuildStatus } from '../gallery/gallery-rebuild.service';
import type { IngestStatus, ProductDraft, UpsertResult } from '../ingestion/ingest.types';
import type { ImageSource, SearchQuery, SearchResult, ServiceInfo, SimilarQuery } from '../search/search.types';
import type { CategoryPrediction } from '../attributes/category-prediction';
import type { RateLimiter } from './rate-limit.guard';
import type { RuleBook } from '../rules/rule-book.service';
import type { RulePreviewService } from '../rules/rule-preview.service';
import { createProductByIdLoader, type ProductSource } from './loaders/product-by-id.loader';

export interface ApiServices {
  search: {
    search(query: SearchQuery): Promise<SearchResult>;
    similar(query: SimilarQuery): Promise<SearchResult>;
    predictCategory(image: ImageSource): Promise<CategoryPrediction | null>;
  };
  products: ProductSource;
  writer: { upsert(drafts: ProductDraft[]): Promise<UpsertResult>; delete(ids: string[]): Promise<number> };
  events: { recordEvents(events: SearchEventInput[]): number };
  ingest: { status(): IngestStatus };
  /** The gallery rebuild (src/gallery/gallery-rebuild.service.ts). */
  rebuild: { status(): RebuildStatus };
  info(): Promise<ServiceInfo>;
  /** Swaps in the query models on disk (reloadModels); absent when the models cannot be reloaded. */
  models?: { reload(): Promise<ReloadResult> };
  evaluation?: EvaluationService;
  analytics?: SearchAnalyticsService;
  /** Complete the look; absent when the outfit model is not loaded. */
  outfits?: OutfitService;
  /** Merchandising rules (src/rules/); absent when the server runs without them. */
  rules?: { book: RuleBook; preview: RulePreviewService };
  /** Per-client rate limits of expensive operations (src/graphql/rate-limit.guard.ts); absent: none. */
  rateLimiter?: RateLimiter;
}

export interface Loaders {
  productById: DataLoader<string, Product | null>;
}

export interface GraphQLContext {
  services: ApiServices;
  loaders: Loaders;
  /** The caller and what they may do; anonymous when not given. */
  access: RequestAccess;
  /** The id of the HTTP request (x-request-id), when served over HTTP. */
  requestId: string | null;
  /** The client's network address, when served over HTTP (who anonymous rate limits count against). */
  clientAddress: string | null;
}

export function createContext(
  services: ApiServices,
  request: { access?: RequestAccess; requestId?: string | null; clientAddress?: string | null } = {},
): GraphQLContext {
  return {
    services,
    loaders: { productById: createProductByIdLoader(services.products) },
    access: request.access ?? ANONYMOUS_ACCESS,
    requestId: request.requestId ?? null,
    clientAddress: request.clientAddress ?? null,
  };
}
