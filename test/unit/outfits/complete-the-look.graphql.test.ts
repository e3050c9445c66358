import { createApolloServer } from '../../../src/graphql/apollo.server';
import { createContext, type ApiServices } from '../../../src/graphql/context';
import type { Product } from '../../../src/domain/product';
import type { OutfitScorer } from '../../../src/outfits/outfit-scorer';
import { OutfitService } from '../../../src/outfits/outfit.service';
import { product } from '../fakes/catalog-builder';
import { bagOfWords } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

/** Share of items in black. */
const scorer: OutfitScorer = {
  model: { name: 'fashion-outfit', version: '1.0.0' },
  score: async (outfits: Product[][]) => outfits.map((o) => o.filter((p) => p.attributes.color[0] === 'black').length / o.length),
};

const ITEMS: [string, string, string][] = [
  ['dress-1', 'dress', 'black'],
  ['shoes-1', 'shoes', 'white'],
  ['shoes-2', 'shoes', 'black'],
  ['bag-1', 'bag', 'black'],
  ['bag-2', 'bag', 'red'],
  ['coat-1', 'outerwear', 'black'],
];

describe('Query.completeTheLook', () => {
  const server = createApolloServer({ error: () => undefined });
  let services: ApiServices;

  beforeAll(async () => {
    const store = new MemoryStore();
    await store.upsert(ITEMS.map(([id, group, color]) => ({ product: product({ id, attributes: { group: [group], color: [color] } }), vectors: { image: bagOfWords(`${color} ${group}`) } })));
    // only the services this query touches
    services = { products: store, outfits: new OutfitService(store, scorer) } as unknown as ApiServices;
    await server.start();
  });
  afterAll(() => server.stop());

  async function exec(query: string) {
    const res = await server.executeOperation({ query }, { contextValue: createContext(services) });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult as { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  }

  it('returns slots with ranked suggestions and the best outfit', async () => {
    const r = await exec(`{ completeTheLook(productId: "dress-1", first: 2) {
      product { id }
      slots { group suggestions { product { id attribute(name: "color") } score } }
      bestOutfit { items { id } score }
      model { name version }
    } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.completeTheLook).toEqual({
      product: { id: 'dress-1' },
      slots: [
        { group: 'shoes', suggestions: [{ product: { id: 'shoes-2', attribute: ['black'] }, score: 1 }, { product: { id: 'shoes-1', attribute: ['white'] }, score: 2 / 3 }] },
        { group: 'bag', suggestions: [{ product: { id: 'bag-1', attribute: ['black'] }, score: 1 }, { product: { id: 'bag-2', attribute: ['red'] }, score: 2 / 3 }] },
      ],
      bestOutfit: { items: [{ id: 'dress-1' }, { id: 'shoes-2' }, { id: 'bag-1' }], score: 1 },
      model: { name: 'fashion-outfit', version: '1.0.0' },
    });
  });

  it('defaults first to 4', async () => {
    const r = await exec(`{ completeTheLook(productId: "dress-1") { slots { suggestions { score } } } }`);
    expect(r.data!.completeTheLook.slots.map((s: any) => s.suggestions.length)).toEqual([2, 2]);
  });

  it.each([
    ['an unknown product', `{ completeTheLook(productId: "nope") { model { name } } }`, 'NOT_FOUND'],
    ['outerwear', `{ completeTheLook(productId: "coat-1") { model { name } } }`, 'BAD_USER_INPUT'],
    ['first = 0', `{ completeTheLook(productId: "dress-1", first: 0) { model { name } } }`, 'BAD_USER_INPUT'],
  ])('maps %s to %s', async (_name, query, code) => {
    const r = await exec(query);
    expect(r.errors![0].extensions!.code).toBe(code);
  });

  it('is UNAVAILABLE when the server runs without the outfit model', async () => {
    const res = await server.executeOperation({ query: `{ completeTheLook(productId: "dress-1") { model { name } } }` }, { contextValue: createContext({ ...services, outfits: undefined }) });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    expect(res.body.singleResult.errors![0].extensions!.code).toBe('UNAVAILABLE');
  });
});
