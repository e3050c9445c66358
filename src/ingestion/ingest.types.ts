import type { Product } from '../domain/product';

export type IngestState = 'PENDING' | 'RUNNING' | 'COMPLETE' | 'FAILED';

export interface IngestStatus {
  state: IngestState;
  catalogHash: string | null;
  processed: number;
  total: number;
  reused: boolean;
  error: string | null;
}

/** One image source of a product being written; exactly one field is set after validation. */
export interface ProductImageSource {
  url?: string | null;
  base64?: string | null;
  path?: string | null;
}

/** A product as a client submits it, before validation. */
export interface ProductDraft {
  id: string;
  title: string;
  description?: string | null;
  brand?: string | null;
  price: number;
  currency?: string | null;
  inStock?: boolean | null;
  attributes?: { name: string; values: string[] }[] | null;
  styleId?: string | null;
  image: ProductImageSource;
}

export interface UpsertResult {
  upserted: number;
  products: Product[];
}
