/**
 * Serves product images: catalogue images at /media/<path inside CATALOG_DIR> and API uploads at
 * /media/uploads/<sha256>.<ext>. Only image files, no path traversal, long cache lifetimes
 * (catalogue files change with the catalogue; uploads are content-addressed).
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { MediaStore } from '../ingestion/media-store';
import { mediaFile } from '../ingestion/product-image.reader';

const TYPES: Record<string, string> = {
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tiff': 'image/tiff',
};

export const MEDIA_PREFIX = '/media/';

export function createMediaRoutes(options: { catalogDir: string; uploads: MediaStore }) {
  const root = path.resolve(options.catalogDir);
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
    if (!pathname.startsWith(MEDIA_PREFIX)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
      return true;
    }
    const file = mediaFile(pathname, { catalogDir: root, uploads: options.uploads });
    const type = file ? TYPES[path.extname(file).toLowerCase()] : undefined;
    const stat = file && type ? await fs.stat(file).catch(() => null) : null;
    if (!file || !type || !stat || !stat.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return true;
    }
    res.writeHead(200, {
      'content-type': type,
      'content-length': stat.size,
      'cache-control': 'public, max-age=86400',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
    return true;
  };
}
