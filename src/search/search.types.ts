/**
 * The search service's own vocabulary: what a search asks (SearchQuery) and what it answers
 * (SearchResult). GraphQL types map from these (codegen mappers); they never leak into stores.
 */
import type { Product } from '../domain/product';
import type { FacetCount, ScorePart } from '../stores/vector-store';

export type SearchMode = 'TEXT' | 'IMAGE' | 'COMPOSED' | 'TEXT_AND_IMAGE' | 'SIMILAR';

/** One image source of a query; exactly one field is set after validation. */
export interface ImageSource {
  url?: string | null;
  base64?: string | null;
  productId?: string | null;
}

/** The API's filter input, before translation to the domain Filter. */
export interface FilterInput {
  attributes?: { attribute: string; anyOf?: string[] | null; noneOf?: string[] | null }[] | null;
  price?: { min?: number | null; max?: number | null } | null;
  inStock?: boolean | null;
  and?: FilterInput[] | null;
  or?: FilterInput[] | null;
  not?: FilterInput | null;
}

export interface SearchQuery {
  text?: string | null;
  image?: ImageSource | null;
  modifier?: string | null;
  filter?: FilterInput | null;
  facets?: string[] | null;
  first?: number | null;
  after?: string | null;
  imageWeight?: number | null;
}

export interface SimilarQuery {
  id: string;
  filter?: FilterInput | null;
  first?: number | null;
  after?: string | null;
}

export interface AttributeValue {
  name: string;
  value: string;
}

export interface SearchHit {
  product: Product;
  score: number;
  parts: ScorePart[];
  matched: AttributeValue[];
  unmatched: AttributeValue[];
  rerankBoost: number;
  cursor: string;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface SearchResult {
  searchId: string;
  mode: SearchMode;
  hits: SearchHit[];
  pageInfo: PageInfo;
  totalCount: number;
  facets: FacetCount[];
  queryAttributes: AttributeValue[];
}

export interface ServiceInfo {
  index: string;
  models: { name: string; version: string; role: string }[];
  store: string;
  productCount: number;
  ready: boolean;
}
