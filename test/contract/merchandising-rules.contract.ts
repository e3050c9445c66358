/**
 * Merchandising rules end to end through the search service, on a store of the contract: the same
 * catalogue, queries and rules give the behaviour the rules promise on every store (pins, hides,
 * boosts and buries, added filters, synonyms, redirects, contexts, pagination and cursors).
 */
import { StaleCursorError } from '../../src/domain/errors';
import { ImageLoader } from '../../src/ingestion/image-loader';
import type { RuleDefinition } from '../../src/rules/rule';
import { RuleSet } from '../../src/rules/rule-set';
import { CatalogVocabulary } from '../../src/search/catalog-vocabulary';
import { SearchService } from '../../src/search/search.service';
import type { SearchQuery, SearchResult } from '../../src/search/search.types';
import { sampleCatalog } from '../unit/fakes/catalog-builder';
import { DIM, FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../unit/fakes/fake-encoders';
import type { StoreFactory } from './vector-store.contract';

const N = 60;
const ids = (r: SearchResult) => r.hits.map((h) => h.product.id);

function rule(overrides: Partial<RuleDefinition> & { id: string }): RuleDefinition {
  return { description: overrides.id, enabled: true, conditions: {}, actions: {}, activeFrom: null, activeUntil: null, ...overrides };
}

export function describeMerchandisingRulesContract(name: string, factory: StoreFactory): void {
  describe(`merchandising rules on ${name}`, () => {
    let cleanup: () => Promise<void>;
    let service: SearchService;
    let live: RuleSet;
    let known: ReadonlySet<string>;
    const errors: string[] = [];
    const catalogue = sampleCatalog(N);
    const byId = new Map(catalogue.map((p) => [p.product.id, p.product]));
    const use = (rules: RuleDefinition[]) => {
      live = new RuleSet(rules, null, { knownAttributes: known, onRuleError: (id) => errors.push(id) });
    };
    const search = (q: SearchQuery) => service.search(q);

    beforeAll(async () => {
      const made = await factory();
      cleanup = made.cleanup;
      const store = made.store;
      await store.open({ image: DIM, text: DIM });
      await store.upsert(catalogue);
      const vocabulary = new CatalogVocabulary(store);
      await vocabulary.refresh();
      known = vocabulary.knownAttributes;
      use([]);
      service = new SearchService({
        store,
        textEncoder: new FakeTextEncoder(),
        imageEncoder: new FakeImageEncoder(),
        fusionEncoder: new FakeFusionEncoder(),
        images: new ImageLoader({ maxBytes: 10_000, fetchTimeoutMs: 1000, allowedDir: null }),
        vocabulary,
        rules: { current: () => live },
        options: { textSources: ['image', 'lexical'] },
      });
    });

    afterAll(async () => {
      await cleanup?.();
    });

    beforeEach(() => {
      errors.length = 0;
      use([]);
    });

    it('pins products at their positions, once, with the rule in their explanation', async () => {
      const base = await search({ text: 'red dress', first: 10 });
      const outsider = catalogue.map((p) => p.product.id).find((id) => !ids(base).includes(id))!;
      const fourth = ids(base)[3];
      use([rule({ id: 'pins', conditions: { query: { is: ['red dress'] } }, actions: { pins: [{ productId: outsider, position: 1 }, { productId: fourth, position: 2 }] } })]);
      const r = await search({ text: 'Red dress', first: 10 });
      expect(ids(r).slice(0, 2)).toEqual([outsider, fourth]);
      expect(ids(r).filter((id) => id === fourth)).toHaveLength(1);
      expect(r.hits[0].rules).toEqual([{ rule: { id: 'pins', description: 'pins' }, kind: 'PIN', detail: 'pinned at position 1' }]);
      // from beyond the first page (when the ranking reached it) or from outside the ranking
      const from = r.hits[0].positionWithoutRules;
      expect(from === null || from > 10).toBe(true);
      expect(r.hits[1].positionWithoutRules).toBe(4);
      // a pinned product the search retrieved keeps its retrieval scores
      expect(r.hits[1].parts).toEqual(base.hits[3].parts);
      expect(r.hits[2].positionWithoutRules).toBe(1);
      expect(r.rules?.map((f) => [f.id, f.actions])).toEqual([['pins', ['pins']]]);
      expect(r.totalCount).toBe(base.totalCount);
      // other queries are untouched
      expect(ids(await search({ text: 'navy bag', first: 10 }))).toEqual(ids(await service.search({ text: 'navy bag', first: 10 }, { rules: null })));
    });

    it("never pins a product the shopper's filter leaves out", async () => {
      const white = catalogue.find((p) => p.product.attributes.color[0] === 'white')!.product.id;
      use([rule({ id: 'pin', actions: { pins: [{ productId: white, position: 1 }] } })]);
      const r = await search({ text: 'dress', filter: { attributes: [{ attribute: 'color', anyOf: ['red'] }] }, first: 5 });
      expect(ids(r)).not.toContain(white);
      expect(r.hits.every((h) => h.product.attributes.color.includes('red'))).toBe(true);
    });

    it('pages through a pinned ranking without repeating or skipping a product', async () => {
      const all = catalogue.map((p) => p.product.id);
      use([rule({ id: 'pins', actions: { pins: [{ productId: all[59], position: 1 }, { productId: all[58], position: 9 }, { productId: all[57], position: 30 }] } })]);
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page++) {
        const r: SearchResult = await search({ text: 'shirt', first: 7, after });
        seen.push(...ids(r));
        if (!r.pageInfo.hasNextPage) break;
        after = r.pageInfo.endCursor;
      }
      expect(seen).toHaveLength(N);
      expect(new Set(seen).size).toBe(N);
      expect([seen[0], seen[8], seen[29]]).toEqual([all[59], all[58], all[57]]);
    });

    it('hides products from every page and from the count', async () => {
      const base = await search({ text: 'black leather bag', first: 5 });
      use([rule({ id: 'hide', conditions: { query: { contains: ['bag'] } }, actions: { hide: ids(base).slice(0, 2) } })]);
      const r = await search({ text: 'black leather bag', first: N });
      expect(ids(r)).not.toContain(ids(base)[0]);
      expect(ids(r)).not.toContain(ids(base)[1]);
      expect(r.totalCount).toBe(base.totalCount - 2);
      expect(ids(r)[0]).toBe(ids(base)[2]);
    });

    it('boosts and buries by an attribute value', async () => {
      const plain = ids(await search({ text: 'cotton shirt', first: N }));
      use([rule({ id: 'up', actions: { boosts: [{ attribute: 'brand', values: ['Nordwind'], weight: 1 }] } })]);
      const up = await search({ text: 'cotton shirt', first: N });
      // where each result ranks without the boost
      expect(up.hits.map((h) => h.positionWithoutRules)).toEqual(up.hits.map((h) => plain.indexOf(h.product.id) + 1));
      const brands = up.hits.map((h) => h.product.brand);
      expect(brands.slice(0, N / 2).every((b) => b === 'Nordwind')).toBe(true);
      expect(up.hits[0].rules[0]).toMatchObject({ kind: 'BOOST', detail: 'boosted by 1 (brand = Nordwind)' });
      use([rule({ id: 'down', actions: { boosts: [{ attribute: 'material', values: ['cotton'], weight: -1 }] } })]);
      const down = await search({ text: 'cotton shirt', first: N });
      const cotton = down.hits.map((h) => h.product.attributes.material[0] === 'cotton');
      expect(cotton.indexOf(true)).toBe(cotton.length - cotton.filter(Boolean).length);
      expect(down.hits.at(-1)!.rules[0].kind).toBe('BURY');
    });

    it('adds its filter to the client\'s, counts and facets included', async () => {
      use([rule({ id: 'stock', conditions: { contexts: ['sale'] }, actions: { filter: { inStock: true, price: { max: 40 } } } })]);
      const r = await search({ text: 'dress', context: 'sale', first: N, facets: ['brand'] });
      const expected = catalogue.filter((p) => p.product.inStock && p.product.price <= 40).length;
      expect(r.totalCount).toBe(expected);
      expect(r.hits.every((h) => h.product.inStock && h.product.price <= 40)).toBe(true);
      expect(r.facets[0].values.reduce((s, v) => s + v.count, 0)).toBe(expected);
      // another context: the rule does not fire
      expect((await search({ text: 'dress', context: 'home', first: 1 })).totalCount).toBe(N);
    });

    it('rewrites the text with synonyms, and explains the rewriting', async () => {
      const before = await search({ text: 'jumper', first: 5 });
      use([rule({ id: 'syn', actions: { synonyms: [{ terms: ['jumper', 'shirt'], oneWay: true }] } })]);
      const r = await search({ text: 'jumper', first: 5 });
      expect(r.rules?.[0].rewrittenText).toBe('jumper shirt');
      expect(r.hits.every((h) => h.product.attributes.category[0] === 'shirt')).toBe(true);
      expect(before.hits.every((h) => h.product.attributes.category[0] === 'shirt')).toBe(false);
    });

    it('redirects, with or without results', async () => {
      use([rule({ id: 'go', conditions: { query: { is: ['gift card'] } }, actions: { redirect: { url: 'https://shop.example/gift-cards', keepResults: false } } })]);
      const only = await search({ text: 'gift card' });
      expect(only.hits).toEqual([]);
      expect(only.rules?.[0].redirect).toEqual({ url: 'https://shop.example/gift-cards', keepResults: false });
      use([rule({ id: 'go', actions: { redirect: { url: 'https://shop.example/sale', keepResults: true } } })]);
      const both = await search({ text: 'red', first: 3 });
      expect(both.hits).toHaveLength(3);
      expect(both.rules?.[0].redirect?.url).toBe('https://shop.example/sale');
    });

    it('applies to similar products by mode', async () => {
      const id = catalogue[0].product.id;
      const base = await service.similar({ id, first: 3 });
      use([rule({ id: 'sim', conditions: { modes: ['SIMILAR'] }, actions: { hide: [ids(base)[0]] } })]);
      expect(ids(await service.similar({ id, first: 3 }))).not.toContain(ids(base)[0]);
      expect(ids(await search({ text: 'red', first: N }))).toContain(ids(base)[0]);
    });

    it('makes the cursors of a search stale when the rules that fire on it change', async () => {
      use([rule({ id: 'a', actions: { hide: ['p-0001'] } })]);
      const first = await search({ text: 'dress', first: 5 });
      use([rule({ id: 'a', actions: { hide: ['p-0002'] } })]);
      await expect(search({ text: 'dress', first: 5, after: first.pageInfo.endCursor })).rejects.toBeInstanceOf(StaleCursorError);
    });

    it('skips a rule that fails and reports it; the search goes on', async () => {
      use([rule({ id: 'broken', actions: { filter: { attributes: [{ attribute: 'no-such-attribute', anyOf: ['x'] }] } } }), rule({ id: 'fine', actions: { hide: ['p-0001'] } })]);
      const r = await search({ text: 'dress', first: N });
      expect(errors).toEqual(['broken']);
      expect(r.rules?.map((f) => f.id)).toEqual(['fine']);
      expect(ids(r)).not.toContain('p-0001');
      expect(byId.has('p-0001')).toBe(true);
    });
  });
}
