/**
 * A catalogue product as the domain sees it. GraphQL types are mapped from this, never the reverse.
 *
 * `attributes` maps an attribute name to its values; single-valued attributes hold one value.
 * Well-known names (see ATTRIBUTE_NAMES): category, group, color, colorFamily, pattern, material,
 * gender, season, occasion, fit, brand, size. Price and stock are first-class fields, not attributes.
 */
export interface Product {
  id: string;
  title: string;
  description: string;
  brand: string;
  price: number;
  currency: string;
  inStock: boolean;
  /** URL a browser can load: a server path such as /media/<file> or an absolute http(s) URL. */
  imageUrl: string;
  attributes: Record<string, string[]>;
  /**
   * Attribute values predicted from the product's image (src/attributes/), kept apart from the
   * merchant's: per attribute, the likeliest values with their calibrated confidence, best first.
   * Values marked `filterable` (confident enough, for an attribute the merchant left empty) are
   * what filters and facets that include predictions see, under the key `predicted:<name>`.
   */
  predictedAttributes?: Record<string, PredictedValue[]>;
  /**
   * Colours of the product's region in its picture (src/vision/colour/): the foreground's colours
   * named by the catalogue's palette with their shares, and the colour they predict. Set on every
   * write with an image when colour profiling is on; the explanation ("70% navy, 20% white") and the
   * colour-similarity term of re-ranking read it.
   */
  colours?: ProductColours;
  /**
   * Categories of the product's picture by the picture category model (src/attributes/picture-category.ts),
   * best first; the predicted category mixes them with the attributes model's head.
   */
  pictureCategories?: { name: string; probability: number }[];
  /** Product family (all variants of one Fashion-MNIST image share it). */
  styleId?: string;
  /** Which Fashion-MNIST split the product derives from; evaluation only uses 'test'. */
  split?: 'train' | 'test';
}

export interface PredictedValue {
  value: string;
  /** Calibrated probability, 0 to 1. */
  confidence: number;
  filterable: boolean;
}

export interface ColourShare {
  name: string;
  /** Share of the product's region, 0 to 1. */
  share: number;
}

export interface ProductColours {
  /** Palette colours with their shares of the region, largest first (shares of 1% or more; they sum to about 1). */
  histogram: ColourShare[];
  /** The predicted colour, its family and its probability. */
  dominant: string;
  family: string;
  confidence: number;
  /** Probability of each likely colour (0.1% or more), best first. */
  probabilities: { name: string; probability: number }[];
}

/** Filter and facet keys of predicted values: `predicted:color` holds the filterable predicted colours. */
export const PREDICTED_KEY_PREFIX = 'predicted:';

export function predictedKey(attribute: string): string {
  return `${PREDICTED_KEY_PREFIX}${attribute}`;
}

/** The filterable predicted values of each attribute that has some. */
export function filterablePredictions(product: Product): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(product.predictedAttributes ?? {})) {
    const kept = values.filter((v) => v.filterable).map((v) => v.value);
    if (kept.length) out[name] = kept;
  }
  return out;
}

export const ATTRIBUTE_NAMES = [
  'category',
  'group',
  'color',
  'colorFamily',
  'pattern',
  'material',
  'gender',
  'season',
  'occasion',
  'fit',
  'brand',
  'size',
] as const;

/** Payload keys with a numeric or boolean type that filters address directly. */
export const PRICE_KEY = 'price';
export const IN_STOCK_KEY = 'inStock';

export function attributeValues(product: Product, name: string): string[] {
  return product.attributes[name] ?? [];
}
