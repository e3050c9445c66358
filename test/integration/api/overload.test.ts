/**
 * Overload protection of the whole wiring of src/main.ts over HTTP (fake models, real store): the
 * bound on GraphQL requests in flight, /healthz under a burst, variables refused before coercion,
 * batching off and per-client rate limits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication, type Application } from '../../../src/main';
import { fakeImage } from '../../unit/fakes/fake-encoders';
import { fakeEncoders, gql, http, writeCatalog } from './api-fixtures';

jest.setTimeout(60_000);

const SEARCH = JSON.stringify({ query: '{ search(input: { text: "navy dress", first: 2 }) { totalCount } }' });

/** A POST to /graphql that sends its headers and half its body, and waits; `finish` sends the rest. */
function hangingRequest(app: Application) {
  let req!: ClientRequest;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(SEARCH) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.write(SEARCH.slice(0, 10));
    req.flushHeaders();
  });
  return { response, finish: () => req.end(SEARCH.slice(10)) };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = Date.now();
  const value = await fn();
  return { ms: Date.now() - started, value };
}

describe('overload protection (fake models, real store)', () => {
  let dir: string;
  let app: Application;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-overload-'));
    writeCatalog(path.join(dir, 'catalog'), 24);
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: path.join(dir, 'data'),
      CATALOG_DIR: path.join(dir, 'catalog'),
      LOG_LEVEL: 'silent',
      MAX_IN_FLIGHT: '4',
      RATE_LIMIT_IMAGE_SEARCH: '6',
    });
    app = await startApplication(config, createLogger('silent'), { encoders: fakeEncoders() });
    await app.ready;
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 OVERLOADED with Retry-After beyond MAX_IN_FLIGHT, while /healthz and /readyz answer at once; admits again when requests end', async () => {
    const hanging = Array.from({ length: 4 }, () => hangingRequest(app));
    await new Promise((r) => setTimeout(r, 200));
    const refused = await http(app, 'POST', '/graphql', SEARCH, { 'content-type': 'application/json' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body.toString())).toEqual({
      errors: [{ message: 'the server is at capacity (4 requests in flight): retry in a moment', extensions: { code: 'OVERLOADED', retryAfterSeconds: 1 } }],
    });
    const health = await timed(() => http(app, 'GET', '/healthz'));
    expect(health.value.status).toBe(200);
    expect(health.ms).toBeLessThan(200);
    expect((await http(app, 'GET', '/readyz')).status).toBe(200);
    for (const h of hanging) h.finish();
    for (const r of await Promise.all(hanging.map((h) => h.response))) {
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).data.search.totalCount).toBe(24);
    }
    const again = await gql(app, '{ search(input: { text: "navy dress", first: 2 }) { totalCount } }');
    expect(again.status).toBe(200);
    expect(again.json.data.search.totalCount).toBe(24);
  });

  it('answers a burst of 256 searches with results or OVERLOADED, never anything else, and /healthz stays prompt', async () => {
    const burst = Array.from({ length: 256 }, () => http(app, 'POST', '/graphql', SEARCH, { 'content-type': 'application/json' }));
    const health = timed(() => http(app, 'GET', '/healthz'));
    const answers = await Promise.all(burst);
    const statuses = new Map<number, number>();
    for (const a of answers) {
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      const body = JSON.parse(a.body.toString());
      if (a.status === 200) expect(body.data.search.totalCount).toBe(24);
      else expect([a.status, body.errors[0].extensions.code]).toEqual([503, 'OVERLOADED']);
    }
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect((await health).value.status).toBe(200);
    expect((await health).ms).toBeLessThan(2000);
  });

  it('refuses 20,000 nested filters in the variables with BAD_USER_INPUT before coercion, quickly, and keeps serving', async () => {
    // written as text: JSON.stringify itself would overflow the stack on this
    const filter = `${'{"not":'.repeat(20_000)}{"inStock":true}${'}'.repeat(20_000)}`;
    const body = `{"query":"query($i: SearchInput!) { search(input: $i) { totalCount } }","variables":{"i":{"text":"dress","filter":${filter}}}}`;
    const r = await timed(() => http(app, 'POST', '/graphql', body, { 'content-type': 'application/json' }));
    expect(r.ms).toBeLessThan(2000);
    expect(r.value.status).toBe(400);
    expect(JSON.parse(r.value.body.toString()).errors).toEqual([
      {
        message: expect.stringMatching(/^variables nest deeper than 32 levels: flatten the input/),
        extensions: { code: 'BAD_USER_INPUT', limit: 'depth', maximum: 32 },
      },
    ]);
    const ok = await gql(app, 'query($i: SearchInput!) { search(input: $i) { totalCount } }', { i: { text: 'dress', filter: { not: { inStock: false } } } });
    expect(ok.json.errors).toBeUndefined();
  });

  it('refuses deep variables of a GET request, and too many values', async () => {
    let filter: unknown = { inStock: true };
    for (let i = 0; i < 100; i++) filter = { not: filter };
    const query = encodeURIComponent('query($i: SearchInput!) { search(input: $i) { totalCount } }');
    const variables = encodeURIComponent(JSON.stringify({ i: { text: 'x', filter } }));
    const get = await http(app, 'GET', `/graphql?query=${query}&variables=${variables}`, undefined, { 'apollo-require-preflight': 'true' });
    expect(get.status).toBe(400);
    expect(JSON.parse(get.body.toString()).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'depth', maximum: 32 });
    const many = await gql(app, 'query($ids: [ID!]!) { products(ids: $ids) { id } }', { ids: new Array(60_000).fill('p-1') });
    expect(many.status).toBe(400);
    expect(many.json.errors[0]).toMatchObject({ message: expect.stringMatching(/^variables hold more than 50000 values/), extensions: { code: 'BAD_USER_INPUT', limit: 'values' } });
  });

  it('refuses batched requests (one operation per request)', async () => {
    const r = await http(app, 'POST', '/graphql', JSON.stringify([{ query: '{ serviceInfo { index } }' }, { query: '{ serviceInfo { index } }' }]), { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString()).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('rate limits image searches per client with OVERLOADED and a Retry-After header', async () => {
    const query = 'query($i: SearchInput!) { search(input: $i) { totalCount } }';
    const upload = { i: { image: { base64: fakeImage('navy dress').toString('base64') } } };
    const first = await gql(app, query, upload);
    expect(first.json.errors).toBeUndefined();
    const second = await gql(app, query, upload);
    expect(second.json.errors[0]).toMatchObject({ extensions: { code: 'OVERLOADED', limit: 'imageSearch', retryAfterSeconds: 10 } });
    expect(second.headers['retry-after']).toBe('10');
    // text searches are not rate limited
    expect((await gql(app, query, { i: { text: 'navy dress' } })).json.errors).toBeUndefined();
  });
});
