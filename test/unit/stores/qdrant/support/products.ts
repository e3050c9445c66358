/** Builders of products and vectors for the Qdrant store tests. */
import type { Product } from '../../../../../src/domain/product';
import type { StoredProduct } from '../../../../../src/stores/vector-store';

export function aProduct(id: string, overrides: Partial<Product> = {}): Product {
  return {
    id,
    title: `Product ${id}`,
    description: 'A plain cotton tee',
    brand: 'Acme',
    price: 20,
    currency: 'EUR',
    inStock: true,
    imageUrl: `/media/${id}.png`,
    attributes: { category: ['tshirt'], color: ['white'] },
    ...overrides,
  };
}

/** A unit vector pointing mostly along axis `axis`. */
export function unitVector(dim: number, axis: number, tilt = 0.1): Float32Array {
  const v = new Float32Array(dim).fill(tilt);
  v[axis % dim] = 1;
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
}

export function aStored(id: string, axis: number, overrides: Partial<Product> = {}, dims = { image: 4, text: 3 }): StoredProduct {
  return { product: aProduct(id, overrides), vectors: { image: unitVector(dims.image, axis), text: unitVector(dims.text, axis) } };
}
