import type { ProductResolvers } from '../__generated__/resolvers-types';
import { describeColours } from '../../vision/colour/colour-profile';

export const Product: ProductResolvers = {
  attributes: (product) =>
    Object.entries(product.attributes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([name, values]) => values.map((value) => ({ name, value }))),
  attribute: (product, { name }) => product.attributes[name] ?? [],
  styleId: (product) => product.styleId ?? null,
  predictedAttributes: (product) =>
    Object.entries(product.predictedAttributes ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([name, values]) => values.map((v) => ({ name, ...v }))),
  colours: (product) => (product.colours ? { ...product.colours, description: describeColours(product.colours.histogram) } : null),
};
