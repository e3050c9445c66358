import { EncoderVariants, type EvaluationModels } from '../../../src/evaluation/encoder-variants';
import type { OutfitQuery } from '../../../src/evaluation/seed-judgement-sets';
import type { Product } from '../../../src/domain/product';
import type { OutfitScorer } from '../../../src/outfits/outfit-scorer';
import { product } from '../fakes/catalog-builder';
import { MemoryStore } from '../fakes/memory.store';

const NO_MODELS = {} as EvaluationModels; // the outfit variants used here touch no encoder

/** Score = number of items sharing the first item's colour. */
const scorer: OutfitScorer & { seen: Product[][] } = {
  model: { name: 'fashion-outfit', version: '1.0.0' },
  seen: [],
  async score(outfits) {
    this.seen.push(...outfits);
    return outfits.map((o) => o.filter((p) => p.attributes.color[0] === o[0].attributes.color[0]).length);
  },
};

async function store(): Promise<MemoryStore> {
  const s = new MemoryStore();
  const colours: Record<string, string> = { top: 'red', bottom: 'red', c1: 'blue', c2: 'red', c3: 'green' };
  await s.upsert(Object.entries(colours).map(([id, color]) => ({ product: product({ id, attributes: { color: [color] } }), vectors: {} })));
  return s;
}

const query: OutfitQuery = { id: 'q1', items: ['top', 'bottom'], candidates: ['c1', 'c2', 'c3'] };

describe('compatibility-model outfit variant', () => {
  it('is offered only with an outfit scorer', async () => {
    expect(new EncoderVariants(NO_MODELS, await store()).variantNames('outfits')).not.toContain('compatibility-model');
    expect(new EncoderVariants(NO_MODELS, await store(), scorer).variantNames('outfits')).toEqual(['random', 'text-similarity', 'image-similarity', 'compatibility-model']);
  });

  it('ranks candidates by the score of the outfit each completes', async () => {
    const [variant] = await new EncoderVariants(NO_MODELS, await store(), scorer).variants('outfits', ['compatibility-model']);
    expect(variant.models).toEqual([{ name: 'fashion-outfit', version: '1.0.0' }]);
    scorer.seen.length = 0;
    const ranked = await variant.rank(query, 10);
    expect(ranked.map((d) => d.id)).toEqual(['c2', 'c1', 'c3']);
    expect(ranked[0].score).toBe(3);
    expect(scorer.seen.map((o) => o.map((p) => p.id))).toEqual([
      ['top', 'bottom', 'c1'],
      ['top', 'bottom', 'c2'],
      ['top', 'bottom', 'c3'],
    ]);
    expect(await variant.rank(query, 1)).toHaveLength(1);
  });

  it('names the products missing from the store', async () => {
    const [variant] = await new EncoderVariants(NO_MODELS, await store(), scorer).variants('outfits', ['compatibility-model']);
    const missing: OutfitQuery = { ...query, candidates: ['c1', 'gone'] };
    await expect(variant.rank(missing, 10)).rejects.toThrow(/not in the store: gone/);
  });
});
