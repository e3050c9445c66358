import { createProductByIdLoader } from '../../../src/graphql/loaders/product-by-id.loader';
import { orderByKey } from '../../../src/graphql/loaders/order-by-key';
import { product } from '../fakes/catalog-builder';

describe('orderByKey', () => {
  it('orders by key and gives null for missing keys', () => {
    expect(orderByKey(['b', 'x', 'a', 'b'], [{ id: 'a' }, { id: 'b' }], (i) => i.id)).toEqual([{ id: 'b' }, null, { id: 'a' }, { id: 'b' }]);
  });
});

describe('product-by-id loader', () => {
  it('batches concurrent loads into one call and tolerates unordered sources', async () => {
    const calls: string[][] = [];
    const loader = createProductByIdLoader({
      getProducts: async (ids) => {
        calls.push(ids);
        return [...ids].reverse().map((id) => (id === 'missing' ? null : product({ id })));
      },
    });
    const [a, missing, b] = await Promise.all([loader.load('a'), loader.load('missing'), loader.load('b')]);
    expect(a?.id).toBe('a');
    expect(b?.id).toBe('b');
    expect(missing).toBeNull();
    expect(calls).toEqual([['a', 'missing', 'b']]);
  });
});
