/** Builders for test products and a seeded in-memory catalogue. */
import type { Product } from '../../../src/domain/product';
import type { StoredProduct } from '../../../src/stores/vector-store';
import { bagOfWords } from './fake-encoders';

export function product(overrides: Partial<Product> & { id: string }): Product {
  return {
    title: `Product ${overrides.id}`,
    description: '',
    brand: 'Acme',
    price: 20,
    currency: 'EUR',
    inStock: true,
    imageUrl: `/media/images/${overrides.id}.webp`,
    attributes: {},
    ...overrides,
  };
}

const COLORS = ['red', 'navy', 'black', 'white', 'green'];
const CATEGORIES = ['shirt', 'dress', 'sneaker', 'bag'];
const MATERIALS = ['denim', 'cotton', 'leather'];

/** `n` products cycling through colours, categories and materials; vectors from their words. */
export function sampleCatalog(n: number): StoredProduct[] {
  const out: StoredProduct[] = [];
  for (let i = 0; i < n; i++) {
    const color = COLORS[i % COLORS.length];
    const category = CATEGORIES[i % CATEGORIES.length];
    const material = MATERIALS[i % MATERIALS.length];
    const id = `p-${String(i).padStart(4, '0')}`;
    const p = product({
      id,
      title: `${color} ${material} ${category}`,
      description: `A ${material} ${category} in ${color}. Art. no. ST${String(i).padStart(5, '0')}`,
      brand: i % 2 ? 'Nordwind' : 'Acme',
      price: 10 + (i % 10) * 5,
      inStock: i % 3 !== 0,
      attributes: { color: [color], category: [category], material: [material], brand: [i % 2 ? 'Nordwind' : 'Acme'], size: ['S', 'M'] },
    });
    out.push({ product: p, vectors: { image: bagOfWords(`${color} ${material} ${category}`), text: bagOfWords(`${p.title}. ${p.description}`) } });
  }
  return out;
}
