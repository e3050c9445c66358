/**
 * Category prediction for image queries, as Alibaba's visual search does it: the classifier's
 * probabilities fused with the categories of the query's nearest neighbours in the gallery,
 *
 *   p(c) = w * p_classifier(c) + (1 - w) * (neighbours among the top k with category c) / k,
 *
 * with w and k from the attributes model (categoryFusion, chosen on validation). The classifier is the
 * attributes model's category head, mixed with the picture category model's probabilities when the
 * query's picture has them (picture-category.ts). The search uses
 * the top category as a filter when p reaches the model's filterConfidence, else as a boost.
 */
import type { VectorStore } from '../stores/vector-store';
import type { AttributePredictor } from './attribute-predictor';
import { fuseCategory, type PictureCategories, type PictureCategoryFusion } from './picture-category';

export interface CategoryProbability {
  value: string;
  probability: number;
}

export interface CategoryPrediction {
  attribute: string;
  /** Fused probabilities, best first (values with probability above 0 only). */
  categories: CategoryProbability[];
  /** The classifier alone and the neighbours alone, best first (for explanations and measurements). */
  classifier: CategoryProbability[];
  neighbours: CategoryProbability[];
  /** Whether the best category reaches the model's filterConfidence. */
  confident: boolean;
  filterConfidence: number;
}

export interface CategoryPredictorDeps {
  predictor: AttributePredictor;
  /** With a picture category model: its weight against the head and the fusion settings chosen with it (they replace the attributes model's). */
  picture?: PictureCategoryFusion | null;
  store: Pick<VectorStore, 'search' | 'getProducts'>;
}

function ranked(labels: string[], p: ArrayLike<number>): CategoryProbability[] {
  return labels
    .map((value, i) => ({ value, probability: Math.round(p[i] * 10000) / 10000 }))
    .filter((c) => c.probability > 0)
    .sort((a, b) => b.probability - a.probability || (a.value < b.value ? -1 : 1));
}

export class CategoryPredictor {
  constructor(private readonly deps: CategoryPredictorDeps) {}

  /** Whether the attributes model says how to predict categories. */
  get available(): boolean {
    return this.deps.predictor.spec.categoryFusion !== null;
  }

  /**
   * The prediction for an image embedding; `excludeIds` leaves products out of the neighbours (the
   * query's own product); `picture`: the picture category model's probabilities of the query picture.
   */
  async predict(embedding: Float32Array, excludeIds?: string[], picture?: PictureCategories): Promise<CategoryPrediction | null> {
    const fusion = this.deps.predictor.spec.categoryFusion;
    if (!fusion) return null;
    const labels = this.deps.predictor.spec.labels[fusion.attribute];
    const [[probabilities], hits] = await Promise.all([
      this.deps.predictor.predict([embedding]),
      this.deps.store.search({ dense: [{ space: 'image', vector: embedding }], limit: fusion.k, excludeIds }),
    ]);
    const settings = this.deps.picture ?? null;
    const classifier = fuseCategory(probabilities[fusion.attribute], labels, picture, settings?.pictureWeight ?? 0);
    const counts = new Float64Array(labels.length);
    if (hits.length) {
      const products = await this.deps.store.getProducts(hits.map((h) => h.id));
      for (const product of products) {
        const value = product?.attributes[fusion.attribute]?.[0];
        const at = value === undefined ? -1 : labels.indexOf(value);
        if (at >= 0) counts[at] += 1;
      }
    }
    const knn = Array.from(counts, (c) => c / fusion.k);
    const w = settings?.classifierWeight ?? fusion.classifierWeight;
    const filterConfidence = settings?.filterConfidence ?? fusion.filterConfidence;
    const fused = labels.map((_, i) => w * classifier[i] + (1 - w) * knn[i]);
    const categories = ranked(labels, fused);
    return {
      attribute: fusion.attribute,
      categories,
      classifier: ranked(labels, classifier),
      neighbours: ranked(labels, knn),
      confident: categories.length > 0 && categories[0].probability >= filterConfidence,
      filterConfidence,
    };
  }
}
