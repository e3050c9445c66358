/**
 * Where a stored product's image bytes come from, for re-embedding it with other models (a gallery
 * rebuild): the file behind its `imageUrl` when the server serves it (a catalogue image at
 * /media/<path inside CATALOG_DIR>, an API upload at /media/uploads/<sha256>.<ext>), else the URL
 * it was imported from, fetched again through the image loader (with its address policy and limits).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CATALOG_MEDIA_PREFIX } from './catalog-reader';
import type { ImageLoader } from './image-loader';
import { UPLOADS_URL_PREFIX, type MediaStore } from './media-store';

/** The file a /media/ path names: inside CATALOG_DIR or the uploads folder; null for any other path. */
export function mediaFile(pathname: string, options: { catalogDir: string; uploads: MediaStore }): string | null {
  if (pathname.startsWith(UPLOADS_URL_PREFIX)) return options.uploads.resolve(pathname);
  if (!pathname.startsWith(CATALOG_MEDIA_PREFIX)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(pathname.slice(CATALOG_MEDIA_PREFIX.length));
  } catch {
    return null;
  }
  const root = path.resolve(options.catalogDir);
  const resolved = path.resolve(root, rel);
  const inside = path.relative(root, resolved);
  return rel && !rel.includes('\0') && !inside.startsWith('..') && !path.isAbsolute(inside) ? resolved : null;
}

export class ProductImageReader {
  constructor(private readonly options: { catalogDir: string; uploads: MediaStore; images: Pick<ImageLoader, 'load'> }) {}

  /** The image bytes of a product with this `imageUrl`; rejects with the reason when there are none. */
  async bytes(imageUrl: string): Promise<Buffer> {
    if (/^https?:\/\//i.test(imageUrl)) return this.options.images.load({ url: imageUrl }, 'image');
    const file = mediaFile(imageUrl, this.options);
    if (!file) throw new Error(`the image "${imageUrl}" is neither a served /media/ file nor an http(s) URL`);
    return fs.readFile(file);
  }
}
