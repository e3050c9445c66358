/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 */
/**
 * End to end over HTTP: the real server (src/main.ts wiring) with the real ONNX models on a subset
 * of the committed demo catalogue, in a temporary DATA_DIR. Models come from models/ (or
 * E2E_MODELS_DIR, e.g. test/fixtures/tiny-manifest for a quick run).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKeyStore } from '../../../src/auth/api-key.store';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { startApplication, type Application } from '../../../src/main';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CATALOG = path.join(ROOT, 'seed', 'demo');
const MODELS = path.resolve(ROOT, process.env.E2E_MODELS_DIR ?? 'models');
const SUBSET = 1200;

jest.setTimeout(180_000);

let app: Application;
let dataDir: string;
/** Writes need a key with the catalog role; searches run anonymously, as a shopper's do. */
let catalogKey = '';

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: T; errors?: { message: string; extensions: { code: string } }[] };
}

const SEARCH = `query($input: SearchInput!) {
  search(input: $input) {
    searchId mode totalCount
    pageInfo { hasNextPage endCursor }
    facets { attribute values { value count } }
    edges { cursor score node { id title price inStock imageUrl attributes { name value } } explanation { matchedAttributes { name value } scoreParts { source score rank } } }
  }
}`;

const ids = (r: any) => r.data.search.edges.map((e: any) => e.node.id) as string[];
const catalogLines = readFileSync(path.join(CATALOG, 'products.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, SUBSET).map((l) => JSON.parse(l));

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'e2e-http-'));
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    CATALOG_DIR: CATALOG,
    CATALOG_LIMIT: String(SUBSET),
    MODELS_DIR: MODELS,
    IMAGE_DIR: CATALOG,
    LOG_LEVEL: 'silent',
  });
  app = await startApplication(config, createLogger('silent'));
  const keys = new ApiKeyStore(ApiKeyStore.fileIn(dataDir));
  catalogKey = keys.create({ roles: ['catalog'] }).key;
  keys.close();
  const early = await fetch(`${app.url}/healthz`);
  expect(early.status).toBe(200);
  await app.ready;
});

