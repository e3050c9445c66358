/**
 * GET /metrics: the Prometheus text exposition of the server's metrics. Open by default (the server
 * listens on loopback unless HOST says otherwise); with METRICS_REQUIRE_KEY=true it needs a key with
 * the `analyst` role, and a missing or wrong key gets 401 without detail.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision, HeaderBag } from '../auth/authorizer';
import type { RouteHandler } from './http.server';

export const METRICS_PATH = '/metrics';

export interface MetricsSource {
  exposition(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsRouteOptions {
  metrics: MetricsSource;
  /** Decides access from the request headers; absent: open. */
  authorize?: (headers: HeaderBag) => Decision;
}

export function createMetricsRoute(options: MetricsRouteOptions): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    if (pathname !== METRICS_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('use GET for /metrics\n');
      return true;
    }
    const decision = options.authorize?.(req.headers) ?? 'ALLOWED';
    if (decision !== 'ALLOWED') {
      const status = decision === 'FORBIDDEN' ? 403 : 401;
      const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
      if (status === 401) headers['www-authenticate'] = 'Bearer';
      res.writeHead(status, headers);
      res.end(status === 401 ? 'an API key is needed\n' : 'this key needs the "analyst" role to read metrics\n');
      return true;
    }
    const body = await options.metrics.exposition();
    res.writeHead(200, { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
