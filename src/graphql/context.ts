/**
 * The per-request GraphQL context: the process-wide services (constructed once in main.ts) and
 * fresh DataLoaders for this request.
 */
import type DataLoader from 'dataloader';
import type { Product } from '../domain/product';
import type { EvaluationService } from '../evaluation/evaluation.service';
import type { SearchAnalyticsService } from '../evaluation/search-analytics';
import type { OutfitService } from '../outfits/outfit.service';
import type { SearchEventInput } from '../events/event-log';
import type { IngestStatus, ProductDraft, UpsertResult } from '../ingestion/ingest.types';
import type { SearchQuery, SearchResult, ServiceInfo, SimilarQuery } from '../search/search.types';
import { createProductByIdLoader, type ProductSource } from './loaders/product-by-id.loader';

export interface ApiServices {
  search: { search(query: SearchQuery): Promise<SearchResult>; similar(query: SimilarQuery): Promise<SearchResult> };
  products: ProductSource;
  writer: { upsert(drafts: ProductDraft[]): Promise<UpsertResult>; delete(ids: string[]): Promise<number> };
  events: { recordEvents(events: SearchEventInput[]): number };
  ingest: { status(): IngestStatus };
  info(): Promise<ServiceInfo>;
  evaluation?: EvaluationService;
  analytics?: SearchAnalyticsService;
  /** Complete the look; absent when the outfit model is not loaded. */
  outfits?: OutfitService;
}

export interface Loaders {
  productById: DataLoader<string, Product | null>;
}

export interface GraphQLContext {
  services: ApiServices;
  loaders: Loaders;
}

export function createContext(services: ApiServices): GraphQLContext {
  return { services, loaders: { productById: createProductByIdLoader(services.products) } };
}