afterAll(async () => {
  await app?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it('is ready after ingesting the catalogue subset', async () => {
  const r = await fetch(`${app.url}/readyz`);
  expect(r.status).toBe(200);
  const info = await gql(`{ serviceInfo { index productCount ready models { name role } } ingestStatus { state processed total } }`);
  expect(info.data.serviceInfo).toMatchObject({ index: 'fashion-space@1.0.0', productCount: SUBSET, ready: true });
  expect(info.data.ingestStatus).toEqual({ state: 'COMPLETE', processed: SUBSET, total: SUBSET });
});

it('text search finds a product code exactly and explains the match', async () => {
  const target = catalogLines[17];
  const code = /Art\. no\. ([A-Z0-9-]+)/.exec(target.description)![1];
  const r = await gql(SEARCH, { input: { text: code, first: 5 } });
  expect(r.errors).toBeUndefined();
  expect(r.data.search.mode).toBe('TEXT');
  expect(ids(r)[0]).toBe(target.id);
  expect(r.data.search.edges[0].explanation.scoreParts).toContainEqual(expect.objectContaining({ source: 'lexical', rank: 1 }));
});

it('text search with attributes explains matched attributes', async () => {
  const r = await gql(SEARCH, { input: { text: 'red dress', first: 10 } });
  expect(r.data.search.totalCount).toBe(SUBSET);
  expect(r.data.search.edges).toHaveLength(10);
  for (const e of r.data.search.edges) {
    const attrs = e.node.attributes.map((a: any) => `${a.name}=${a.value}`);
    for (const m of e.explanation.matchedAttributes) expect(attrs).toContain(`${m.name}=${m.value}`);
  }
});

it('image search by productId and by the same image as base64 agree', async () => {
  const target = catalogLines[40];
  // Scores are the image similarity itself without category prediction (with it, a boost fuses two rankings).
  const byId = await gql(SEARCH, { input: { image: { productId: target.id }, first: 5, categoryPrediction: 'OFF' } });
  expect(byId.data.search.mode).toBe('IMAGE');
  expect(ids(byId)[0]).toBe(target.id);
  expect(byId.data.search.edges[0].score).toBeCloseTo(1, 4);
  const b64 = readFileSync(path.join(CATALOG, target.image)).toString('base64');
  const byBytes = await gql(SEARCH, { input: { image: { base64: b64 }, first: 5, categoryPrediction: 'OFF' } });
  expect(ids(byBytes)[0]).toBe(target.id);
  expect(byBytes.data.search.edges[0].score).toBeCloseTo(1, 4);
  // With the default (AUTO), both still find the product itself first.
  for (const image of [{ productId: target.id }, { base64: b64 }]) {
    const auto = await gql(SEARCH, { input: { image, first: 5 } });
    expect(auto.errors).toBeUndefined();
    expect(ids(auto)[0]).toBe(target.id);
  }
});

it('composed search (image + modifier) runs the fusion network and leaves the reference out', async () => {
  const ref = catalogLines[0];
  const r = await gql(SEARCH, { input: { image: { productId: ref.id }, modifier: 'same but in red', first: 20 } });
  expect(r.errors).toBeUndefined();
  expect(r.data.search.mode).toBe('COMPOSED');
  expect(ids(r)).not.toContain(ref.id);
  expect(r.data.search.totalCount).toBe(SUBSET - 1);
});

it('text + image without a modifier is a weighted search', async () => {
  const r = await gql(SEARCH, { input: { text: 'black', image: { productId: catalogLines[3].id }, imageWeight: 0.7, first: 3 } });
  expect(r.data.search.mode).toBe('TEXT_AND_IMAGE');
  expect(r.data.search.edges).toHaveLength(3);
});

it('filters and facets agree with the catalogue', async () => {
  const filter = { attributes: [{ attribute: 'category', anyOf: ['dress', 'coat'] }], inStock: true, price: { max: 150 } };
  const r = await gql(SEARCH, { input: { text: 'warm winter', filter, facets: ['category', 'color'], first: 100 } });
  expect(r.errors).toBeUndefined();
  const expected = catalogLines.filter((p) => ['dress', 'coat'].includes(p.attributes.category[0]) && p.inStock && p.price <= 150);
  expect(r.data.search.totalCount).toBe(expected.length);
  const category = r.data.search.facets.find((f: any) => f.attribute === 'category');
  expect(Object.fromEntries(category.values.map((v: any) => [v.value, v.count]))).toEqual({
    dress: expected.filter((p) => p.attributes.category[0] === 'dress').length,
    coat: expected.filter((p) => p.attributes.category[0] === 'coat').length,
  });
  for (const e of r.data.search.edges) {
    expect(e.node.inStock).toBe(true);
    expect(e.node.price).toBeLessThanOrEqual(150);
  }
});

it('pages without duplicates or gaps', async () => {
  const input = { text: 'striped cotton shirt', first: 40 };
  const all = ids(await gql(SEARCH, { input: { ...input, first: 100 } }));
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 3; i++) {
    const page: any = await gql(SEARCH, { input: { ...input, after } });
    seen.push(...ids(page));
    after = page.data.search.pageInfo.endCursor;
  }
  expect(seen.slice(0, 100)).toEqual(all);
  expect(new Set(seen).size).toBe(seen.length);
});

it('similar products', async () => {
  const r = await gql(`{ similarProducts(id: "${catalogLines[5].id}", first: 5) { mode totalCount edges { node { id } } } }`);
  expect(r.data.similarProducts.mode).toBe('SIMILAR');
  expect(r.data.similarProducts.edges).toHaveLength(5);
  expect(r.data.similarProducts.edges.map((e: any) => e.node.id)).not.toContain(catalogLines[5].id);
});

it('upserts a product by server path, finds it by its image, and deletes it', async () => {
  const source = catalogLines[9];
  const up = await gql(`mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted products { id imageUrl } } }`, {
    p: [{ id: 'e2e-new', title: 'Brand new test item', price: 12.5, attributes: [{ name: 'category', values: source.attributes.category }], image: { path: source.image } }],
  }, { authorization: `Bearer ${catalogKey}` });
  expect(up.errors).toBeUndefined();
  expect(up.data.upsertProducts.products[0].imageUrl).toMatch(/^\/media\/uploads\//);
  const img = await fetch(`${app.url}${up.data.upsertProducts.products[0].imageUrl}`);
  expect(img.status).toBe(200);
  const found = await gql(SEARCH, { input: { image: { productId: source.id }, first: 2 } });
  expect(ids(found).sort()).toEqual(['e2e-new', source.id].sort());
  const del = await gql(`mutation { deleteProducts(ids: ["e2e-new"]) { deleted } }`, {}, { 'x-api-key': catalogKey });
  expect(del.data.deleteProducts.deleted).toBe(1);
  const gone = await gql(`{ product(id: "e2e-new") { id } }`);
  expect(gone.data.product).toBeNull();
});

const UNDERSTOOD = `query($input: SearchInput!) {
  search(input: $input) {
    totalCount
    understanding { field originalText correctedText corrections { from to } attributes { name value polarity source use } price { max applied } searchText }
    edges { node { id price attributes { name value } } explanation { scoreParts { source rank } } }
  }
}`;

it('understands a misspelt query with an unseen colour word, an exclusion and a price', async () => {
  const input = { text: 'crimson ankel boots but not leather under 120', first: 10 };
  const r = await gql(UNDERSTOOD, { input });
  const u = r.data.search.understanding;
  expect(u.field).toBe('TEXT');
  expect(u.correctedText).toBe('crimson ankle boots but not leather under 120');
  expect(u.corrections).toEqual([{ from: 'ankel', to: 'ankle' }]);
  expect(u.attributes).toEqual(
    expect.arrayContaining([
      { name: 'color', value: 'red', polarity: 'INCLUDE', source: 'COLOUR_NAME', use: 'RETRIEVAL' },
      { name: 'category', value: 'ankle-boot', polarity: 'INCLUDE', source: 'CATALOGUE', use: 'RETRIEVAL' },
      { name: 'material', value: 'leather', polarity: 'EXCLUDE', source: 'CATALOGUE', use: 'EXCLUSION' },
    ]),
  );
  expect(u.price).toEqual({ max: 120, applied: true });
  expect(u.searchText).toBe('red ankle boots');
  const edges = r.data.search.edges;
  expect(edges.length).toBeGreaterThan(0);
  const attr = (e: any, name: string) => e.node.attributes.filter((a: any) => a.name === name).map((a: any) => a.value);
  for (const e of edges) {
    expect(e.node.price).toBeLessThanOrEqual(120);
    expect(attr(e, 'material')).not.toContain('leather');
  }
  // the products that match what was understood come first, retrieved by the attribute source
  expect(attr(edges[0], 'category')).toEqual(['ankle-boot']);
  expect(attr(edges[0], 'color')).toEqual(['red']);
  expect(edges[0].explanation.scoreParts.map((p: any) => p.source)).toContain('dense:image:attributes');
  // the total counts what the exclusion and the price leave, not the whole catalogue
  expect(r.data.search.totalCount).toBeLessThan(SUBSET);

  // as typed, "ankel" stays; "boots" alone still names the category
  const asTyped = await gql(UNDERSTOOD, { input: { ...input, correctSpelling: false } });
  expect(asTyped.data.search.understanding.correctedText).toBeNull();
  expect(asTyped.data.search.understanding.corrections).toEqual([]);
  expect(asTyped.data.search.understanding.searchText).toBe('red ankel boots');
});

it('understands the modifier of a composed search', async () => {
  const ref = catalogLines.find((p) => p.attributes.category[0] === 'dress' && p.attributes.color[0] !== 'red')!;
  const r = await gql(UNDERSTOOD, { input: { image: { productId: ref.id }, modifier: 'same but in red', first: 5 } });
  const u = r.data.search.understanding;
  expect(u.field).toBe('MODIFIER');
  expect(u.attributes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'color', value: 'red', use: 'RETRIEVAL' })]));
  const first = r.data.search.edges[0].node.attributes;
  expect(first).toEqual(expect.arrayContaining([{ name: 'color', value: 'red' }, { name: 'category', value: 'dress' }]));
});

