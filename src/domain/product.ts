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
  /** Product family (all variants of one Fashion-MNIST image share it). */
  styleId?: string;
  /** Which Fashion-MNIST split the product derives from; evaluation only uses 'test'. */
  split?: 'train' | 'test';
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
