/** CORS answers as a pure function of CORS_ORIGINS and the request, and the route labels of metrics. */
import { corsAnswer, type CorsRequest } from '../../../src/server/cors';
import { routeLabel } from '../../../src/server/route-label';

const SHOP = 'https://shop.example.com';
const post = (origin?: string): CorsRequest => ({ method: 'POST', origin, requestMethod: undefined });
const preflight = (origin?: string): CorsRequest => ({ method: 'OPTIONS', origin, requestMethod: 'POST' });

describe('corsAnswer', () => {
  const table: [string, string[], CorsRequest, { allowOrigin: string | null; preflight: boolean; vary: boolean }][] = [
    ['none configured, cross-origin POST', [], post(SHOP), { allowOrigin: null, preflight: false, vary: false }],
    ['none configured, preflight', [], preflight(SHOP), { allowOrigin: null, preflight: false, vary: false }],
    ['listed origin, POST', [SHOP], post(SHOP), { allowOrigin: SHOP, preflight: false, vary: true }],
    ['listed origin, preflight', [SHOP, 'http://localhost:3000'], preflight('http://localhost:3000'), { allowOrigin: 'http://localhost:3000', preflight: true, vary: true }],
    ['unlisted origin, POST', [SHOP], post('https://evil.example'), { allowOrigin: null, preflight: false, vary: true }],
    ['unlisted origin, preflight', [SHOP], preflight('https://evil.example'), { allowOrigin: null, preflight: false, vary: true }],
    ['listed, but another scheme', [SHOP], post('http://shop.example.com'), { allowOrigin: null, preflight: false, vary: true }],
    ['same-origin request (no Origin)', [SHOP], post(undefined), { allowOrigin: null, preflight: false, vary: true }],
    ['any origin', ['*'], post('https://anyone.example'), { allowOrigin: '*', preflight: false, vary: false }],
    ['any origin, preflight', ['*'], preflight('https://anyone.example'), { allowOrigin: '*', preflight: true, vary: false }],
    ['OPTIONS without a requested method is no preflight', [SHOP], { method: 'OPTIONS', origin: SHOP, requestMethod: undefined }, { allowOrigin: SHOP, preflight: false, vary: true }],
  ];
  it.each(table)('%s', (_name, origins, request, expected) => {
    const answer = corsAnswer(origins, request);
    expect(answer.preflight).toBe(expected.preflight);
    expect(answer.headers['access-control-allow-origin'] ?? null).toBe(expected.allowOrigin);
    expect(answer.headers.vary === 'origin').toBe(expected.vary);
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets browsers send keys and read the request id', () => {
    const pre = corsAnswer([SHOP], preflight(SHOP)).headers;
    expect(pre['access-control-allow-headers'].split(', ')).toEqual(expect.arrayContaining(['content-type', 'authorization', 'x-api-key', 'x-request-id']));
    expect(pre['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(corsAnswer([SHOP], post(SHOP)).headers['access-control-expose-headers']).toBe('x-request-id');
  });
});

describe('routeLabel', () => {
  const table: [string, string][] = [
    ['/graphql', '/graphql'],
    ['/healthz', '/healthz'],
    ['/readyz', '/readyz'],
    ['/metrics', '/metrics'],
    ['/lab', '/lab'],
    ['/media/uploads/abc.png', '/media/*'],
    ['/static/lab.js', '/static/*'],
    ['/vendor/graphiql.min.js', '/vendor/*'],
    ['/graphql/x', 'other'],
    ['/', 'other'],
    ['/wp-admin/setup.php', 'other'],
  ];
  it.each(table)('%s -> %s', (pathname, label) => expect(routeLabel(pathname)).toBe(label));
});
