/**
 * What writes learn from a product's picture besides its embedding, in one step: the colours of the
 * product's region (src/vision/colour/, Product.colours) and the picture category model's categories
 * (src/attributes/picture-category.ts, Product.pictureCategories). Both run beside the image tower;
 * neither ever fails a write: a picture one of them cannot read, or an analyser that failed, leaves
 * the product without that part (`onError` hears why).
 */
import type { Product, ProductColours } from '../domain/product';
import { rankedCategories, type PictureClassifier } from '../attributes/picture-category';
import type { ColourProfiler } from '../vision/colour/colour-profiler';

export interface PictureAnalysers {
  colours?: ColourProfiler | null;
  categories?: PictureClassifier | null;
}

export async function analysePictures<T extends { product: Product }>(
  items: readonly T[],
  pictures: readonly Buffer[],
  analysers: PictureAnalysers | null | undefined,
  onError?: (what: string, error: Error) => void,
): Promise<T[]> {
  if (!analysers || items.length === 0) return [...items];
  const { colours: profiler, categories: classifier } = analysers;
  const none = (what: string) => (error: Error) => {
    onError?.(what, error);
    return pictures.map(() => null);
  };
  const [colours, categories] = await Promise.all([
    profiler ? profiler.profile(pictures).catch(none('colour profiles')) : null,
    classifier ? classifier.classify(pictures).catch(none('picture categories')) : null,
  ]);
  return items.map((item, i) => {
    const c: ProductColours | null = colours?.[i] ?? null;
    const row = categories?.[i] ?? null;
    if (!c && !row) return item;
    const product: Product = { ...item.product };
    if (c) product.colours = c;
    if (row) product.pictureCategories = rankedCategories(classifier!.spec.labels, row);
    return { ...item, product };
  });
}
