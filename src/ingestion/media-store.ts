/**
 * Stores images of products written through the API (base64 uploads and server-side paths) under
 * DATA_DIR/media, content-addressed, and serves them at /media/uploads/<sha256>.<ext>.
 *
 * Saving is idempotent by content hash and safe under concurrency: each write goes to a temporary
 * file with a name of its own (process id and random bytes), is flushed to disk, and is renamed
 * over the final name, which is atomic; two writers of the same image (two products of one upsert,
 * or two concurrent upserts) both succeed and leave one complete file. Within the process, saves
 * of the same content share one write. A crash never leaves a partial file under the final name,
 * so an acknowledged upsert's image is complete after a restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { ImageFormat } from './image-loader';

export const UPLOADS_URL_PREFIX = '/media/uploads/';

const EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif', tiff: 'tiff' };

export class MediaStore {
  /** Saves in progress, by file name: concurrent saves of the same content share one write. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  get directory(): string {
    return this.dir;
  }

  /** Writes the bytes once and returns the URL they are served at. */
  async save(bytes: Buffer, format: ImageFormat): Promise<string> {
    const name = `${createHash('sha256').update(bytes).digest('hex')}.${EXTENSIONS[format]}`;
    let write = this.pending.get(name);
    if (!write) {
      write = this.writeOnce(name, bytes).finally(() => this.pending.delete(name));
      this.pending.set(name, write);
    }
    await write;
    return UPLOADS_URL_PREFIX + name;
  }

  private async writeOnce(name: string, bytes: Buffer): Promise<void> {
    const file = path.join(this.dir, name);
    await fs.mkdir(this.dir, { recursive: true });
    const existing = await fs.stat(file).catch(() => null);
    if (existing?.isFile() && existing.size === bytes.length) return;
    const tmp = `${file}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      const handle = await fs.open(tmp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // Another process may have renamed the same content into place meanwhile: replacing it with
      // identical bytes is harmless, and rename is atomic either way.
      await fs.rename(tmp, file);
    } catch (error) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
    await syncDirectory(this.dir);
  }

  /** Maps an uploads URL path back to its file; null when the name is not one this store writes. */
  resolve(urlPath: string): string | null {
    if (!urlPath.startsWith(UPLOADS_URL_PREFIX)) return null;
    const name = urlPath.slice(UPLOADS_URL_PREFIX.length);
    if (!/^[0-9a-f]{64}\.(jpg|png|webp|gif|avif|tiff)$/.test(name)) return null;
    return path.join(this.dir, name);
  }
}

/** Makes a rename durable; some platforms cannot open a directory for syncing, which is tolerated. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
