/**
 * Attributes from pictures over GraphQL: predicted attributes of a product written without any,
 * filters that include predictions (and the explanation saying so), category prediction of image
 * queries and what it does to an image search.
 */
import { fakeImage } from '../fakes/fake-encoders';
import { createTestApi } from './test-api';

const b64 = (words: string) => fakeImage(words).toString('base64');

describe('attributes from pictures over GraphQL', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;

  beforeAll(async () => {
    api = await createTestApi(40);
    const r = await api.exec(
      `mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }`,
      { p: [{ id: 'no-attrs', title: 'Evening piece', price: 80, brand: 'Velour', attributes: [], image: { base64: b64('navy dress') } }] },
    );
    expect(r.errors).toBeUndefined();
  });

  afterAll(async () => {
    await api.close();
  });

  it('shows what was predicted from the image, apart from the merchant\'s attributes', async () => {
    const r = await api.exec('{ product(id: "no-attrs") { attributes { name value } predictedAttributes { name value confidence filterable } } }', {}, { key: null });
    const p = r.data!.product;
    expect(p.attributes).toEqual([{ name: "brand", value: "Velour" }]); // the brand field only
    const best = (name: string) => p.predictedAttributes.find((a: any) => a.name === name);
    expect(best('color')).toMatchObject({ value: 'navy', filterable: true });
    expect(best('category')).toMatchObject({ value: 'dress', filterable: true });
    expect(p.predictedAttributes.every((a: any) => a.confidence > 0 && a.confidence <= 1)).toBe(true);
  });

  it('finds it by an attribute filter that includes predictions, says so in the explanation, and not otherwise', async () => {
    const query = `query($f: ProductFilter) { search(input: { text: "evening piece", filter: $f, first: 50 }) {
      totalCount edges { node { id } explanation { predictedMatches { name value confidence } } } } }`;
    const withPredictions = await api.exec(query, { f: { attributes: [{ attribute: 'color', anyOf: ['navy'], includePredicted: true }] } }, { key: null });
    const edges = withPredictions.data!.search.edges;
    const hit = edges.find((e: any) => e.node.id === 'no-attrs');
    expect(hit.explanation.predictedMatches).toEqual([{ name: 'color', value: 'navy', confidence: expect.any(Number) }]);
    // the merchant's navy products match as before, without a predicted match
    expect(edges.filter((e: any) => e.node.id !== 'no-attrs').every((e: any) => e.explanation.predictedMatches.length === 0)).toBe(true);
    const without = await api.exec(query, { f: { attributes: [{ attribute: 'color', anyOf: ['navy'] }] } }, { key: null });
    expect(without.data!.search.edges.map((e: any) => e.node.id)).not.toContain('no-attrs');
    expect(withPredictions.data!.search.totalCount).toBe(without.data!.search.totalCount + 1);
    // noneOf with predictions leaves it out
    const none = await api.exec(query, { f: { attributes: [{ attribute: 'color', noneOf: ['navy'], includePredicted: true }] } }, { key: null });
    expect(none.data!.search.edges.map((e: any) => e.node.id)).not.toContain('no-attrs');
  });

  it('predicts the category of an image: classifier, neighbours and their fusion', async () => {
    const r = await api.exec('query($i: ImageInput!) { predictCategory(image: $i) { attribute categories { value probability } classifier { value } neighbours { value probability } confident filterConfidence use } }', {
      i: { base64: b64('red shirt') },
    }, { key: null });
    const p = r.data!.predictCategory;
    expect(p.attribute).toBe('category');
    expect(p.categories[0].value).toBe('shirt');
    expect(p.classifier[0].value).toBe('shirt');
    expect(p.neighbours.reduce((s: number, c: any) => s + c.probability, 0)).toBeCloseTo(1, 3);
    expect(p.use).toBeNull();
    const bad = await api.exec('query { predictCategory(image: { productId: "nope" }) { attribute } }', {}, { key: null });
    expect(bad.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('mixes the category head with the picture category model, for products written and for uploaded pictures', async () => {
    // The head reads "red shirt" from the embedding; the picture model sees a sneaker.
    const up = await api.exec(`mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }`, {
      p: [{ id: 'mixed', title: 'Mixed signals', price: 10, attributes: [], image: { base64: b64('red shirt lookssneaker') } }],
    });
    expect(up.errors).toBeUndefined();
    const p = await api.exec('{ product(id: "mixed") { predictedAttributes { name value confidence } } }', {}, { key: null });
    const category = p.data!.product.predictedAttributes.filter((a: any) => a.name === 'category');
    expect(category.map((a: any) => a.value)).toEqual(expect.arrayContaining(['sneaker', 'shirt']));
    const q = 'query($i: ImageInput!) { predictCategory(image: $i) { classifier { value probability } neighbours { value } } }';
    const withPicture = await api.exec(q, { i: { base64: b64('red shirt lookssneaker') } }, { key: null });
    const without = await api.exec(q, { i: { base64: b64('red shirt') } }, { key: null });
    const sneaker = (r: any) => r.data.predictCategory.classifier.find((c: any) => c.value === 'sneaker')?.probability ?? 0;
    expect(sneaker(withPicture)).toBeGreaterThan(sneaker(without) + 0.3);
    // a catalogue product's stored picture categories count for a search by its id
    const byId = await api.exec('{ predictCategory(image: { productId: "mixed" }) { classifier { value probability } } }', {}, { key: null });
    expect(byId.data!.predictCategory.classifier.find((c: any) => c.value === 'sneaker').probability).toBeGreaterThan(0.3);
  });

  it('filters or boosts an image search by the predicted category, as asked', async () => {
    const q = `query($i: ImageInput!, $use: CategoryPredictionUse) { search(input: { image: $i, categoryPrediction: $use, first: 40 }) {
      totalCount categoryPrediction { categories { value } use } edges { node { attribute(name: "category") } explanation { scoreParts { source } rerankBoost } } } }`;
    const filtered = await api.exec(q, { i: { base64: b64('red shirt') }, use: 'FILTER' }, { key: null });
    const f = filtered.data!.search;
    expect(f.categoryPrediction).toMatchObject({ use: 'FILTER', categories: expect.arrayContaining([{ value: 'shirt' }]) });
    expect(f.edges.every((e: any) => e.node.attribute[0] === 'shirt')).toBe(true);
    const boosted = await api.exec(q, { i: { base64: b64('red shirt') }, use: 'BOOST' }, { key: null });
    const b = boosted.data!.search;
    expect(b.categoryPrediction.use).toBe('BOOST');
    expect(b.totalCount).toBeGreaterThan(f.totalCount);
    // a boost re-ranks: shirts gain the predicted probability of their category, others less
    const shirtBoost = b.edges.filter((e: any) => e.node.attribute[0] === 'shirt').map((e: any) => e.explanation.rerankBoost);
    const otherBoost = b.edges.filter((e: any) => e.node.attribute[0] !== 'shirt').map((e: any) => e.explanation.rerankBoost);
    expect(shirtBoost.length).toBeGreaterThan(0);
    expect(Math.min(...shirtBoost)).toBeGreaterThan(Math.max(0, ...otherBoost));
    const off = await api.exec(q, { i: { base64: b64('red shirt') }, use: 'OFF' }, { key: null });
    expect(off.data!.search.categoryPrediction).toBeNull();
    expect(off.data!.search.edges.every((e: any) => e.explanation.rerankBoost === 0)).toBe(true);
    // without the boost, shirts are not all first
    const offOrder = off.data!.search.edges.map((e: any) => e.node.attribute[0]);
    const boostOrder = b.edges.map((e: any) => e.node.attribute[0]);
    expect(boostOrder.slice(0, 5).filter((c: string) => c === 'shirt').length).toBeGreaterThanOrEqual(offOrder.slice(0, 5).filter((c: string) => c === 'shirt').length);
  });
});

describe('facets with predictions', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;

  beforeAll(async () => {
    api = await createTestApi(40);
    await api.exec(`mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }`, {
      p: [{ id: 'bare', title: 'Evening piece', price: 80, brand: 'Velour', attributes: [], image: { base64: b64('navy dress') } }],
    });
  });

  afterAll(async () => {
    await api.close();
  });

  it('count filterable predicted values when asked, and only then', async () => {
    const q = `query($p: Boolean) { search(input: { text: "piece", facets: ["color"], facetsIncludePredicted: $p }) { facets { attribute values { value count } } } }`;
    const count = (r: any, value: string) => r.data.search.facets[0].values.find((v: any) => v.value === value)?.count ?? 0;
    const plain = await api.exec(q, { p: false }, { key: null });
    const predicted = await api.exec(q, { p: true }, { key: null });
    expect(count(predicted, 'navy')).toBe(count(plain, 'navy') + 1);
    expect(count(predicted, 'red')).toBe(count(plain, 'red'));
  });
});
