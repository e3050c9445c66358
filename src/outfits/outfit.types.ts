import type { Product } from '../domain/product';
import type { ModelVersion } from '../encoders/encoder';

export interface OutfitSuggestion {
  product: Product;
  /** Compatibility (0..1) of the best outfit with this product in its slot, the other slots unchanged. */
  score: number;
}

export interface OutfitSlot {
  /** The product group this slot holds (top, bottom, dress, shoes, bag). */
  group: string;
  /** Best first: each candidate scored in the best outfit with the other slots filled. */
  suggestions: OutfitSuggestion[];
}

export interface ScoredOutfit {
  /** The reference product first, then one product per slot. */
  items: Product[];
  score: number;
}

export interface CompleteTheLookResult {
  product: Product;
  slots: OutfitSlot[];
  bestOutfit: ScoredOutfit;
  model: ModelVersion;
}
