/**
 * Reads a catalogue directory in the seed format (products.jsonl + images/, see seed/README.md)
 * into domain products. Image URLs point at the server's media route (/media/<image path>).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Product } from '../domain/product';

export interface CatalogEntry {
  product: Product;
  /** Absolute path of the product's image file. */
  imagePath: string;
}

export interface Catalog {
  dir: string;
  /** sha256 over products.jsonl (and manifest.json when present). */
  hash: string;
  entries: CatalogEntry[];
}

export class CatalogFormatError extends Error {}

export const CATALOG_MEDIA_PREFIX = '/media/';

/** The catalogue's products.jsonl as text, with the hash that identifies the catalogue (its bytes and manifest.json). */
export async function readCatalogText(dir: string): Promise<{ text: string; hash: string }> {
  const file = path.join(dir, 'products.jsonl');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new CatalogFormatError(`catalogue not found: ${file} does not exist (set CATALOG_DIR to a directory with products.jsonl)`);
  }
  const hash = createHash('sha256').update(text);
  const manifest = await fs.readFile(path.join(dir, 'manifest.json')).catch(() => null);
  if (manifest) hash.update(manifest);
  return { text, hash: `sha256:${hash.digest('hex')}` };
}

/** Parses products.jsonl text read by `readCatalogText` (every line checked; ids unique). */
export function parseCatalog(dir: string, text: string, hash: string): Catalog {
  const file = path.join(dir, 'products.jsonl');
  const entries: CatalogEntry[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const entry = parseCatalogLine(line, dir, `${file}:${i + 1}`);
    if (seen.has(entry.product.id)) throw new CatalogFormatError(`${file}:${i + 1}: duplicate product id "${entry.product.id}"`);
    seen.add(entry.product.id);
    entries.push(entry);
  });
  return { dir, hash, entries };
}

export async function readCatalog(dir: string): Promise<Catalog> {
  const { text, hash } = await readCatalogText(dir);
  return parseCatalog(dir, text, hash);
}

export function parseCatalogLine(line: string, dir: string, where: string): CatalogEntry {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    throw new CatalogFormatError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const fail = (field: string, want: string): never => {
    throw new CatalogFormatError(`${where}: field "${field}" must be ${want}`);
  };
  const str = (k: string, optional = false): string => {
    const v = raw[k];
    if (v == null && optional) return '';
    if (typeof v !== 'string' || v === '') return fail(k, 'a non-empty string');
    return v;
  };
  const id = str('id');
  const price = raw.price;
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) fail('price', 'a non-negative number');
  if (typeof raw.inStock !== 'boolean') fail('inStock', 'true or false');
  const attrsRaw = raw.attributes;
  if (typeof attrsRaw !== 'object' || attrsRaw === null || Array.isArray(attrsRaw)) fail('attributes', 'an object of string arrays');
  const attributes: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(attrsRaw as Record<string, unknown>)) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`attributes.${k}`, 'an array of strings');
    attributes[k] = v as string[];
  }
  const image = str('image');
  const imagePath = path.resolve(dir, image);
  const rel = path.relative(path.resolve(dir), imagePath);
  if (rel.startsWith('..') || path.isAbsolute(rel)) fail('image', 'a path inside the catalogue directory');
  const split = raw.split;
  const product: Product = {
    id,
    title: str('title'),
    description: str('description', true),
    brand: str('brand', true),
    price: price as number,
    currency: typeof raw.currency === 'string' && raw.currency ? raw.currency : 'EUR',
    inStock: raw.inStock as boolean,
    imageUrl: CATALOG_MEDIA_PREFIX + rel.split(path.sep).map(encodeURIComponent).join('/'),
    attributes,
  };
  if (typeof raw.styleId === 'string') product.styleId = raw.styleId;
  if (split === 'train' || split === 'test') product.split = split;
  return { product, imagePath };
}

/** The text the text tower embeds for a product's `text` vector. */
export function productText(product: Pick<Product, 'title' | 'description'>): string {
  return product.description ? `${product.title}. ${product.description}` : product.title;
}
