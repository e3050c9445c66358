/**
 * Web routes: the GraphiQL playground (GET /graphql from a browser), the merchandisers' search lab
 * (/lab, and its rules page /lab/rules: the same page, which shows the view its path names), their
 * static assets (/static/*) and a whitelist of vendor bundles (/vendor/*) taken from
 * node_modules, so that everything works offline.
 *
 * `createWebRoutes()` returns a node:http handler `(req, res) => boolean` that answers and returns
 * true for the requests it owns and returns false, without touching the response, for everything
 * else (POST /graphql, GET /graphql from API clients, /healthz, ...). Mount it before GraphQL.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { loadOperations } from './operations';

const gzipAsync = promisify(gzip);

export type WebRequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface WebRoutesOptions {
  /** Path of the GraphQL endpoint; browsers asking it for HTML get the playground. Default /graphql. */
  graphqlPath?: string;
  /** Path of the search lab page. Default /lab. */
  labPath?: string;
  /** Folder holding the page assets. Default: ./assets next to this file. */
  assetsDir?: string;
  /** Folder holding the example operations. Default: ./operations next to this file. */
  operationsDir?: string;
  /** Resolves "package/path/in/package" to a file (tests inject it). Default: resolvePackageFile. */
  resolvePackageFile?: (specifier: string) => string;
}

export const STATIC_PREFIX = '/static/';
export const VENDOR_PREFIX = '/vendor/';

/** Vendor files served under /vendor/<name>: nothing else from node_modules is reachable. */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'react.production.min.js': 'react/umd/react.production.min.js',
  'react-dom.production.min.js': 'react-dom/umd/react-dom.production.min.js',
  'graphiql.min.js': 'graphiql/graphiql.min.js',
  'graphiql.min.css': 'graphiql/graphiql.min.css',
};

/** Own assets served under /static/<name>. */
export const STATIC_FILES: readonly string[] = [
  'lab.js',
  'lab-api.js',
  'lab-rules.js',
  'lab-rule-editor.js',
  'lab-rule-preview.js',
  'lab.css',
  'playground.js',
  'playground.css',
];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: http: https:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CACHE_REVALIDATE = 'no-cache';
const CACHE_VENDOR = 'public, max-age=86400';

interface Asset {
  body: Buffer;
  gzipped: Buffer | null;
  etag: string;
  contentType: string;
  cacheControl: string;
}

type AssetSource = () => Promise<{ body: Buffer; contentType: string; cacheControl: string }>;

/** True when the Accept header asks for HTML before (or instead of) JSON: a browser navigation. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept
    .split(',')
    .map((part, index) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { type: type.trim(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((t) => t.quality > 0);
  const html = types.find((t) => t.type === 'text/html');
  if (!html) return false;
  const json = types.find((t) => t.type === 'application/json' || t.type === 'application/graphql-response+json');
  if (!json) return true;
  return html.quality > json.quality || (html.quality === json.quality && html.index < json.index);
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Resolves "package/path/in/package" through the package's package.json, so that files outside a
 * package's "exports" map (UMD bundles) are found wherever node_modules is.
 */
export function resolvePackageFile(specifier: string): string {
  const [pkg, ...rest] = specifier.split('/');
  if (!pkg || rest.length === 0) throw new Error(`Expected "package/file", got "${specifier}"`);
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), ...rest);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
}

function sendPlain(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(`${message}\n`);
}

