/**
 * Per-item features of the outfit compatibility model, computed from a stored product: one
 * multi-hot block per attribute, over the vocabulary frozen into the model's model.json. Values
 * outside the vocabulary contribute nothing. Mirrors training/outfits/features.py.
 */
import { InvalidInputError } from '../domain/errors';
import type { Product } from '../domain/product';

export interface FeatureAttribute {
  name: string;
  offset: number;
  values: string[];
}

/** The `features` object of models/fashion-outfit/model.json. */
export interface FeatureSpec {
  attributes: FeatureAttribute[];
  dim: number;
  maxItems: number;
}

/** A batch of outfits as model input: items [n, maxItems, dim] and mask [n, maxItems], row-major. */
export interface OutfitBatch {
  items: Float32Array;
  mask: Float32Array;
  count: number;
}

export class OutfitFeatureSpace {
  readonly dim: number;
  readonly maxItems: number;
  private readonly index: { name: string; offset: number; positions: Map<string, number> }[];

  constructor(spec: FeatureSpec) {
    if (!Number.isInteger(spec.dim) || spec.dim <= 0) throw new RangeError(`feature dim must be a positive integer (got ${spec.dim})`);
    if (!Number.isInteger(spec.maxItems) || spec.maxItems <= 0) throw new RangeError(`maxItems must be a positive integer (got ${spec.maxItems})`);
    let expected = 0;
    for (const a of spec.attributes) {
      if (a.offset !== expected) throw new RangeError(`feature block "${a.name}" starts at ${a.offset}, expected ${expected}`);
      expected += a.values.length;
    }
    if (expected !== spec.dim) throw new RangeError(`feature blocks cover ${expected} dimensions but dim is ${spec.dim}`);
    this.dim = spec.dim;
    this.maxItems = spec.maxItems;
    this.index = spec.attributes.map((a) => ({ name: a.name, offset: a.offset, positions: new Map(a.values.map((v, i) => [v, i])) }));
  }

  /** Writes one product's features into `out` at `at` (the slice must be zeroed). */
  writeItem(product: Product, out: Float32Array, at = 0): void {
    for (const { name, offset, positions } of this.index) {
      for (const value of product.attributes[name] ?? []) {
        const j = positions.get(value);
        if (j !== undefined) out[at + offset + j] = 1;
      }
    }
  }

  item(product: Product): Float32Array {
    const out = new Float32Array(this.dim);
    this.writeItem(product, out);
    return out;
  }

  batch(outfits: Product[][]): OutfitBatch {
    const items = new Float32Array(outfits.length * this.maxItems * this.dim);
    const mask = new Float32Array(outfits.length * this.maxItems);
    outfits.forEach((outfit, i) => {
      if (outfit.length < 1 || outfit.length > this.maxItems) {
        throw new InvalidInputError(`an outfit holds 1 to ${this.maxItems} items (outfit ${i + 1} has ${outfit.length})`);
      }
      outfit.forEach((p, j) => {
        this.writeItem(p, items, (i * this.maxItems + j) * this.dim);
        mask[i * this.maxItems + j] = 1;
      });
    });
    return { items, mask, count: outfits.length };
  }
}