it('records impressions and clicks', async () => {
  const s = await gql(SEARCH, { input: { text: 'sneakers', first: 3 } });
  const { searchId } = s.data.search;
  const events = ids(s).map((id, i) => ({ searchId, type: 'IMPRESSION', productId: id, position: i + 1 }));
  events.push({ searchId, type: 'CLICK', productId: ids(s)[1], position: 2 });
  const r = await gql(`mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }`, { e: events });
  expect(r.data.recordSearchEvents.recorded).toBe(4);
});

it.each([
  ['an empty search', { first: 5 }, 'BAD_USER_INPUT'],
  ['two image sources', { image: { productId: 'p-test-00000-0', base64: 'AAAA' } }, 'BAD_USER_INPUT'],
  ['first over 100', { text: 'dress', first: 500 }, 'BAD_USER_INPUT'],
  ['a malformed cursor', { text: 'dress', after: 'xyz' }, 'BAD_USER_INPUT'],
  ['an unknown facet', { text: 'dress', facets: ['fabric'] }, 'BAD_USER_INPUT'],
  ['an undecodable image', { image: { base64: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]).toString('base64') } }, 'BAD_USER_INPUT'],
  ['an unknown product', { image: { productId: 'p-none' } }, 'NOT_FOUND'],
])('rejects %s with %s', async (_name, input, code) => {
  const r = await gql(SEARCH, { input });
  expect(r.errors?.[0].extensions.code).toBe(code);
  expect(r.errors?.[0].message.length).toBeGreaterThan(10);
});

