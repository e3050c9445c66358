/** Deterministic products shared by the checkpoint kill test and its writer process. */
import type { StoredProduct } from '../../../src/stores/vector-store';
import { aProduct, randomVector, seededRandom } from '../../contract/vector-store.contract';

export const CHECKPOINT_DIMS = { image: 64, text: 32 };
export const CHECKPOINT_PRODUCTS = 3000;

export function checkpointItem(n: number, round: number): StoredProduct {
  const rand = seededRandom(n * 7919 + round * 104_729);
  return {
    product: aProduct(`c${String(n).padStart(5, '0')}`, { title: `round ${round}` }),
    vectors: { image: randomVector(rand, CHECKPOINT_DIMS.image), text: randomVector(rand, CHECKPOINT_DIMS.text) },
  };
}
