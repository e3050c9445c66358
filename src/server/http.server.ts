/**
 * The HTTP front: plain node:http. Order: /healthz and /readyz, product media, the web routes
 * (playground and lab, when given), then GraphQL at /graphql through Apollo's
 * executeHTTPGraphQLRequest. Request bodies are size-limited; nothing a client sends can crash
 * the process.
 */
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../config/logger';
import type { GraphQLContext } from '../graphql/context';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean | Promise<boolean>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean | string>;
}

export interface HttpServerOptions {
  apollo: ApolloServer<GraphQLContext>;
  context: () => GraphQLContext;
  readiness: () => Readiness;
  routes: RouteHandler[];
  maxBodyBytes: number;
  logger: Logger;
  graphqlPath?: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createHttpServer(options: HttpServerOptions): Server {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) options.logger.error('request failed', { url: req.url, error: (error as Error)?.stack ?? String(error) });
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: status === 500 ? 'internal error' : (error as Error).message, extensions: { code: codeFor(status) } }] }));
      } else {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    if (pathname === '/healthz') {
      json(res, 200, { status: 'ok' });
      return;
    }
    if (pathname === '/readyz') {
      const r = options.readiness();
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks });
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
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const body = req.method === 'POST' ? await readJsonBody(req, options.maxBodyBytes, headers.get('content-type')) : undefined;
    const result = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method, headers, search: url.search, body },
      context: async () => options.context(),
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
