/** Deterministic products and vectors shared by the durability test and its writer process. */
import type { StoredProduct } from '../../../src/stores/vector-store';
import { aProduct, randomVector, seededRandom } from '../../contract/vector-store.contract';

export const DURABLE_DIMS = { image: 32, text: 16 };

export function durableId(n: number): string {
  return `d${String(n).padStart(6, '0')}`;
}

export function durableItem(n: number, version = 'v1'): StoredProduct {
  const rand = seededRandom(n * 7919 + (version === 'v1' ? 0 : 1));
  return {
    product: aProduct(durableId(n), { title: version, description: `Durable product ${n} code DP-${n}`, attributes: { batchParity: [n % 2 ? 'odd' : 'even'] } }),
    vectors: { image: randomVector(rand, DURABLE_DIMS.image), text: randomVector(rand, DURABLE_DIMS.text) },
  };
}
