/**
 * What writes learn from a product's picture besides its embedding, in one step: the colours of the
 * product's region (src/vision/colour/, Product.colours) and the picture category model's categories
 * (src/attributes/picture-category.ts, Product.pictureCategories). Both run beside the image tower;
 * neither ever fails a write (a failure leaves the product without that part, and is reported).
 */
import type { Product } from '../domain/product';
import { withPictureCategories, type PictureClassifier } from '../attributes/picture-category';
import { withColours, type ColourProfiler } from '../vision/colour/colour-profiler';

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
  const [coloured, categorised] = await Promise.all([
    withColours(items, pictures, analysers.colours, (e) => onError?.('colour profiles', e)),
    withPictureCategories(items, pictures, analysers.categories, (e) => onError?.('picture categories', e)),
  ]);
  return items.map((item, i) => {
    const { colours } = coloured[i].product;
    const { pictureCategories } = categorised[i].product;
    if (!colours && !pictureCategories) return item;
    return { ...item, product: { ...item.product, ...(colours ? { colours } : {}), ...(pictureCategories ? { pictureCategories } : {}) } };
  });
}
