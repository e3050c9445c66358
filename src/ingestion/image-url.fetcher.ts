/**
 * Fetches an image from a URL a client gave, so that the URL cannot be turned against the network
 * the server runs in (server-side request forgery):
 *
 * - only http and https, never credentials in the URL;
 * - the host is resolved once; every address it resolves to must pass the address policy
 *   (src/ingestion/network-address.policy.ts), and the connection goes to one of those checked
 *   addresses: node:http/https get a `lookup` that returns it, so no second resolution can answer
 *   differently (DNS rebinding). TLS still verifies the certificate for, and sends SNI of, the host;
 * - at most `maxRedirects` redirects, each target checked the same way;
 * - one deadline for the whole fetch, redirects included;
 * - the body is capped while it streams (the declared length is checked first), no compression;
 * - the answer must be 2xx with an image/* content type.
 *
 * Refusals throw ImageFetchRefusedError with the reason for the server's log; the image loader
 * turns them into one generic client error that reveals nothing about the network. A body over the
 * cap throws ImageTooLargeError (the client may learn the limit).
 *
 * node:http is used rather than fetch because its `lookup` option pins the connection to the
 * checked address without extra dependencies; fetch (undici) would resolve the name again.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal } from './network-address.policy';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has. */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

export interface ImageUrlFetcherOptions {
  maxBytes: number;
  /** Deadline of one fetch, redirects included. */
  timeoutMs: number;
  /** Redirects followed at most (default 3). */
  maxRedirects?: number;
  /** Skip the address policy (tests and local development: IMAGE_URL_ALLOW_PRIVATE). */
  allowPrivateNetworks?: boolean;
  /** Injected for tests; defaults to the system resolver (getaddrinfo, as a browser would). */
  resolve?: HostResolver;
  /** Why an address is refused, null when allowed; injected for tests, defaults to network-address.policy.ts. */
  addressPolicy?: (address: string) => string | null;
  /** Certificate authorities trusted instead of the system's (tests only). */
  ca?: string | Buffer;
}

/** The URL was refused or could not be fetched; `reason` is for the server's log only. */
export class ImageFetchRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ImageFetchRefusedError';
  }
}

/** The image is larger than the cap; `bytes` is the declared or received size so far. */
export class ImageTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`image larger than the cap (${bytes} bytes)`);
    this.name = 'ImageTooLargeError';
  }
}

export const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IMAGE_TYPE = /^image\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

export const systemResolver: HostResolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** A `lookup` for node:net that answers with the already-checked address, whatever it is asked. */
export function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return ((_host: string, options: unknown, callback?: (...args: unknown[]) => void) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    process.nextTick(() => (all ? cb(null, [{ address: target.address, family: target.family }]) : cb(null, target.address, target.family)));
  }) as LookupFunction;
}

export class ImageUrlFetcher {
  private readonly resolve: HostResolver;
  private readonly maxRedirects: number;
  private readonly policy: (address: string) => string | null;

  constructor(private readonly options: ImageUrlFetcherOptions) {
    this.resolve = options.resolve ?? systemResolver;
    this.policy = options.addressPolicy ?? addressRefusal;
    this.maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  }

  /** The image bytes at `start`; throws ImageFetchRefusedError or ImageTooLargeError. */
  async fetch(start: URL): Promise<Buffer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    const timedOut = () => new ImageFetchRefusedError(`no complete answer within ${this.options.timeoutMs} ms`);
    try {
      let url = start;
      for (let hop = 0; ; hop++) {
        checkUrl(url);
        const target = await this.checkedAddress(url, controller.signal).catch((e) => {
          throw controller.signal.aborted ? timedOut() : e;
        });
        let res: IncomingMessage;
        try {
          res = await get(url, target, controller.signal, this.options.ca);
        } catch (e) {
          throw controller.signal.aborted ? timedOut() : new ImageFetchRefusedError(`request to ${url.host} failed: ${(e as Error).message}`);
        }
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status)) {
          res.destroy();
          const location = res.headers.location;
          if (!location) throw new ImageFetchRefusedError(`HTTP ${status} from ${url.host} without a location`);
          if (hop >= this.maxRedirects) throw new ImageFetchRefusedError(`more than ${this.maxRedirects} redirects`);
          try {
            url = new URL(location, url);
          } catch {
            throw new ImageFetchRefusedError(`HTTP ${status} from ${url.host} to an invalid location`);
          }
          continue;
        }
        try {
          return await this.readImage(res, url);
        } catch (e) {
          res.destroy();
          if (e instanceof ImageTooLargeError || e instanceof ImageFetchRefusedError) throw e;
          throw controller.signal.aborted ? timedOut() : new ImageFetchRefusedError(`download from ${url.host} failed: ${(e as Error).message}`);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves the URL's host once and returns one address, after checking all of them. */
  private async checkedAddress(url: URL, signal: AbortSignal): Promise<ResolvedAddress> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: ResolvedAddress[];
    const kind = isIP(host);
    if (kind) addresses = [{ address: host, family: kind === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await abortable(this.resolve(host), signal);
      } catch (e) {
        if (signal.aborted) throw e;
        throw new ImageFetchRefusedError(`host ${host} could not be resolved: ${(e as Error).message}`);
      }
    }
    if (addresses.length === 0) throw new ImageFetchRefusedError(`host ${host} has no address`);
    if (!this.options.allowPrivateNetworks) {
      for (const a of addresses) {
        const why = this.policy(a.address);
        if (why) throw new ImageFetchRefusedError(`host ${host} resolves to ${a.address}: ${why}`);
      }
    }
    return addresses[0];
  }

  private async readImage(res: IncomingMessage, url: URL): Promise<Buffer> {
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw new ImageFetchRefusedError(`HTTP ${status} from ${url.host}`);
    const type = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!IMAGE_TYPE.test(type)) throw new ImageFetchRefusedError(`content type "${type.slice(0, 100)}" from ${url.host} is not an image`);
    const encoding = String(res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') throw new ImageFetchRefusedError(`content encoding "${encoding.slice(0, 40)}" from ${url.host}`);
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.options.maxBytes) throw new ImageTooLargeError(declared);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > this.options.maxBytes) throw new ImageTooLargeError(total);
      chunks.push(chunk);
    }
    if (!res.complete) throw new ImageFetchRefusedError(`the answer from ${url.host} ended early`);
    return Buffer.concat(chunks, total);
  }
}

function checkUrl(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImageFetchRefusedError(`scheme ${url.protocol} is not http(s)`);
  if (url.username || url.password) throw new ImageFetchRefusedError('credentials in the URL');
  if (!url.hostname) throw new ImageFetchRefusedError('no host');
}

function get(url: URL, target: ResolvedAddress, signal: AbortSignal, ca?: string | Buffer): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const options: RequestOptions & { servername?: string; ca?: string | Buffer } = {
    method: 'GET',
    host,
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    path: `${url.pathname}${url.search}`,
    headers: { accept: 'image/*', 'accept-encoding': 'identity', 'user-agent': 'fashion-search image fetcher' },
    lookup: pinnedLookup(target),
    agent: false,
    signal,
    maxHeaderSize: 16 * 1024,
  };
  if (secure && !isIP(host)) options.servername = host;
  if (secure && ca) options.ca = ca;
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(options, (res) => {
      // Errors after the caller stopped reading (a deadline, a dropped connection) must not go unhandled.
      res.on('error', () => undefined);
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
