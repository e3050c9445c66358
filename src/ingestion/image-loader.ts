/**
 * Turns an image source (http(s) URL, base64 bytes or a server-side path) into encoded image
 * bytes, with limits: a byte cap for every source, paths confined to one allowed directory, and
 * URLs fetched by ImageUrlFetcher (src/ingestion/image-url.fetcher.ts: checked addresses only, no
 * second DNS resolution, at most 3 redirects, one deadline, image content types only).
 *
 * Every refused or failed URL gets one generic error ("<what>.url: the image could not be fetched
 * from that URL"), whatever the reason, so the API cannot be used to probe which internal hosts,
 * ports or paths exist; the reason goes to the server's log. Only a body over MAX_IMAGE_BYTES is
 * reported as such (PAYLOAD_TOO_LARGE with the limit).
 *
 * Decoding is the image encoder's job (with its pixel limit against decompression bombs, see
 * src/encoders/image/image-decoder.ts); this module only checks the bytes look like an image
 * format the encoder reads, so a bad upload gets a clear error.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, PayloadTooLargeError } from '../domain/errors';
import { identifierProblem } from '../domain/input-text';
import { ImageFetchRefusedError, ImageTooLargeError, ImageUrlFetcher, type HostResolver } from './image-url.fetcher';
import { isBlockedAddress } from './network-address.policy';

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
  /** Redirects a URL fetch follows at most (default 3). */
  maxRedirects?: number;
  /** Injected for tests; defaults to the system resolver. */
  resolve?: HostResolver;
  /** Injected for tests; defaults to the address policy of network-address.policy.ts. */
  addressPolicy?: (address: string) => string | null;
  /** Certificate authorities trusted instead of the system's (tests only). */
  ca?: string | Buffer;
  /** Where the reasons for refused URLs are logged (they are never sent to the client). */
  logger?: { warn(message: string, fields?: Record<string, unknown>): void };
}

/** Longest accepted image URL, in characters. */
export const MAX_IMAGE_URL_LENGTH = 2048;
/** Longest accepted server-side image path, in characters. */
export const MAX_IMAGE_PATH_LENGTH = 1024;

/** True for addresses an image URL may not reach (see network-address.policy.ts). */
export const isPrivateAddress = isBlockedAddress;

export interface ImageSourceInput {
  url?: string | null;
  base64?: string | null;
  path?: string | null;
}

/** The one message for every refused or failed image URL (prefixed with the argument). */
export const IMAGE_URL_REFUSED = 'the image could not be fetched from that URL; give a public http(s) URL that serves an image';

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
  private readonly fetcher: ImageUrlFetcher;

  constructor(private readonly options: ImageLoaderOptions) {
    this.fetcher = new ImageUrlFetcher({
      maxBytes: options.maxBytes,
      timeoutMs: options.fetchTimeoutMs,
      maxRedirects: options.maxRedirects,
      allowPrivateNetworks: options.allowPrivateNetworks,
      resolve: options.resolve,
      addressPolicy: options.addressPolicy,
      ca: options.ca,
    });
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
    const argument = `${what}.url`;
    if (raw.length > MAX_IMAGE_URL_LENGTH) {
      throw new InvalidInputError(`${argument} is ${raw.length} characters long; the limit is ${MAX_IMAGE_URL_LENGTH}`, { argument, limit: MAX_IMAGE_URL_LENGTH });
    }
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new InvalidInputError(`${argument} is not a valid URL; give an absolute http(s) URL of an image`, { argument });
    }
    try {
      return await this.fetcher.fetch(url);
    } catch (e) {
      if (e instanceof ImageTooLargeError) this.tooLarge(what, e.bytes);
      const reason = e instanceof ImageFetchRefusedError ? e.reason : `unexpected failure: ${(e as Error)?.message ?? String(e)}`;
      // The URL may carry tokens in its query: log the host only.
      this.options.logger?.warn('image URL refused', { argument, host: url.host.slice(0, 300), reason });
      throw new InvalidInputError(`${argument}: ${IMAGE_URL_REFUSED}`, { argument });
    }
  }

  async fromPath(p: string, what: string): Promise<Buffer> {
    const root = this.options.allowedDir;
    if (!root) throw new InvalidInputError(`${what}.path is not accepted here; send url or base64`, { argument: `${what}.path` });
    if (p.length > MAX_IMAGE_PATH_LENGTH) {
      throw new InvalidInputError(`${what}.path is ${p.length} characters long; the limit is ${MAX_IMAGE_PATH_LENGTH}`, { argument: `${what}.path`, limit: MAX_IMAGE_PATH_LENGTH });
    }
    const problem = identifierProblem(p);
    if (problem) throw new InvalidInputError(`${what}.path ${problem}; give a relative file path`, { argument: `${what}.path` });
    const base = path.resolve(root);
    const resolved = path.resolve(base, p);
    const rel = path.relative(base, resolved);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new InvalidInputError(`${what}.path must be a relative path to a file inside the server's image directory`, { argument: `${what}.path` });
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
      throw new InvalidInputError(`${what}.path must be a relative path to a file inside the server's image directory`, { argument: `${what}.path` });
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
