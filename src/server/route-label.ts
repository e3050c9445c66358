/**
 * The route label of an HTTP request for metrics: one of a fixed set, so that clients choosing
 * paths cannot create unbounded metric series.
 */
const EXACT = new Set(['/graphql', '/healthz', '/readyz', '/metrics', '/lab']);
const PREFIXES = ['/media/', '/static/', '/vendor/'];

export function routeLabel(pathname: string): string {
  if (EXACT.has(pathname)) return pathname;
  const prefix = PREFIXES.find((p) => pathname.startsWith(p));
  return prefix ? `${prefix}*` : 'other';
}
