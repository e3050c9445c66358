/**
 * The search service's own vocabulary: what a search asks (SearchQuery) and what it answers
 * (SearchResult). GraphQL types map from these (codegen mappers); they never leak into stores.
 */
import type { Product } from '../domain/product';
import type { RecognisedAttribute, UnderstoodQuery } from '../query/query-understanding';
import type { FacetCount, ScorePart } from '../stores/vector-store';
import type { AttributeUse } from './understood-conditions';
import type { HitRuleEffect } from '../rules/rule-ranking';
import type { CategoryPrediction } from '../attributes/category-prediction';
import type { CategoryUse } from './search-planner';

export type SearchMode = 'TEXT' | 'IMAGE' | 'COMPOSED' | 'TEXT_AND_IMAGE' | 'SIMILAR';

/** One image source of a query; exactly one field is set after validation. */
export interface ImageSource {
  url?: string | null;
  base64?: string | null;
  productId?: string | null;
}

/** The API's filter input, before translation to the domain Filter. */
export interface FilterInput {
  attributes?: { attribute: string; anyOf?: string[] | null; noneOf?: string[] | null; includePredicted?: boolean | null }[] | null;
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
  /** Correct misspelt words of the text or modifier (default true); false searches the words as typed. */
  correctSpelling?: boolean | null;
  /** The shopper's visit, recorded with the search for training (query chains); never used for ranking. */
  sessionId?: string | null;
  /** The storefront's context (page, segment), for merchandising rules' conditions. */
  context?: string | null;
  /** Facet counts include values predicted from images (filterable ones, where the merchant gave none). */
  facetsIncludePredicted?: boolean | null;
  /** What the predicted category does to an image search (default: the service's, AUTO). */
  categoryPrediction?: CategoryUse | null;
  /** Weight (0..1) of colour similarity to the query picture in re-ranking image searches (default: the service's, 0). */
  colourWeight?: number | null;
}

export interface SimilarQuery {
  id: string;
  context?: string | null;
  /** Weight (0..1) of colour similarity to the product's colours in re-ranking (default: the service's, 0). */
  colourWeight?: number | null;
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
  /** Values the product matched only through predictions from its image. */
  predictedMatches: PredictedAttributeMatch[];
  /** Colour similarity (0..1) of the product's colours to the query picture's, when re-ranking used it. */
  colourSimilarity?: number | null;
  /** What merchandising rules did to this result (pins, boosts, buries). */
  rules: HitRuleEffect[];
  /** 1-based position the result would have without the rules' boosts and pins (null: a pinned product the ranking did not hold). */
  positionWithoutRules: number | null;
  cursor: string;
}

/** A predicted attribute value a result matched on. */
export interface PredictedAttributeMatch {
  name: string;
  value: string;
  confidence: number;
  filterable: boolean;
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
  /** Attributes the text (or modifier) includes: they re-rank and explain. */
  queryAttributes: AttributeValue[];
  /** How the text or modifier was understood; null for searches without one. */
  understanding: SearchUnderstanding | null;
  /** The merchandising rules that fired, in the order they applied; absent when none did. */
  rules?: FiredRule[];
  /** An image query's predicted category and what the search did with it; absent when none was predicted. */
  categoryPrediction?: CategoryPrediction & { use: 'FILTER' | 'BOOST' };
}

/** A merchandising rule that fired for a search, and what it did. */
export interface FiredRule {
  id: string;
  description: string;
  /** The kinds of action that applied ("synonyms", "pins", "boosts", ...). */
  actions: string[];
  /** The text (or modifier) after every rule's rewriting; null when nothing was rewritten. */
  rewrittenText: string | null;
  /** This rule's redirect, when it is the one returned. */
  redirect: { url: string; keepResults: boolean } | null;
}

/** An understood query as a search used it. */
export interface SearchUnderstanding extends UnderstoodQuery {
  /** The input it was read from. */
  field: 'text' | 'modifier';
  /** What each recognised attribute did (same order as `attributes`). */
  uses: AttributeUse[];
  /** Whether the price phrase became a price range. */
  priceApplied: boolean;
}

export interface ServiceInfo {
  index: string;
  models: { name: string; version: string; role: string }[];
  store: string;
  productCount: number;
  ready: boolean;
}

/** A recognised attribute with what it did to the search. */
export interface UsedAttribute extends RecognisedAttribute {
  use: AttributeUse;
}