it('predicts attributes of a product written without any, and finds it through them when a filter allows predictions', async () => {
  // a demo product's picture under a new id, with no attributes at all
  const source = catalogLines.find((p: any) => p.attributes.category[0] === 'dress' && p.attributes.color[0] === 'black') ?? catalogLines[3];
  const up = await gql(`mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }`, {
    p: [{ id: 'e2e-bare', title: 'Unlabelled arrival', price: 30, attributes: [], image: { path: source.image } }],
  }, { authorization: `Bearer ${catalogKey}` });
  expect(up.errors).toBeUndefined();
  const p = await gql(`{ product(id: "e2e-bare") { attributes { name } predictedAttributes { name value confidence filterable } } }`);
  const predicted = p.data.product.predictedAttributes;
  expect(p.data.product.attributes).toEqual([]);
  const categories = new Set(catalogLines.map((l: any) => l.attributes.category[0]));
  const best = predicted.find((a: any) => a.name === 'category');
  expect(categories.has(best.value)).toBe(true);
  expect(predicted.every((a: any) => a.confidence > 0 && a.confidence <= 1)).toBe(true);
  const filterable = predicted.filter((a: any) => a.filterable);
  expect(filterable.length).toBeGreaterThan(0);
  const [{ name, value }] = filterable;
  const q = `query($f: ProductFilter) { search(input: { text: "unlabelled arrival", filter: $f, first: 100 }) { edges { node { id } explanation { predictedMatches { name value } } } } }`;
  const withPredictions = await gql(q, { f: { attributes: [{ attribute: name, anyOf: [value], includePredicted: true }] } });
  const hit = withPredictions.data.search.edges.find((e: any) => e.node.id === 'e2e-bare');
  expect(hit.explanation.predictedMatches).toEqual([{ name, value }]);
  const without = await gql(q, { f: { attributes: [{ attribute: name, anyOf: [value] }] } });
  expect(without.data.search.edges.map((e: any) => e.node.id)).not.toContain('e2e-bare');
  await gql(`mutation { deleteProducts(ids: ["e2e-bare"]) { deleted } }`, {}, { 'x-api-key': catalogKey });
});

