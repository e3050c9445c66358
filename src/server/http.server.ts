/**
 * The HTTP front: plain node:http. Order: /healthz and /readyz, product media, the web routes
 * (playground and lab, when given), then GraphQL at /graphql through Apollo's
 * executeHTTPGraphQLRequest. Request bodies are size-limited; nothing a client sends can crash
 * the process. Every request gets a request id (a valid incoming `x-request-id` or a new one),
 * returned in the `x-request-id` header and carried by every log line written while it is served;
 * each request is counted and timed for the metrics observer and logged when it finishes. CORS
 * headers and preflights follow the configured origins (cors.ts).
 *
 * Overload: with an admission limiter (MAX_IN_FLIGHT), a GraphQL request beyond the bound is
 * answered 503 with Retry-After and the code OVERLOADED at once, before its body is read; /healthz
 * and /readyz are answered before any admission or body reading, so probes stay prompt under load.
 * Variables (and extensions) nested too deep or holding too many values are refused with
 * BAD_USER_INPUT before Apollo coerces them (json-shape.guard.ts). Headers must arrive within 10 s
 * and a whole request within 30 s, so slow clients cannot hold admission slots for long.
 */
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { withLogContext } from '../config/log-context';
import type { Logger } from '../config/logger';
import type { GraphQLContext } from '../graphql/context';
import { corsAnswer } from './cors';
import { checkJsonShape, type JsonShapeLimits } from './json-shape.guard';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import { routeLabel } from './route-label';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean | Promise<boolean>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean | string>;
  /** What is served: the index and the model versions (the health view of /readyz). */
  versions?: { index: string; models: { role: string; name: string; version: string }[] };
}

/** Hears of every answered request (the server's metrics). */
export interface HttpObserver {
  requestFinished(r: { route: string; method: string; status: number; seconds: number }): void;
}

/** What the GraphQL context is built from: the request's headers (credentials), its id and the client's address. */
export interface GraphQLRequestInfo {
  headers: IncomingHttpHeaders;
  requestId: string;
  /** The peer address of the connection (who anonymous rate limits count against). */
  clientAddress: string | null;
}

/** Admission of GraphQL requests (src/server/in-flight.limiter.ts). */
export interface Admission {
  readonly maxInFlight: number;
  /** A release function to call when the request ends, or null when the server is at capacity. */
  tryAcquire(): (() => void) | null;
}

export interface HttpServerOptions {
  apollo: ApolloServer<GraphQLContext>;
  context: (request: GraphQLRequestInfo) => GraphQLContext;
  readiness: () => Readiness;
  routes: RouteHandler[];
  maxBodyBytes: number;
  logger: Logger;
  graphqlPath?: string;
  observer?: HttpObserver;
  /** CORS_ORIGINS: browser origins allowed to call the API; empty or absent: same origin only. */
  corsOrigins?: readonly string[];
  /** MAX_IN_FLIGHT: GraphQL requests beyond it are refused with OVERLOADED; absent: no bound. */
  admission?: Admission;
  /** Bounds on the variables' and extensions' JSON (GRAPHQL_MAX_VARIABLES_DEPTH, GRAPHQL_MAX_VARIABLE_VALUES); absent: none. */
  variablesLimits?: JsonShapeLimits;
}

