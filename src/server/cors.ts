/**
 * Cross-origin resource sharing, as a pure function of the configured origins (CORS_ORIGINS) and a
 * request's Origin header: the response headers to add, and whether the request is a preflight
 * the server answers itself. With no origins configured nothing is added, so browsers allow only
 * same-origin pages (the lab and the playground) to read answers. Keys travel in headers, never in
 * cookies, so credentials are not allowed. Apollo's CSRF prevention stays on either way: simple
 * cross-site requests (forms, plain GETs) never execute an operation.
 */
export const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'x-api-key', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'];
export const CORS_EXPOSED_HEADERS = ['x-request-id'];
const PREFLIGHT_MAX_AGE_S = 600;

export interface CorsRequest {
  method: string;
  origin: string | undefined;
  /** The access-control-request-method header of a preflight. */
  requestMethod: string | undefined;
}

export interface CorsAnswer {
  headers: Record<string, string>;
  /** An allowed preflight: answer 204 with the headers, without routing further. */
  preflight: boolean;
}

export function corsAnswer(allowedOrigins: readonly string[], request: CorsRequest): CorsAnswer {
  const none: CorsAnswer = { headers: {}, preflight: false };
  if (allowedOrigins.length === 0) return none;
  const any = allowedOrigins.includes('*');
  // Answers differ by origin: caches must key on it (unless every origin gets the same answer).
  const vary: Record<string, string> = any ? {} : { vary: 'origin' };
  if (!request.origin || (!any && !allowedOrigins.includes(request.origin))) return { headers: vary, preflight: false };
  const allowOrigin = any ? '*' : request.origin;
  if (request.method === 'OPTIONS' && request.requestMethod) {
    return {
      preflight: true,
      headers: {
        ...vary,
        'access-control-allow-origin': allowOrigin,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
      },
    };
  }
  return { preflight: false, headers: { ...vary, 'access-control-allow-origin': allowOrigin, 'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', ') } };
}
