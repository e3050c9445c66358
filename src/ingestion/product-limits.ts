/**
 * The limits on a product written through the API (upsertProducts), in one object: the draft
 * validation (product-writer.service.ts), the GraphQL argument guard (src/graphql/argument-limits.ts)
 * and the README's "Input limits" table all read them from here. Lengths are in characters (UTF-16
 * code units, as JavaScript and GraphQL count them).
 *
 * Why these numbers: the demo catalogue's products use 12 attribute names, at most 11 values of one
 * attribute (sizes), values of at most 13 characters, titles of at most 61 and descriptions of at
 * most 238; the limits leave ample room for real catalogues while keeping one product's payload,
 * facet counts and every error message small.
 */
import { MAX_IMAGE_PATH_LENGTH, MAX_IMAGE_URL_LENGTH } from './image-loader';

export const PRODUCT_LIMITS = {
  /** Products per upsertProducts call. */
  productsPerUpsert: 256,
  /** Ids per deleteProducts call. */
  idsPerDelete: 1000,
  idLength: 128,
  titleLength: 300,
  descriptionLength: 5000,
  brandLength: 100,
  styleIdLength: 128,
  /** An ISO 4217 code. */
  currencyLength: 3,
  /** Highest price, in the product's currency. */
  maxPrice: 1_000_000_000,
  /** Distinct attribute names on one product. */
  attributesPerProduct: 64,
  attributeNameLength: 64,
  /** Values of one attribute on one product. */
  valuesPerAttribute: 100,
  attributeValueLength: 100,
  imageUrlLength: MAX_IMAGE_URL_LENGTH,
  imagePathLength: MAX_IMAGE_PATH_LENGTH,
} as const;

/** Image URLs of one upsert fetched at the same time, so one call cannot open hundreds of downloads. */
export const IMAGE_LOAD_CONCURRENCY = 8;