/** How long a client may take to send its headers, and its whole request. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** GraphQL-style extensions of the answer; `code` replaces the one the status implies. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function createHttpServer(options: HttpServerOptions): Server {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const server = createServer((req, res) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    res.once('close', () => finished(req, res, started));
    withLogContext({ requestId }, () => serve(req, res, requestId));
  });

  function finished(req: IncomingMessage, res: ServerResponse, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    const route = routeLabel(pathnameOf(req.url));
    options.observer?.requestFinished({ route, method: req.method ?? 'GET', status: res.statusCode, seconds });
    if (route !== '/healthz' && route !== '/readyz' && route !== '/metrics') {
      options.logger.info('request', { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 10_000) / 10 });
    }
  }

  function serve(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    handle(req, res, requestId).catch((error) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) options.logger.error('request failed', { url: req.url, error: (error as Error)?.stack ?? String(error) });
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json' });
        const extensions = status !== 500 && error instanceof HttpError ? error.extensions : {};
        res.end(JSON.stringify({ errors: [{ message: status === 500 ? 'internal error' : (error as Error).message, extensions: { code: codeFor(status), ...extensions } }] }));
      } else {
        res.destroy();
      }
    });
  }
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    const cors = corsAnswer(options.corsOrigins ?? [], {
      method: req.method ?? 'GET',
      origin: req.headers.origin,
      requestMethod: req.headers['access-control-request-method'] as string | undefined,
    });
    for (const [key, value] of Object.entries(cors.headers)) res.setHeader(key, value);
    if (cors.preflight) {
      res.writeHead(204);
      res.end();
      return;
    }
    if (pathname === '/healthz') {
      json(res, 200, { status: 'ok' });
      return;
    }
    if (pathname === '/readyz') {
      const r = options.readiness();
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks, ...(r.versions ? { versions: r.versions } : {}) });
      return;
    }
    for (const route of options.routes) {
      if (await route(req, res, pathname)) return;
    }
    if (pathname !== graphqlPath) {
      json(res, 404, { error: `no route for ${pathname}; GraphQL is served at ${graphqlPath}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('allow', 'GET, POST');
      json(res, 405, { errors: [{ message: 'use GET or POST for GraphQL', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
      return;
    }
    const release = options.admission ? options.admission.tryAcquire() : undefined;
    if (release === null) {
      req.resume();
      res.setHeader('retry-after', '1');
      res.setHeader('connection', 'close');
      json(res, 503, {
        errors: [{ message: `the server is at capacity (${options.admission!.maxInFlight} requests in flight): retry in a moment`, extensions: { code: 'OVERLOADED', retryAfterSeconds: 1 } }],
      });
      return;
    }
    if (release) res.once('close', release);
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const body = req.method === 'POST' ? await readJsonBody(req, options.maxBodyBytes, headers.get('content-type')) : undefined;
    if (options.variablesLimits) checkVariables(body, url.searchParams, options.variablesLimits);
    const result = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method, headers, search: url.search, body },
      context: async () => options.context({ headers: req.headers, requestId, clientAddress: req.socket.remoteAddress ?? null }),
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return server;
}

/** Refuses variables or extensions (of a POST body, or of GET parameters) beyond the limits, with BAD_USER_INPUT. */
function checkVariables(body: unknown, search: URLSearchParams, limits: JsonShapeLimits): void {
  const parts: [string, unknown][] = [];
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    parts.push(['variables', (body as Record<string, unknown>).variables], ['extensions', (body as Record<string, unknown>).extensions]);
  }
  for (const name of ['variables', 'extensions']) {
    const raw = search.get(name);
    if (raw === null) continue;
    try {
      parts.push([name, JSON.parse(raw)]);
    } catch {
      // Apollo answers unparsable parameters itself.
    }
  }
  for (const [what, value] of parts) {
    const problem = checkJsonShape(value, limits, what);
    if (problem) throw new HttpError(400, problem.message, { code: 'BAD_USER_INPUT', limit: problem.limit, maximum: problem.maximum });
  }
}

/** The path of a request target, or '' when it cannot be parsed (never throws: runs in event handlers). */
function pathnameOf(target: string | undefined): string {
  try {
    return new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

function codeFor(status: number): string {
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 400) return 'BAD_REQUEST';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  return 'INTERNAL_SERVER_ERROR';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJsonBody(req: IncomingMessage, limit: number, contentType: string | undefined): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(413, `request body is ${declared} bytes; the limit is ${limit} bytes (MAX_BODY_BYTES)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, `request body exceeds ${limit} bytes (MAX_BODY_BYTES)`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!contentType || !/^application\/json\b/i.test(contentType.trim())) {
    // Apollo answers non-JSON bodies (and CSRF-unsafe requests) itself; pass the raw text.
    return text;
  }
  if (text.trim() === '') throw new HttpError(400, 'request body is empty; send a JSON object with a "query" field');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`);
  }
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
