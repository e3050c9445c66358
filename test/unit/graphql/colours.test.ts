/**
 * Colours from pictures over GraphQL: the colour profile a write stores (Product.colours), the
 * explanation's "70% navy, 30% white", and colour similarity to the query picture in re-ranking
 * (SearchInput.colourWeight, similarProducts' colourWeight). Pictures are fake (their words name their
 * colours, test/unit/fakes/fake-colour.profiler.ts).
 */
import { fakeImage } from '../fakes/fake-encoders';
import { createTestApi } from './test-api';

const b64 = (words: string) => fakeImage(words).toString('base64');

describe('colours from pictures over GraphQL', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;

  beforeAll(async () => {
    api = await createTestApi(30);
    const r = await api.exec(
      `mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }`,
      {
        p: [
          // Both share one word with the query pictures below; the navy one is a little less like them (an extra word).
          { id: 'zg-red', title: 'Zephyr gown', price: 90, attributes: [], image: { base64: b64('zephyrgown shadered') } },
          { id: 'zg-navy', title: 'Zephyr gown', price: 90, attributes: [], image: { base64: b64('zephyrgown shadenavy shadewhite extra') } },
          { id: 'zg-plain', title: 'Zephyr gown', price: 90, attributes: [], image: { base64: b64('zephyrgown plain more words') } },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
  });

  afterAll(async () => {
    await api.close();
  });

  it('stores the colours of a written product\'s picture and describes them', async () => {
    const r = await api.exec('{ navy: product(id: "zg-navy") { colours { histogram { name share } description dominant family confidence } } plain: product(id: "zg-plain") { colours { dominant } } }', {}, { key: null });
    expect(r.errors).toBeUndefined();
    expect(r.data!.navy.colours).toEqual({
      histogram: [{ name: 'navy', share: 0.5 }, { name: 'white', share: 0.5 }],
      description: '50% navy, 50% white',
      dominant: 'navy',
      family: 'blue',
      confidence: 0.5,
    });
    expect(r.data!.plain.colours).toBeNull();
  });

  const SEARCH = `query($i: ImageInput!, $w: Float) { search(input: { image: $i, colourWeight: $w, categoryPrediction: OFF, first: 3 }) {
    edges { node { id } explanation { colours colourSimilarity } } } }`;

  it('re-ranks an image search by colour similarity to the query picture when asked, and explains it', async () => {
    const query = { base64: b64('zephyrgown zephyrgown zephyrgown tintnavy') };
    const plain = await api.exec(SEARCH, { i: query }, { key: null });
    expect(plain.errors).toBeUndefined();
    const ids = (r: any) => r.data.search.edges.map((e: any) => e.node.id);
    expect(ids(plain).slice(0, 2)).toEqual(['zg-red', 'zg-navy']);
    expect(plain.data!.search.edges[0].explanation).toEqual({ colours: '100% red', colourSimilarity: null });
    const coloured = await api.exec(SEARCH, { i: query, w: 1 }, { key: null });
    expect(ids(coloured)[0]).toBe('zg-navy');
    const [navy] = coloured.data!.search.edges;
    expect(navy.explanation.colours).toBe('50% navy, 50% white');
    expect(navy.explanation.colourSimilarity).toBeGreaterThan(0.5);
    const red = coloured.data!.search.edges.find((e: any) => e.node.id === 'zg-red');
    expect(red.explanation.colourSimilarity).toBeLessThan(navy.explanation.colourSimilarity);
    // a picture with no colours to compare leaves the ranking as it was
    const none = await api.exec(SEARCH, { i: { base64: b64('zephyrgown zephyrgown zephyrgown') }, w: 1 }, { key: null });
    expect(none.data!.search.edges[0].explanation.colourSimilarity).toBeNull();
  });

  it('re-ranks similar products by the reference product\'s colours', async () => {
    const q = `query($w: Float) { similarProducts(id: "zg-plain", first: 2, colourWeight: $w) { edges { node { id } explanation { colourSimilarity } } } }`;
    const r = await api.exec(q, { w: 1 }, { key: null });
    expect(r.errors).toBeUndefined();
    // the reference has no colours: nothing to compare with
    expect(r.data!.similarProducts.edges.every((e: any) => e.explanation.colourSimilarity === null)).toBe(true);
    const fromNavy = await api.exec(`{ similarProducts(id: "zg-navy", first: 5, colourWeight: 0.5) { edges { node { id } explanation { colourSimilarity } } } }`, {}, { key: null });
    const red = fromNavy.data!.similarProducts.edges.find((e: any) => e.node.id === 'zg-red');
    expect(red.explanation.colourSimilarity).toEqual(expect.any(Number));
  });

  it.each([[-0.1], [1.5]])('refuses colourWeight %p with a message that says the range', async (w) => {
    const r = await api.exec(SEARCH, { i: { base64: b64('zephyrgown zephyrgown zephyrgown tintnavy') }, w }, { key: null });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/colourWeight must be between 0 and 1/);
  });
});
