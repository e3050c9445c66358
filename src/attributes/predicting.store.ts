/**
 * A store that predicts attributes as products are written: every product upserted with an image
 * vector gets Product.predictedAttributes from the attributes model (attribute-predictor.ts; its
 * colour mixed with the picture's colour profile, colour-fusion.ts, and its category with the picture
 * category model's, picture-category.ts, when the product has them), so
 * catalogue ingests, API writes and gallery rebuilds all store predictions the same way, and
 * filters and facets that include predictions find them on both stores. Everything else passes
 * through.
 */
import type { StoredProduct, VectorStore } from '../stores/vector-store';
import { predictedAttributes, type AttributePredictor } from './attribute-predictor';
import { withPictureColours } from './colour-fusion';
import { withPictureCategory } from './picture-category';

export function predictingStore<S extends VectorStore>(store: S, predictor: AttributePredictor, options: { pictureWeight?: () => number } = {}): S {
  const upsert = async (items: StoredProduct[]): Promise<void> => {
    const withImage = items.filter((item) => item.vectors.image instanceof Float32Array);
    if (withImage.length === 0) return store.upsert(items);
    const probabilities = await predictor.predict(withImage.map((item) => item.vectors.image as Float32Array));
    // The colour head is mixed with the picture's colour profile when the product has one (colour-fusion.ts).
    const predicted = new Map(
      withImage.map((item, i) => {
        const fromPicture = withPictureCategory(
          withPictureColours(probabilities[i], predictor.spec.labels, item.product.colours),
          predictor.spec.labels,
          predictor.spec.categoryFusion?.attribute ?? 'category',
          item.product.pictureCategories,
          options.pictureWeight?.() ?? 0,
        );
        return [item, predictedAttributes(item.product, fromPicture, predictor.spec)];
      }),
    );
    return store.upsert(
      items.map((item) => {
        const p = predicted.get(item);
        return p ? { ...item, product: { ...item.product, predictedAttributes: p } } : item;
      }),
    );
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'upsert') return upsert;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
