/**
 * Turns an image source (http(s) URL, base64 bytes or a server-side path) into encoded image
 * bytes, with limits: a byte cap for every source, a time limit and http(s)-only for URLs, and
 * paths confined to one allowed directory. Decoding is the image encoder's job; this module only
 * checks the bytes look like an image format the encoder reads, so a bad upload gets a clear error.
 */
import { lookup } from 'node:dns/promises';
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { InvalidInputError, PayloadTooLargeError, UnavailableError } from '../domain/errors';

export interface ImageLoaderOptions {
  maxBytes: number;
  fetchTimeoutMs: number;
  /** Directory that server-side paths must resolve inside; null disables paths. */
  allowedDir: string | null;
  /**
   * Whether URLs may point at loopback, private or link-local addresses. Off by default so that
   * clients cannot make the server reach internal services.
   */
  allowPrivateNetworks?: boolean;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** True for loopback, private, link-local, unique-local, CGNAT and unspecified addresses. */
export function isPrivateAddress(address: string): boolean {
  const v4 = isIP(address) === 4 ? address : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) {
    const [a, b] = v4.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168);
  }
  const v6 = address.toLowerCase();
  return v6 === '::' || v6 === '::1' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
}

export interface ImageSourceInput {
  url?: string | null;
  base64?: string | null;
  path?: string | null;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

/** Recognises the container format from magic bytes; null when it is not a supported image. */
export function detectImageFormat(bytes: Buffer): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length >= 12 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.toString('ascii', 0, 6))) return 'gif';
  if (bytes.length >= 12 && bytes.toString('ascii', 4, 8) === 'ftyp' && /^(avif|avis|mif1|heic)$/.test(bytes.toString('ascii', 8, 12))) return 'avif';
  if (bytes.length >= 4 && (bytes.toString('ascii', 0, 4) === 'II*\u0000' || bytes.toString('ascii', 0, 4) === 'MM\u0000*')) return 'tiff';
  return null;
}

export class ImageLoader {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ImageLoaderOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Loads exactly one source; `what` names the argument in error messages (e.g. "input.image"). */
  async load(source: ImageSourceInput, what = 'image'): Promise<Buffer> {
    const given = (['url', 'base64', 'path'] as const).filter((k) => source[k] != null);
    if (given.length !== 1) {
      throw new InvalidInputError(
        given.length === 0
          ? `${what}: give exactly one image source (url, base64${this.options.allowedDir ? ' or path' : ''})`
          : `${what}: give exactly one image source, not ${given.join(' and ')}`,
        { argument: what },
      );
    }
    let bytes: Buffer;
    if (source.url != null) bytes = await this.fromUrl(source.url, what);
    else if (source.base64 != null) bytes = this.fromBase64(source.base64, what);
    else bytes = await this.fromPath(source.path as string, what);
    if (bytes.length === 0) throw new InvalidInputError(`${what}: the image is empty`, { argument: what });
    if (!detectImageFormat(bytes)) {
      throw new InvalidInputError(`${what}: not a supported image; send JPEG, PNG, WebP, GIF, AVIF or TIFF bytes`, { argument: what });
    }
    return bytes;
  }

