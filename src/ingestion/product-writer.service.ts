/**
 * Writes products submitted through the API: validates them against PRODUCT_LIMITS
 * (src/ingestion/product-limits.ts), loads each image (URL, base64 or server-side path; at most
 * IMAGE_LOAD_CONCURRENCY at a time), computes embeddings with the same encoders as the catalogue
 * ingest, and upserts them (idempotent by id). Deletes by id.
 *
 * Text fields have control characters removed, identifiers refuse them (src/domain/input-text.ts
 * says why); every limit error names the field and the limit.
 */
import { DomainError, InvalidInputError } from '../domain/errors';
import { cleanFreeText, identifierProblem } from '../domain/input-text';
import type { Product } from '../domain/product';
import type { ImageEncoder, TextEncoder } from '../encoders/encoder';
import type { VectorStore } from '../stores/vector-store';
import { analysePictures, type PictureAnalysers } from './picture-analysis';
import { productText } from './catalog-reader';
import { detectImageFormat, type ImageLoader } from './image-loader';
import type { ProductDraft, UpsertResult } from './ingest.types';
import type { MediaStore } from './media-store';
import { IMAGE_LOAD_CONCURRENCY, PRODUCT_LIMITS } from './product-limits';

export const MAX_UPSERT_BATCH = PRODUCT_LIMITS.productsPerUpsert;
export const MAX_DELETE_BATCH = PRODUCT_LIMITS.idsPerDelete;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Notified after writes so derived data (the attribute vocabulary) stays current. */
export interface CatalogChangeListener {
  catalogChanged(change: CatalogChange): void | Promise<void>;
}

/** What one write did: the products as they were before it (replaced or deleted), and as written. */
export interface CatalogChange {
  removed: Product[];
  added: Product[];
}

export class ProductWriterService {
  constructor(
    private readonly deps: {
      store: VectorStore;
      textEncoder: TextEncoder;
      imageEncoder: ImageEncoder;
      images: ImageLoader;
      media: MediaStore;
      listener?: CatalogChangeListener;
      /** What else the pictures tell (colours, categories: picture-analysis.ts); nothing without. */
      pictures?: PictureAnalysers | null;
    },
  ) {}

  async upsert(drafts: ProductDraft[]): Promise<UpsertResult> {
    if (drafts.length === 0) throw new InvalidInputError('products is empty: give at least one product');
    if (drafts.length > MAX_UPSERT_BATCH) {
      throw new InvalidInputError(`products has ${drafts.length} entries; send at most ${MAX_UPSERT_BATCH} per call`);
    }
    const seen = new Set<string>();
    const validated = drafts.map((d, i) => {
      const p = validateDraft(d, `products[${i}]`);
      if (seen.has(p.id)) throw new InvalidInputError(`products[${i}].id "${p.id}" appears twice in this call`);
      seen.add(p.id);
      return p;
    });
    const images = await mapLimited(drafts, IMAGE_LOAD_CONCURRENCY, async (d, i) => {
      const what = `products[${i}].image`;
      if (d.image == null) throw new InvalidInputError(`${what} is required`);
      const bytes = await this.deps.images.load(d.image, what);
      const imageUrl = d.image.url != null ? d.image.url.trim() : await this.deps.media.save(bytes, detectImageFormat(bytes)!);
      return { bytes, imageUrl };
    });
    const pictures = images.map((x) => x.bytes);
    const [imageVectors, coloured] = await Promise.all([
      this.encodeImages(pictures),
      analysePictures(validated.map((p, i) => ({ product: { ...p, imageUrl: images[i].imageUrl } as Product })), pictures, this.deps.pictures),
    ]);
    const products: Product[] = coloured.map((x) => x.product);
    const textVectors = await this.deps.textEncoder.encode(products.map(productText));
    // The versions being replaced, so the listener can update counts without rescanning the catalogue.
    const before = this.deps.listener ? await this.deps.store.getProducts(products.map((p) => p.id)) : [];
    await this.deps.store.upsert(products.map((product, i) => ({ product, vectors: { image: imageVectors[i], text: textVectors[i] } })));
    await this.deps.listener?.catalogChanged({ removed: before.filter((p): p is Product => p !== null), added: products });
    return { upserted: products.length, products };
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0) throw new InvalidInputError('ids is empty: give at least one product id');
    if (ids.length > MAX_DELETE_BATCH) throw new InvalidInputError(`ids has ${ids.length} entries; send at most ${MAX_DELETE_BATCH} per call`);
    ids.forEach((id, i) => {
      if (id.length > PRODUCT_LIMITS.idLength) {
        throw new InvalidInputError(`ids[${i}] is ${id.length} characters long; the limit is ${PRODUCT_LIMITS.idLength}`, { argument: `ids[${i}]` });
      }
    });
    const unique = [...new Set(ids)];
    const before = this.deps.listener ? await this.deps.store.getProducts(unique) : [];
    const deleted = await this.deps.store.delete(unique);
    if (deleted > 0) await this.deps.listener?.catalogChanged({ removed: before.filter((p): p is Product => p !== null), added: [] });
    return deleted;
  }

  /** One model run for the batch; when it fails, finds and names the image that cannot be decoded. */
  private async encodeImages(images: Buffer[]): Promise<Float32Array[]> {
    try {
      return await this.deps.imageEncoder.encode(images);
    } catch (batchError) {
      if (batchError instanceof DomainError && batchError.code !== 'BAD_USER_INPUT') throw batchError;
      for (let i = 0; i < images.length; i++) {
        try {
          await this.deps.imageEncoder.encode([images[i]]);
        } catch (e) {
          throw new InvalidInputError(`products[${i}].image could not be decoded: ${(e as Error).message}`, { argument: `products[${i}].image` });
        }
      }
      throw batchError;
    }
  }
}