export function createWebRoutes(options: WebRoutesOptions = {}): WebRequestHandler {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const labPath = options.labPath ?? '/lab';
  const assetsDir = options.assetsDir ?? path.join(__dirname, 'assets');
  const operationsDir = options.operationsDir ?? path.join(__dirname, 'operations');
  const resolveFile = options.resolvePackageFile ?? resolvePackageFile;

  const fileSource =
    (file: string, cacheControl: string): AssetSource =>
    async () => ({ body: await readFile(file), contentType: contentTypeOf(file), cacheControl });

  const sources = new Map<string, AssetSource>();
  const pageSource =
    (file: string): AssetSource =>
    async () => {
      const html = await readFile(path.join(assetsDir, file), 'utf8');
      return {
        body: Buffer.from(html.replaceAll('{{GRAPHQL_PATH}}', escapeHtml(graphqlPath)), 'utf8'),
        contentType: CONTENT_TYPES['.html'],
        cacheControl: CACHE_REVALIDATE,
      };
    };
  sources.set('page:playground', pageSource('playground.html'));
  sources.set('page:lab', pageSource('lab.html'));
  for (const name of STATIC_FILES) {
    sources.set(`static:${name}`, fileSource(path.join(assetsDir, name), CACHE_REVALIDATE));
  }
  sources.set('static:operations.json', async () => ({
    body: Buffer.from(JSON.stringify(await loadOperations(operationsDir)), 'utf8'),
    contentType: CONTENT_TYPES['.json'],
    cacheControl: CACHE_REVALIDATE,
  }));
  for (const [name, specifier] of Object.entries(VENDOR_FILES)) {
    sources.set(`vendor:${name}`, async () => fileSource(resolveFile(specifier), CACHE_VENDOR)());
  }

  // Each asset is read (and compressed) once; a failed read is retried on the next request.
  const cache = new Map<string, Promise<Asset>>();
  const load = (key: string): Promise<Asset> => {
    let pending = cache.get(key);
    if (!pending) {
      const source = sources.get(key)!;
      pending = (async () => {
        const { body, contentType, cacheControl } = await source();
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        const gzipped = body.length >= 1024 ? await gzipAsync(body, { level: 9 }) : null;
        return { body, gzipped, etag, contentType, cacheControl };
      })();
      pending.catch(() => cache.delete(key));
      cache.set(key, pending);
    }
    return pending;
  };

  const serve = (key: string, req: IncomingMessage, res: ServerResponse): void => {
    load(key).then(
      (asset) => {
        const headers: Record<string, string> = {
          'Content-Type': asset.contentType,
          'Cache-Control': asset.cacheControl,
          ETag: asset.etag,
          Vary: 'Accept-Encoding',
          'X-Content-Type-Options': 'nosniff',
        };
        if (asset.contentType.startsWith('text/html')) {
          headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
          headers['Referrer-Policy'] = 'no-referrer';
        }
        if (etagMatches(req.headers['if-none-match'], asset.etag)) {
          res.writeHead(304, headers);
          res.end();
          return;
        }
        const useGzip = asset.gzipped !== null && acceptsGzip(req.headers['accept-encoding']);
        const body = useGzip ? asset.gzipped! : asset.body;
        if (useGzip) headers['Content-Encoding'] = 'gzip';
        headers['Content-Length'] = String(body.length);
        res.writeHead(200, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        if (!res.headersSent) sendPlain(res, 500, `Could not read ${req.url ?? 'the asset'}: ${reason}`);
        else res.destroy();
      },
    );
  };

  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false;
    }
    const pathname = url.pathname;
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';

    if (pathname === graphqlPath) {
      // Browsers get the playground; API clients (POST, JSON accept, ?query=) get GraphQL.
      if (!readOnly || !prefersHtml(req.headers.accept)) return false;
      if (url.searchParams.has('query')) return false;
      serve('page:playground', req, res);
      return true;
    }

    let key: string | null = null;
    let owned = false;
    if (pathname === labPath || pathname === `${labPath}/` || pathname === `${labPath}/rules`) {
      owned = true;
      key = 'page:lab';
    } else if (pathname.startsWith(STATIC_PREFIX)) {
      owned = true;
      const name = pathname.slice(STATIC_PREFIX.length);
      key = sources.has(`static:${name}`) ? `static:${name}` : null;
    } else if (pathname.startsWith(VENDOR_PREFIX)) {
      owned = true;
      const name = pathname.slice(VENDOR_PREFIX.length);
      key = Object.prototype.hasOwnProperty.call(VENDOR_FILES, name) ? `vendor:${name}` : null;
    }
    if (!owned) return false;

    if (!readOnly) {
      sendPlain(res, 405, `Method ${method} is not allowed on ${pathname}; use GET.`, { Allow: 'GET, HEAD' });
      return true;
    }
    if (key === null) {
      sendPlain(res, 404, `Not found: ${pathname}`);
      return true;
    }
    serve(key, req, res);
    return true;
  };
}
