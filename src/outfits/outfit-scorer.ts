import type { Product } from '../domain/product';
import type { ModelVersion } from '../encoders/encoder';

/** Scores outfits: for each set of products, the probability (0..1) that they form a compatible outfit. */
export interface OutfitScorer {
  readonly model: ModelVersion;
  score(outfits: Product[][]): Promise<number[]>;
}