it('predicts the category of catalogue pictures and uses it in an image search', async () => {
  const sample = catalogLines.slice(100, 130);
  let right = 0;
  for (const line of sample) {
    const bytes = readFileSync(path.join(CATALOG, line.image)).toString('base64');
    const r = await gql(`query($i: ImageInput!) { predictCategory(image: $i) { attribute categories { value probability } classifier { value } neighbours { value } confident } }`, { i: { base64: bytes } });
    expect(r.errors).toBeUndefined();
    const p = r.data.predictCategory;
    expect(p.attribute).toBe('category');
    const sum = p.categories.reduce((a: number, c: any) => a + c.probability, 0);
    expect(sum).toBeLessThanOrEqual(1.001); // probabilities are rounded
    if (p.categories[0].value === line.attributes.category[0]) right += 1;
  }
  // 10 categories (chance 10%); models/README.md has the measured accuracy on the catalogue's splits
  expect(right / sample.length).toBeGreaterThanOrEqual(0.5);
  const source = sample[0];
  const bytes = readFileSync(path.join(CATALOG, source.image)).toString('base64');
  const s = await gql(`query($i: ImageInput!) { search(input: { image: $i, first: 5 }) { categoryPrediction { categories { value } use } edges { node { id } } } }`, { i: { base64: bytes } });
  expect(s.errors).toBeUndefined();
  expect(['FILTER', 'BOOST']).toContain(s.data.search.categoryPrediction.use);
  expect(s.data.search.edges.map((e: any) => e.node.id)).toContain(source.id);
  const off = await gql(`query($i: ImageInput!) { search(input: { image: $i, first: 5, categoryPrediction: OFF }) { categoryPrediction { use } } }`, { i: { base64: bytes } });
  expect(off.data.search.categoryPrediction).toBeNull();
});

it('stores the colours of catalogue pictures, explains results by them and re-ranks an image search by them when asked', async () => {
  const target = catalogLines[60];
  const p = await gql(`query($id: ID!) { product(id: $id) { attributes { name value } colours { histogram { name share } description dominant family confidence } predictedAttributes { name value } } }`, { id: target.id });
  expect(p.errors).toBeUndefined();
  const colours = p.data.product.colours;
  expect(colours.histogram.length).toBeGreaterThan(0);
  expect(colours.description).toMatch(/^\d+% [a-z ]+/);
  expect(colours.confidence).toBeGreaterThan(0);
  expect(colours.confidence).toBeLessThanOrEqual(1);
  // most catalogue pictures' colours are the catalogue's colour
  const sample = catalogLines.slice(200, 240);
  const r = await gql(`query($ids: [ID!]!) { products(ids: $ids) { id colours { dominant family } } }`, { ids: sample.map((l: any) => l.id) });
  const right = r.data.products.filter((x: any, i: number) => x.colours?.dominant === sample[i].attributes.color[0]).length;
  expect(right / sample.length).toBeGreaterThanOrEqual(0.8);
  const q = `query($w: Float) { search(input: { image: { productId: "${target.id}" }, colourWeight: $w, categoryPrediction: OFF, first: 10 }) {
    edges { node { id } explanation { colours colourSimilarity } } } }`;
  const plain = await gql(q, { w: 0 });
  expect(plain.data.search.edges.every((e: any) => e.explanation.colourSimilarity === null && typeof e.explanation.colours === 'string')).toBe(true);
  const coloured = await gql(q, { w: 1 });
  const sims = coloured.data.search.edges.map((e: any) => e.explanation.colourSimilarity);
  expect(sims.every((s: number) => s >= 0 && s <= 1)).toBe(true);
  expect(coloured.data.search.edges[0].node.id).toBe(target.id);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // the colour term raises the page's colour likeness to the query picture (a negligible weight shows the likeness without re-ranking)
  const shown = await gql(q, { w: 1e-9 });
  expect(shown.data.search.edges.map((e: any) => e.node.id)).toEqual(plain.data.search.edges.map((e: any) => e.node.id));
  expect(mean(sims)).toBeGreaterThan(mean(shown.data.search.edges.map((e: any) => e.explanation.colourSimilarity)));
  const similar = await gql(`query { similarProducts(id: "${target.id}", first: 10, colourWeight: 1) { edges { node { id } explanation { colourSimilarity } } } }`);
  expect(similar.errors).toBeUndefined();
  expect(similar.data.similarProducts.edges.every((e: any) => typeof e.explanation.colourSimilarity === 'number')).toBe(true);
});
