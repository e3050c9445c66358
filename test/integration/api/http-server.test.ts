/**
 * The whole wiring of src/main.ts over HTTP, with the real embedded store and event log on a small
 * temporary catalogue, and fake encoders in place of the ONNX models.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication, type Application } from '../../../src/main';
import { fakeImage } from '../../unit/fakes/fake-encoders';
import { bearer, createKey, fakeEncoders, gql, http, writeCatalog } from './api-fixtures';

describe('HTTP server (fake models, real store)', () => {
  let dir: string;
  let app: Application;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-http-'));
    writeCatalog(path.join(dir, 'catalog'), 24);
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: path.join(dir, 'data'),
      CATALOG_DIR: path.join(dir, 'catalog'),
      MAX_IMAGE_BYTES: '4096',
      MAX_BODY_BYTES: '65536',
      LOG_LEVEL: 'silent',
    });
    app = await startApplication(config, createLogger('silent'), { encoders: fakeEncoders() });
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is alive at once and ready after the ingest', async () => {
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
    await app.ready;
    const ready = await http(app, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body.toString())).toMatchObject({ status: 'ready', checks: { ingest: 'COMPLETE', processed: '24/24' } });
  });

  it('answers GraphQL over POST', async () => {
    await app.ready;
    const r = await gql(app, `{ search(input: { text: "navy dress", first: 3, facets: ["color"] }) { totalCount edges { node { id title imageUrl } } facets { attribute values { value count } } } }`);
    expect(r.status).toBe(200);
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.search.totalCount).toBe(24);
    expect(r.json.data.search.edges[0].node.title).toBe('navy dress');
    expect(r.json.data.search.facets[0].values).toEqual([
      { value: 'green', count: 8 },
      { value: 'navy', count: 8 },
      { value: 'red', count: 8 },
    ]);
  });

  it('finds a product code through the lexical source of the real store', async () => {
    await app.ready;
    const r = await gql(app, `{ search(input: { text: "XY1017", first: 1 }) { edges { node { id } explanation { scoreParts { source rank } } } } }`);
    expect(r.json.data.search.edges[0].node.id).toBe('p-17');
    expect(r.json.data.search.edges[0].explanation.scoreParts).toContainEqual({ source: 'lexical', rank: 1 });
  });

  it('serves product images at their imageUrl and nothing outside the catalogue', async () => {
    await app.ready;
    const r = await gql(app, `{ product(id: "p-3") { imageUrl } }`);
    const img = await http(app, 'GET', r.json.data.product.imageUrl);
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    expect(img.body).toEqual(fakeImage('red dress'));
    expect((await http(app, 'GET', '/media/..%2Fproducts.jsonl')).status).toBe(404);
    expect((await http(app, 'GET', '/media/../../etc/passwd')).status).toBe(404);
    expect((await http(app, 'GET', '/media/uploads/../x.png')).status).toBe(404);
  });

  it('stores uploads and serves them', async () => {
    await app.ready;
    const catalog = bearer(createKey(path.join(dir, 'data'), ['catalog']));
    const r = await gql(
      app,
      `mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { products { id imageUrl } } }`,
      { p: [{ id: 'up-1', title: 'Yellow raincoat', price: 80, image: { base64: fakeImage('yellow raincoat').toString('base64') } }] },
      catalog,
    );
    expect(r.json.errors).toBeUndefined();
    const url = r.json.data.upsertProducts.products[0].imageUrl;
    const img = await http(app, 'GET', url);
    expect(img.status).toBe(200);
    expect(img.body).toEqual(fakeImage('yellow raincoat'));
    const del = await gql(app, `mutation { deleteProducts(ids: ["up-1"]) { deleted } }`, {}, catalog);
    expect(del.json.data.deleteProducts.deleted).toBe(1);
  });

  it('refuses oversized, malformed and unsupported requests without crashing', async () => {
    const big = await http(app, 'POST', '/graphql', JSON.stringify({ query: 'x'.repeat(70_000) }), { 'content-type': 'application/json' });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body.toString()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await http(app, 'POST', '/graphql', '{"query": ', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).errors[0].message).toMatch(/not valid JSON/);
    const syntax = await gql(app, '{ search(');
    expect(syntax.status).toBe(400);
    expect(syntax.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const tooBigImage = await gql(app, `query($b: String!) { search(input: { image: { base64: $b } }) { totalCount } }`, {
      b: Buffer.concat([fakeImage('x'), Buffer.alloc(5000)]).toString('base64'),
    });
    expect(tooBigImage.json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await http(app, 'DELETE', '/graphql')).status).toBe(405);
    expect((await http(app, 'GET', '/nowhere')).status).toBe(404);
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
  });

  it('mounts the playground for browsers and GraphQL for GET queries', async () => {
    const page = await http(app, 'GET', '/graphql', undefined, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/text\/html/);
    const get = await http(app, 'GET', `/graphql?query=${encodeURIComponent('{ serviceInfo { index store } }')}`, undefined, {
      accept: 'application/json',
      'apollo-require-preflight': 'true',
    });
    expect(JSON.parse(get.body.toString()).data.serviceInfo).toEqual({ index: 'fake-space@1.0.0', store: 'embedded' });
  });

  it('records events durably for the searches it served', async () => {
    await app.ready;
    const s = await gql(app, `{ search(input: { text: "red shirt", first: 2 }) { searchId edges { node { id } } } }`);
    const { searchId, edges } = s.json.data.search;
    const r = await gql(app, `mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }`, {
      e: [{ searchId, type: 'CLICK', productId: edges[1].node.id, position: 2 }],
    });
    expect(r.json.data.recordSearchEvents.recorded).toBe(1);
  });
});