/**
 * A draft checked against PRODUCT_LIMITS and normalised (trimmed, currency upper-cased, price in
 * cents, text cleaned of control characters); `at` names the draft in error messages.
 */
export function validateDraft(d: ProductDraft, at: string): Omit<Product, 'imageUrl'> {
  const L = PRODUCT_LIMITS;
  const fail = (field: string, why: string, limit?: number): never => {
    throw new InvalidInputError(`${at}.${field} ${why}`, limit === undefined ? { argument: `${at}.${field}` } : { argument: `${at}.${field}`, limit });
  };
  const maxLength = (field: string, value: string, limit: number) => {
    if (value.length > limit) fail(field, `is ${value.length} characters long; the limit is ${limit}`, limit);
  };
  const identifier = (field: string, value: string) => {
    const why = identifierProblem(value);
    if (why) fail(field, `${why}; remove it`);
  };

  const id = (d.id ?? '').trim();
  maxLength('id', id, L.idLength);
  if (!ID_PATTERN.test(id)) fail('id', `must be 1-${L.idLength} characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit`);
  const title = cleanFreeText(d.title ?? '').trim();
  if (!title) fail('title', 'must not be empty');
  maxLength('title', title, L.titleLength);
  const description = cleanFreeText(d.description ?? '', { keepLineBreaks: true }).trim();
  maxLength('description', description, L.descriptionLength);
  if (!Number.isFinite(d.price) || d.price < 0 || d.price > L.maxPrice) fail('price', `must be a number from 0 to ${L.maxPrice}`, L.maxPrice);
  const currency = (d.currency ?? 'EUR').trim();
  if (!/^[A-Za-z]{3}$/.test(currency)) fail('currency', 'must be a three-letter ISO 4217 code such as EUR', L.currencyLength);

  const list = d.attributes ?? [];
  if (list.length > L.attributesPerProduct) {
    fail('attributes', `has ${list.length} entries; a product has at most ${L.attributesPerProduct} attributes`, L.attributesPerProduct);
  }
  const attributes: Record<string, string[]> = {};
  list.forEach((a, j) => {
    const field = `attributes[${j}]`;
    const name = (a.name ?? '').trim();
    maxLength(`${field}.name`, name, L.attributeNameLength);
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) fail(`${field}.name`, 'must be a name of letters, digits and "_" starting with a letter');
    if (name === 'price' || name === 'inStock') fail(`${field}.name`, `"${name}" is a product field, not an attribute`);
    if (Object.prototype.hasOwnProperty.call(attributes, name)) fail(`${field}.name`, `"${name}" appears twice`);
    const raw = a.values ?? [];
    if (raw.length > L.valuesPerAttribute) {
      fail(`${field}.values`, `has ${raw.length} entries; an attribute has at most ${L.valuesPerAttribute} values`, L.valuesPerAttribute);
    }
    raw.forEach((v, k) => {
      identifier(`${field}.values[${k}]`, v);
      maxLength(`${field}.values[${k}]`, v.trim(), L.attributeValueLength);
    });
    const values = [...new Set(raw.map((v) => v.trim()))];
    if (values.length === 0 || values.some((v) => v === '')) fail(`${field}.values`, 'must list at least one non-empty value');
    attributes[name] = values;
  });
  if (d.brand != null) identifier('brand', d.brand);
  const brand = (d.brand ?? attributes.brand?.[0] ?? '').trim();
  maxLength('brand', brand, L.brandLength);
  if (brand && !attributes.brand) attributes.brand = [brand];
  const product: Omit<Product, 'imageUrl'> = {
    id,
    title,
    description,
    brand,
    price: Math.round(d.price * 100) / 100,
    currency: currency.toUpperCase(),
    inStock: d.inStock ?? true,
    attributes,
  };
  if (d.styleId != null) {
    identifier('styleId', d.styleId);
    const styleId = d.styleId.trim();
    maxLength('styleId', styleId, L.styleIdLength);
    if (styleId) product.styleId = styleId;
  }
  return product;
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order, the first error rejects. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
