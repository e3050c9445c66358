import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { createWebRoutes, prefersHtml, resolvePackageFile, VENDOR_FILES, type WebRoutesOptions } from '../../../src/web/web.routes';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A node:http server that mounts the web routes and answers everything else with 418 "fallback". */
async function startServer(options: WebRoutesOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const handle = createWebRoutes(options);
  const server = http.createServer((req, res) => {
    if (handle(req, res)) return;
    req.resume();
    res.writeHead(418, { 'Content-Type': 'text/plain' });
    res.end('fallback');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** Sends the path exactly as given (no normalisation), as a raw client could. */
function request(base: string, rawPath: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('prefersHtml', () => {
  it.each([
    [BROWSER_ACCEPT, true],
    ['text/html', true],
    ['application/json', false],
    ['application/graphql-response+json, application/json', false],
    ['application/json, text/html', false],
    ['text/html, application/json', true],
    ['application/json;q=0.5, text/html', true],
    ['text/html;q=0.4, application/json', false],
    ['text/html;q=0', false],
    ['*/*', false],
    ['', false],
    [undefined, false],
  ])('%j -> %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});

describe('web routes', () => {
  let server: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the GraphiQL page to a browser on GET /graphql, loading only local bundles', async () => {
    const reply = await request(server.url, '/graphql', { headers: { Accept: BROWSER_ACCEPT } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
    const html = reply.body.toString('utf8');
    expect(html).toContain('/vendor/graphiql.min.js');
    expect(html).toContain('/vendor/react.production.min.js');
    expect(html).toContain('data-graphql-path="/graphql"');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it.each([
    ['POST with JSON', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"query":"{__typename}"}' }, '/graphql'],
    ['GET asking for JSON', { headers: { Accept: 'application/json' } }, '/graphql?query=%7B__typename%7D'],
    ['GET without Accept', {}, '/graphql'],
    ['GET from a browser with a query string', { headers: { Accept: BROWSER_ACCEPT } }, '/graphql?query=%7B__typename%7D'],
  ])('leaves %s on /graphql to GraphQL', async (_label, init, path) => {
    const reply = await request(server.url, path, init);
    expect(reply.status).toBe(418);
    expect(reply.body.toString()).toBe('fallback');
  });

  it('leaves paths it does not own alone', async () => {
    for (const path of ['/', '/healthz', '/media/p-1.webp', '/labs', '/lab/rulesx', '/lab/other', '/vendorx/graphiql.min.js']) {
      const reply = await request(server.url, path);
      expect([path, reply.status]).toEqual([path, 418]);
    }
  });

  it.each(['/lab', '/lab/', '/lab?text=dress', '/lab/rules'])('serves the search lab page at %s', async (path) => {
    const reply = await request(server.url, path);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-cache');
    const html = reply.body.toString('utf8');
    expect(html).toContain('<script type="module" src="/static/lab.js"></script>');
    expect(html).toContain('/static/lab.css');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it.each([
    ['/static/lab.js', 'text/javascript; charset=utf-8'],
    ['/static/lab.css', 'text/css; charset=utf-8'],
    ['/static/lab-api.js', 'text/javascript; charset=utf-8'],
    ['/static/lab-rules.js', 'text/javascript; charset=utf-8'],
    ['/static/lab-rule-editor.js', 'text/javascript; charset=utf-8'],
    ['/static/lab-rule-preview.js', 'text/javascript; charset=utf-8'],
    ['/static/playground.js', 'text/javascript; charset=utf-8'],
    ['/static/playground.css', 'text/css; charset=utf-8'],
    ['/static/operations.json', 'application/json; charset=utf-8'],
  ])('serves %s as %s, revalidated by ETag', async (path, type) => {
    const reply = await request(server.url, path);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(type);
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    const etag = reply.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await request(server.url, path, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const changed = await request(server.url, path, { headers: { 'If-None-Match': '"something-else"' } });
    expect(changed.status).toBe(200);
  });

  it('serves every whitelisted vendor file byte for byte from node_modules, cacheable', async () => {
    for (const [name, specifier] of Object.entries(VENDOR_FILES)) {
      const reply = await request(server.url, `/vendor/${name}`);
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe(name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(reply.headers['cache-control']).toBe('public, max-age=86400');
      expect(Number(reply.headers['content-length'])).toBe(reply.body.length);
      expect(reply.body.equals(readFileSync(resolvePackageFile(specifier)))).toBe(true);
    }
  });

  it('compresses with gzip when the client accepts it', async () => {
    const reply = await request(server.url, '/vendor/graphiql.min.js', { headers: { 'Accept-Encoding': 'br, gzip;q=0.8' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-encoding']).toBe('gzip');
    expect(reply.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(reply.body).equals(readFileSync(resolvePackageFile('graphiql/graphiql.min.js')))).toBe(true);
    const identity = await request(server.url, '/vendor/graphiql.min.js', { headers: { 'Accept-Encoding': 'gzip;q=0' } });
    expect(identity.headers['content-encoding']).toBeUndefined();
  });

  it('answers HEAD with headers only', async () => {
    const get = await request(server.url, '/static/lab.js');
    const head = await request(server.url, '/static/lab.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(get.body.length));
  });

  it.each([
    '/vendor/react/package.json',
    '/vendor/',
    '/vendor/graphiql.min.js.map',
    '/vendor/..%2f..%2fpackage.json',
    '/vendor/%2e%2e%2fpackage.json',
    '/vendor/graphiql%2fgraphiql.min.js',
    '/vendor/constructor',
    '/vendor/__proto__',
    '/static/lab.html',
    '/static/../web.routes.ts',
    '/static/..%2fweb.routes.ts',
    '/static/',
  ])('never serves %s outside the whitelist', async (path) => {
    const reply = await request(server.url, path);
    // Dot segments are resolved before routing (then the path is not ours: 418); anything else under
    // our prefixes that is not whitelisted is a 404.
    expect([404, 418]).toContain(reply.status);
    expect(reply.body.toString()).not.toContain('"name"');
    expect(reply.body.toString()).not.toContain('createWebRoutes');
  });

  it('rejects writes to its paths with 405 and says which methods work', async () => {
    const reply = await request(server.url, '/lab', { method: 'POST', body: 'x' });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
    expect(reply.body.toString()).toContain('use GET');
  });

  it('escapes a configured GraphQL path into the pages', async () => {
    const custom = await startServer({ graphqlPath: '/api/graphql' });
    try {
      const page = await request(custom.url, '/api/graphql', { headers: { Accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.body.toString()).toContain('data-graphql-path="/api/graphql"');
      const lab = await request(custom.url, '/lab');
      expect(lab.body.toString()).toContain('data-graphql-path="/api/graphql"');
      const old = await request(custom.url, '/graphql', { headers: { Accept: 'text/html' } });
      expect(old.status).toBe(418);
    } finally {
      await custom.close();
    }
  });

  it('answers 500 with the reason when a vendor file is missing, and keeps serving', async () => {
    const broken = await startServer({
      resolvePackageFile: (specifier) => {
        throw new Error(`Cannot find module '${specifier}'`);
      },
    });
    try {
      const reply = await request(broken.url, '/vendor/graphiql.min.js');
      expect(reply.status).toBe(500);
      expect(reply.body.toString()).toContain("Cannot find module 'graphiql/graphiql.min.js'");
      const lab = await request(broken.url, '/lab');
      expect(lab.status).toBe(200);
    } finally {
      await broken.close();
    }
  });
});
