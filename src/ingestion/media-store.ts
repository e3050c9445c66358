/**
 * Stores images of products written through the API (base64 uploads and server-side paths) under
 * DATA_DIR/media, content-addressed, and serves them at /media/uploads/<sha256>.<ext>.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageFormat } from './image-loader';

export const UPLOADS_URL_PREFIX = '/media/uploads/';

const EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif', tiff: 'tiff' };

export class MediaStore {
  constructor(private readonly dir: string) {}

  get directory(): string {
    return this.dir;
  }

  /** Writes the bytes once and returns the URL they are served at. */
  async save(bytes: Buffer, format: ImageFormat): Promise<string> {
    const name = `${createHash('sha256').update(bytes).digest('hex')}.${EXTENSIONS[format]}`;
    const file = path.join(this.dir, name);
    await fs.mkdir(this.dir, { recursive: true });
    try {
      await fs.access(file);
    } catch {
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, file);
    }
    return UPLOADS_URL_PREFIX + name;
  }

  /** Maps an uploads URL path back to its file; null when the name is not one this store writes. */
  resolve(urlPath: string): string | null {
    if (!urlPath.startsWith(UPLOADS_URL_PREFIX)) return null;
    const name = urlPath.slice(UPLOADS_URL_PREFIX.length);
    if (!/^[0-9a-f]{64}\.(jpg|png|webp|gif|avif|tiff)$/.test(name)) return null;
    return path.join(this.dir, name);
  }
}
