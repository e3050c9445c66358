/**
 * Access control, production switches and observability over HTTP, through the whole wiring of
 * src/main.ts (real embedded store, key file and event log; fake encoders): anonymous shoppers
 * search, writes need a catalog key, roles are enforced, keys made by the CLI work and stop working
 * at once, keys never reach the logs; request ids, /metrics and the /readyz health view.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main as keysCli } from '../../../src/cli/keys';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication, type Application } from '../../../src/main';
import { fakeImage } from '../../unit/fakes/fake-encoders';
import { bearer, createKey, fakeEncoders, gql, http, writeCatalog } from './api-fixtures';

const UPSERT = `mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }`;
const raincoat = (id: string) => ({ p: [{ id, title: 'Yellow raincoat', price: 80, image: { base64: fakeImage('yellow raincoat').toString('base64') } }] });
const EVALUATE = `mutation { evaluate(input: { set: "text", limitQueries: 1 }) { id } }`;

function cli(dataDir: string, ...argv: string[]) {
  let stdout = '';
  const code = keysCli(argv, { stdout: (t) => (stdout += t), stderr: () => undefined }, { DATA_DIR: dataDir });
  return { code, stdout: stdout.trim() };
}

describe('access control with default settings', () => {
  let dir: string;
  let dataDir: string;
  let app: Application;
  const logLines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-access-'));
    dataDir = path.join(dir, 'data');
    writeCatalog(path.join(dir, 'catalog'), 12);
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, CATALOG_DIR: path.join(dir, 'catalog'), MAX_IMAGE_BYTES: '4096', MAX_BODY_BYTES: '65536' });
    app = await startApplication(config, createLogger('debug', (l) => logLines.push(l)), { encoders: fakeEncoders() });
    await app.ready;
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves anonymous shoppers: search, products and events need no key', async () => {
    const s = await gql(app, `{ search(input: { text: "navy dress", first: 2 }) { searchId edges { node { id } } } }`);
    expect(s.json.errors).toBeUndefined();
    expect(s.json.data.search.edges).toHaveLength(2);
    const p = await gql(app, `{ product(id: "p-1") { id } serviceInfo { productCount } ingestStatus { state } }`);
    expect(p.json.errors).toBeUndefined();
    const e = await gql(app, `mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }`, {
      e: [{ searchId: s.json.data.search.searchId, type: 'CLICK', productId: s.json.data.search.edges[0].node.id, position: 1 }],
    });
    expect(e.json.data.recordSearchEvents.recorded).toBe(1);
  });

  it('refuses anonymous writes, evaluations and analytics with UNAUTHENTICATED and no detail', async () => {
    for (const [query, variables] of [
      [UPSERT, raincoat('anon-1')],
      [`mutation { deleteProducts(ids: ["p-1"]) { deleted } }`, {}],
      [EVALUATE, {}],
      [`{ evaluationRuns { totalCount } }`, {}],
      [`{ searchAnalytics { searches } }`, {}],
    ] as const) {
      const r = await gql(app, query, variables);
      expect(r.status).toBe(200);
      expect(r.json.errors).toHaveLength(1);
      expect(r.json.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(r.json.errors[0].message).toBe('this operation needs an API key');
    }
    expect((await gql(app, `{ product(id: "anon-1") { id } }`)).json.data.product).toBeNull();
    expect((await gql(app, `{ product(id: "p-1") { id } }`)).json.data.product).toEqual({ id: 'p-1' });
  });

  it('lets a catalog key upsert and delete, by either header', async () => {
    const key = createKey(dataDir, ['catalog'], 'feed');
    const up = await gql(app, UPSERT, raincoat('cat-1'), bearer(key));
    expect(up.json.errors).toBeUndefined();
    expect(up.json.data.upsertProducts.upserted).toBe(1);
    const del = await gql(app, `mutation { deleteProducts(ids: ["cat-1"]) { deleted } }`, {}, { 'x-api-key': key });
    expect(del.json.data.deleteProducts.deleted).toBe(1);
    // a catalog key may still search while search is open
    expect((await gql(app, `{ search(input: { text: "dress", first: 1 }) { totalCount } }`, {}, bearer(key))).json.errors).toBeUndefined();
  });

  it('gives a key without the role FORBIDDEN naming the role, and an analyst key its operations', async () => {
    const searchKey = createKey(dataDir, ['search'], 'storefront');
    const r = await gql(app, EVALUATE, {}, bearer(searchKey));
    expect(r.json.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(r.json.errors[0].message).toBe('this operation needs an API key with the "analyst" role');
    const up = await gql(app, UPSERT, raincoat('s-1'), bearer(searchKey));
    expect(up.json.errors[0]).toMatchObject({ message: 'this operation needs an API key with the "catalog" role', extensions: { code: 'FORBIDDEN' } });
    const analyst = createKey(dataDir, ['analyst'], 'bi');
    const analytics = await gql(app, `{ searchAnalytics { searches } }`, {}, bearer(analyst));
    expect(analytics.json.errors).toBeUndefined();
    expect(analytics.json.data.searchAnalytics.searches).toBeGreaterThanOrEqual(1);
    // past the access check: this server has no evaluation models, which the analyst is told
    const runs = await gql(app, `{ evaluationRuns { totalCount } }`, {}, bearer(analyst));
    expect(runs.json.errors[0].extensions.code).toBe('UNAVAILABLE');
  });

  it('refuses a wrong key everywhere, search included, the same way as a missing one', async () => {
    const wrong = 'fsk_0123456789abcdef_' + 'A'.repeat(43);
    for (const headers of [bearer(wrong), { 'x-api-key': 'garbage' }, { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const s = await gql(app, `{ search(input: { text: "dress" }) { totalCount } }`, {}, headers);
      expect(s.json.errors[0]).toMatchObject({ message: 'this operation needs an API key', extensions: { code: 'UNAUTHENTICATED' } });
      const u = await gql(app, UPSERT, raincoat('w-1'), headers);
      expect(u.json.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
    }
  });

  it('takes keys made by the CLI at once and refuses them at once when revoked', async () => {
    const created = cli(dataDir, 'create', '--role', 'catalog', '--name', 'cli-feed');
    expect(created.code).toBe(0);
    expect((await gql(app, UPSERT, raincoat('cli-1'), bearer(created.stdout))).json.data.upsertProducts.upserted).toBe(1);
    expect(cli(dataDir, 'list').stdout).toMatch(/^cli-feed\s+catalog\s+\S+\s+\d{4}-/m);
    expect(cli(dataDir, 'revoke', 'cli-feed').code).toBe(0);
    const after = await gql(app, UPSERT, raincoat('cli-2'), bearer(created.stdout));
    expect(after.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('returns the request id: the client one when sane, a new one otherwise; it is on the log lines', async () => {
    const own = await gql(app, `{ serviceInfo { productCount } }`, {}, { 'x-request-id': 'storefront-7' });
    expect(own.headers['x-request-id']).toBe('storefront-7');
    const fresh = await gql(app, `{ serviceInfo { productCount } }`, {}, { 'x-request-id': 'not ok {"level":"error"}' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 20));
    const mine = logLines.map((l) => JSON.parse(l)).filter((l) => l.requestId === 'storefront-7');
    expect(mine.map((l) => l.msg)).toContain('request');
    expect(mine.find((l) => l.msg === 'request')).toMatchObject({ route: '/graphql', status: 200, method: 'POST' });
  });

  it('counts operations by name, mode and outcome on /metrics', async () => {
    await gql(app, `{ search(input: { image: { productId: "p-2" }, first: 1 }) { totalCount } }`);
    const r = await http(app, 'GET', '/metrics');
    expect(r.status).toBe(200);
    const text = r.body.toString();
    expect(text).toMatch(/^graphql_operations_total\{operation="search",mode="text",outcome="OK"\} \d+$/m);
    expect(text).toMatch(/^graphql_operations_total\{operation="search",mode="image",outcome="OK"\} 1$/m);
    expect(text).toMatch(/^graphql_operations_total\{operation="upsertProducts",mode="",outcome="UNAUTHENTICATED"\} \d+$/m);
    expect(text).toMatch(/^graphql_operations_total\{operation="evaluate",mode="",outcome="FORBIDDEN"\} 1$/m);
    expect(text).toMatch(/^graphql_errors_total\{code="UNAUTHENTICATED"\} \d+$/m);
    expect(text).toMatch(/^http_requests_total\{route="\/graphql",method="POST",status="200"\} \d+$/m);
    expect(text).toMatch(/^store_operation_duration_seconds_count\{operation="search"\} \d+$/m);
    expect(text).toMatch(/^ingest_products_total 12$/m);
    expect(text).toMatch(/^ingest_complete 1$/m);
    expect(text).toMatch(/^index_info\{index="fake-space@1.0.0"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('shows model and index versions in /readyz', async () => {
    const r = JSON.parse((await http(app, 'GET', '/readyz')).body.toString());
    expect(r).toMatchObject({ status: 'ready', versions: { index: 'fake-space@1.0.0', models: [{ role: 'text', name: 'fake', version: '1' }] } });
  });

  it('keeps Apollo CSRF prevention on, and introspection and the playground on by default', async () => {
    const get = await http(app, 'GET', `/graphql?query=${encodeURIComponent('{ serviceInfo { productCount } }')}`);
    expect(get.status).toBe(400);
    expect(get.body.toString()).toMatch(/CSRF/);
    const intro = await gql(app, `{ __schema { queryType { name } } }`);
    expect(intro.json.data.__schema.queryType.name).toBe('Query');
    expect((await http(app, 'GET', '/lab')).status).toBe(200);
    // no CORS headers unless origins are configured
    const cross = await http(app, 'POST', '/graphql', JSON.stringify({ query: '{ serviceInfo { productCount } }' }), { 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(cross.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never writes a key to the logs', () => {
    const all = logLines.join('');
    expect(all).not.toMatch(/fsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/);
    expect(all).not.toContain('A'.repeat(43));
  });
});

describe('production switches', () => {
  let dir: string;
  let dataDir: string;
  let app: Application;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-prod-'));
    dataDir = path.join(dir, 'data');
    writeCatalog(path.join(dir, 'catalog'), 6);
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: dataDir,
      CATALOG_DIR: path.join(dir, 'catalog'),
      LOG_LEVEL: 'silent',
      AUTH_SEARCH_REQUIRES_KEY: 'true',
      METRICS_REQUIRE_KEY: 'true',
      GRAPHQL_INTROSPECTION: 'false',
      PLAYGROUND: 'false',
      CORS_ORIGINS: 'https://shop.example.com',
    });
    app = await startApplication(config, createLogger('silent'), { encoders: fakeEncoders() });
    await app.ready;
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes searching need a key with the search role', async () => {
    const SEARCH = `{ search(input: { text: "dress", first: 1 }) { totalCount } }`;
    expect((await gql(app, SEARCH)).json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await gql(app, SEARCH, {}, bearer(createKey(dataDir, ['catalog'])))).json.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await gql(app, SEARCH, {}, bearer(createKey(dataDir, ['search'])))).json.data.search.totalCount).toBe(6);
    expect((await gql(app, SEARCH, {}, bearer(createKey(dataDir, ['admin'])))).json.data.search.totalCount).toBe(6);
  });

  it('turns introspection and the playground off', async () => {
    const key = bearer(createKey(dataDir, ['admin']));
    const intro = await gql(app, `{ __schema { queryType { name } } }`, {}, key);
    expect(intro.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(intro.json.errors[0].message).toMatch(/introspection/i);
    expect((await http(app, 'GET', '/lab')).status).toBe(404);
    const page = await http(app, 'GET', '/graphql', undefined, { accept: 'text/html' });
    expect(String(page.headers['content-type'])).not.toMatch(/text\/html/);
  });

  it('answers CORS preflights for the listed origin only', async () => {
    const ok = await http(app, 'OPTIONS', '/graphql', undefined, { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('authorization');
    const other = await http(app, 'OPTIONS', '/graphql', undefined, { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const post = await http(app, 'POST', '/graphql', JSON.stringify({ query: '{ serviceInfo { productCount } }' }), {
      'content-type': 'application/json',
      origin: 'https://shop.example.com',
      ...bearer(createKey(dataDir, ['search'])),
    });
    expect(post.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(post.headers['access-control-expose-headers']).toBe('x-request-id');
  });

  it('protects /metrics with an analyst key', async () => {
    expect((await http(app, 'GET', '/metrics')).status).toBe(401);
    expect((await http(app, 'GET', '/metrics', undefined, bearer(createKey(dataDir, ['catalog'])))).status).toBe(403);
    const r = await http(app, 'GET', '/metrics', undefined, bearer(createKey(dataDir, ['analyst'])));
    expect(r.status).toBe(200);
    expect(r.body.toString()).toMatch(/^http_requests_total\{route="\/metrics",method="GET",status="401"\} 1$/m);
  });
});
