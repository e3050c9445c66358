import DataLoader from 'dataloader';
import type { Product } from '../../domain/product';
import { orderByKey } from './order-by-key';

export interface ProductSource {
  getProducts(ids: string[]): Promise<(Product | null)[]>;
}

/** Per-request loader of products by id; unknown ids load as null. */
export function createProductByIdLoader(source: ProductSource): DataLoader<string, Product | null> {
  return new DataLoader<string, Product | null>(
    async (ids) => {
      const found = (await source.getProducts([...ids])).filter((p): p is Product => p !== null);
      return orderByKey(ids, found, (p) => p.id);
    },
    { maxBatchSize: 1000 },
  );
}
