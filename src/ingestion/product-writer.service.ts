/**
 * Writes products submitted through the API: validates them, loads each image (URL, base64 or
 * server-side path), computes embeddings with the same encoders as the catalogue ingest, and
 * upserts them (idempotent by id). Deletes by id.
 */
import { DomainError, InvalidInputError } from '../domain/errors';
import type { Product } from '../domain/product';
import type { ImageEncoder, TextEncoder } from '../encoders/encoder';
import type { VectorStore } from '../stores/vector-store';
import { productText } from './catalog-reader';
import { detectImageFormat, type ImageLoader } from './image-loader';
import type { ProductDraft, UpsertResult } from './ingest.types';
import type { MediaStore } from './media-store';

export const MAX_UPSERT_BATCH = 256;
export const MAX_DELETE_BATCH = 1000;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Notified after writes so derived data (the attribute vocabulary) stays current. */
export interface CatalogChangeListener {
  catalogChanged(attributeNames: string[]): Promise<void>;
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
    const images = await Promise.all(
      drafts.map(async (d, i) => {
        const what = `products[${i}].image`;
        if (d.image == null) throw new InvalidInputError(`${what} is required`);
        const bytes = await this.deps.images.load(d.image, what);
        const imageUrl = d.image.url != null ? d.image.url : await this.deps.media.save(bytes, detectImageFormat(bytes)!);
        return { bytes, imageUrl };
      }),
    );
    const products: Product[] = validated.map((p, i) => ({ ...p, imageUrl: images[i].imageUrl }));
    const imageVectors = await this.encodeImages(images.map((x) => x.bytes));
    const textVectors = await this.deps.textEncoder.encode(products.map(productText));
    await this.deps.store.upsert(products.map((product, i) => ({ product, vectors: { image: imageVectors[i], text: textVectors[i] } })));
    await this.deps.listener?.catalogChanged([...new Set(products.flatMap((p) => Object.keys(p.attributes)))]);
    return { upserted: products.length, products };
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0) throw new InvalidInputError('ids is empty: give at least one product id');
    if (ids.length > MAX_DELETE_BATCH) throw new InvalidInputError(`ids has ${ids.length} entries; send at most ${MAX_DELETE_BATCH} per call`);
    const deleted = await this.deps.store.delete([...new Set(ids)]);
    if (deleted > 0) await this.deps.listener?.catalogChanged([]);
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

export function validateDraft(d: ProductDraft, at: string): Omit<Product, 'imageUrl'> {
  const fail = (field: string, why: string): never => {
    throw new InvalidInputError(`${at}.${field} ${why}`, { argument: `${at}.${field}` });
  };
  const id = (d.id ?? '').trim();
  if (!ID_PATTERN.test(id)) fail('id', 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  const title = (d.title ?? '').trim();
  if (!title) fail('title', 'must not be empty');
  if (title.length > 300) fail('title', 'is longer than 300 characters');
  const description = (d.description ?? '').trim();
  if (description.length > 5000) fail('description', 'is longer than 5000 characters');
  if (!Number.isFinite(d.price) || d.price < 0) fail('price', 'must be a number >= 0');
  const currency = (d.currency ?? 'EUR').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) fail('currency', 'must be a three-letter ISO 4217 code such as EUR');
  const attributes: Record<string, string[]> = {};
  (d.attributes ?? []).forEach((a, j) => {
    const name = (a.name ?? '').trim();
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) fail(`attributes[${j}].name`, 'must be a name of letters, digits and "_" starting with a letter');
    if (name === 'price' || name === 'inStock') fail(`attributes[${j}].name`, `"${name}" is a product field, not an attribute`);
    if (attributes[name]) fail(`attributes[${j}].name`, `"${name}" appears twice`);
    const values = [...new Set((a.values ?? []).map((v) => v.trim()))];
    if (values.length === 0 || values.some((v) => v === '')) fail(`attributes[${j}].values`, 'must list at least one non-empty value');
    attributes[name] = values;
  });
  const brand = (d.brand ?? attributes.brand?.[0] ?? '').trim();
  if (brand && !attributes.brand) attributes.brand = [brand];
  const product: Omit<Product, 'imageUrl'> = {
    id,
    title,
    description,
    brand,
    price: Math.round(d.price * 100) / 100,
    currency,
    inStock: d.inStock ?? true,
    attributes,
  };
  if (d.styleId) product.styleId = d.styleId.trim();
  return product;
}