  fromBase64(data: string, what: string): Buffer {
    let b64 = data.trim();
    const dataUrl = /^data:([a-z0-9.+/-]+)?(;[a-z0-9=.-]+)*;base64,/i.exec(b64);
    if (dataUrl) b64 = b64.slice(dataUrl[0].length);
    b64 = b64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
      throw new InvalidInputError(`${what}.base64 is not valid base64`, { argument: `${what}.base64` });
    }
    const approx = Math.floor((b64.length * 3) / 4);
    if (approx > this.options.maxBytes + 3) this.tooLarge(what, approx);
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length > this.options.maxBytes) this.tooLarge(what, bytes.length);
    return bytes;
  }

  async fromUrl(raw: string, what: string): Promise<Buffer> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidInputError(`${what}.url is not a valid URL: "${raw.slice(0, 200)}"`, { argument: `${what}.url` });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidInputError(`${what}.url must use http or https, not ${url.protocol.replace(':', '')}`, { argument: `${what}.url` });
    }
    if (!this.options.allowPrivateNetworks) await this.checkPublicHost(url, what);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.fetchTimeoutMs);
    try {
      let res: Response;
      try {
        // Redirects are not followed: their target would escape the address check.
        res = await this.fetchImpl(url, { signal: controller.signal, redirect: 'manual', headers: { accept: 'image/*' } });
      } catch (e) {
        if (controller.signal.aborted) {
          throw new UnavailableError(`${what}.url did not answer within ${this.options.fetchTimeoutMs} ms`, { url: url.href });
        }
        throw new UnavailableError(`${what}.url could not be fetched: ${(e as Error).message}`, { url: url.href });
      }
      if (res.status >= 300 && res.status < 400) {
        throw new InvalidInputError(`${what}.url redirects (HTTP ${res.status}); give the final URL of the image`, { url: url.href, status: res.status });
      }
      if (!res.ok) {
        throw new InvalidInputError(`${what}.url answered HTTP ${res.status}; give a URL that serves an image`, { url: url.href, status: res.status });
      }
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > this.options.maxBytes) this.tooLarge(what, declared);
      if (!res.body) return Buffer.alloc(0);
      const chunks: Buffer[] = [];
      let total = 0;
      const reader = res.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (controller.signal.aborted) {
            throw new UnavailableError(`${what}.url did not finish within ${this.options.fetchTimeoutMs} ms`, { url: url.href });
          }
          throw new UnavailableError(`${what}.url failed while downloading: ${(e as Error).message}`, { url: url.href });
        }
        if (chunk.done) break;
        total += chunk.value.length;
        if (total > this.options.maxBytes) {
          controller.abort();
          this.tooLarge(what, total);
        }
        chunks.push(Buffer.from(chunk.value));
      }
      return Buffer.concat(chunks);
    } finally {
      clearTimeout(timer);
    }
  }

  private async checkPublicHost(url: URL, what: string): Promise<void> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw new InvalidInputError(`${what}.url: the host "${host}" could not be resolved`, { url: url.href });
    }
    if (addresses.some(isPrivateAddress)) {
      throw new InvalidInputError(`${what}.url points at a private or loopback address; give a public URL`, { url: url.href });
    }
  }

  async fromPath(p: string, what: string): Promise<Buffer> {
    const root = this.options.allowedDir;
    if (!root) throw new InvalidInputError(`${what}.path is not accepted here; send url or base64`, { argument: `${what}.path` });
    const base = path.resolve(root);
    const resolved = path.resolve(base, p);
    const rel = path.relative(base, resolved);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new InvalidInputError(`${what}.path must point to a file inside the image directory ${base}`, { argument: `${what}.path` });
    }
    let real: string;
    try {
      real = await fs.realpath(resolved);
    } catch {
      throw new InvalidInputError(`${what}.path: no such file "${p}" in the image directory`, { argument: `${what}.path` });
    }
    const realBase = await fs.realpath(base).catch(() => base);
    const realRel = path.relative(realBase, real);
    if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
      throw new InvalidInputError(`${what}.path must point to a file inside the image directory ${base}`, { argument: `${what}.path` });
    }
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new InvalidInputError(`${what}.path is not a file: "${p}"`, { argument: `${what}.path` });
    if (stat.size > this.options.maxBytes) this.tooLarge(what, stat.size);
    return fs.readFile(real);
  }

  private tooLarge(what: string, size: number): never {
    throw new PayloadTooLargeError(`${what} is ${size} bytes; the limit is ${this.options.maxBytes} bytes (MAX_IMAGE_BYTES)`, {
      argument: what,
      limit: this.options.maxBytes,
    });
  }
}
