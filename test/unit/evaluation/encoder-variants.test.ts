import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dot, l2Normalize } from '../../../src/domain/embedding';
import type { ModelVersion } from '../../../src/encoders/encoder';
import { EncoderVariants, type EvaluationModels } from '../../../src/evaluation/encoder-variants';
import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import type { EvalQuery, JudgementSet } from '../../../src/evaluation/evaluation-run';
import type { SearchRequest, VectorSpace, VectorStore } from '../../../src/stores/vector-store';

const DIM = 4;
const vec = (...xs: number[]) => l2Normalize(Float32Array.from(xs));

/** Products on the unit circle of the first two axes; text vectors on the other two. */
const gallery: Record<string, Record<VectorSpace, Float32Array>> = {
  red: { image: vec(1, 0, 0, 0), text: vec(0, 0, 1, 0) },
  pink: { image: vec(0.9, 0.3, 0, 0), text: vec(0, 0, 0.9, 0.3) },
  blue: { image: vec(0, 1, 0, 0), text: vec(0, 0, 0, 1) },
  navy: { image: vec(0.2, 0.9, 0, 0), text: vec(0, 0, 0.2, 0.9) },
};

const searches: SearchRequest[] = [];
const store = {
  async search(request: SearchRequest) {
    searches.push(request);
    const [source] = request.dense;
    return Object.entries(gallery)
      .filter(([id]) => !request.excludeIds?.includes(id))
      .map(([id, v]) => ({ id, score: dot(v[source.space], source.vector), parts: [] }))
      .sort((a, b) => b.score - a.score)
      .slice(0, request.limit);
  },
  async getVector(id: string, space: VectorSpace) {
    return gallery[id]?.[space] ?? null;
  },
} as unknown as VectorStore;

const words: Record<string, Float32Array> = { red: vec(1, 0, 0, 0), blue: vec(0, 1, 0, 0), 'make it blue': vec(0, 1, 0, 0) };
const textEncoder = (name: string, flip = false) => {
  const calls: string[][] = [];
  return {
    calls,
    dim: DIM,
    model: { name, version: '1.0.0' } as ModelVersion,
    encode: async (texts: string[]) => {
      calls.push(texts);
      return texts.map((t) => (flip ? (t.includes('red') ? words.blue : words.red) : (words[t] ?? vec(1, 1, 1, 1))));
    },
  };
};
const good = textEncoder('fashion-text');
const bad = textEncoder('fashion-text-gru', true);
const imageEncoder = {
  dim: DIM,
  model: { name: 'fashion-image', version: '1.0.0' },
  encode: async (images: Buffer[]) => images.map((b) => (b.toString() === 'red photo' ? vec(1, 0.1, 0, 0) : vec(0.1, 1, 0, 0))),
};
const fusionEncoder = {
  dim: DIM,
  model: { name: 'fashion-fusion', version: '1.0.0' },
  // moves the reference towards the modifier's direction, strongly
  fuse: async (pairs: { image: Float32Array; text: Float32Array }[]) =>
    pairs.map((p) => l2Normalize(Float32Array.from(p.image, (x, i) => 0.05 * x + p.text[i]))),
};
const models: EvaluationModels = {
  textModels: () => [
    { name: 'fashion-text', version: '1.0.0', compatible: true, isDefault: true },
    { name: 'fashion-text-gru', version: '1.0.0', compatible: true, isDefault: false },
    { name: 'other-space', version: '1.0.0', compatible: false, isDefault: false },
  ],
  textEncoder: (name = 'fashion-text') => (name === 'fashion-text-gru' ? bad : good),
  imageEncoder: () => imageEncoder,
  fusionEncoder: () => fusionEncoder,
};

const options = { id: 'ev', createdAt: '2026-01-01T00:00:00Z', metrics: ['mrr'], bootstrapSamples: 50, permutationSamples: 50, depth: 4 };
const set = (queries: EvalQuery[], rel: Record<string, string>): JudgementSet => ({
  name: 'x',
  queries,
  qrels: new Map(Object.entries(rel).map(([q, d]) => [q, new Map([[d, 1]])])),
});

describe('EncoderVariants', () => {
  const variants = new EncoderVariants(models, store);

  it('lists the variants of each set, baselines first and incompatible text models left out', () => {
    expect(variants.variantNames('text')).toEqual(['fashion-text-gru', 'fashion-text']);
    expect(variants.variantNames('composed')).toEqual(['image-only', 'text-only', 'sum', 'fusion']);
    expect(variants.variantNames('composed-meaning')).toEqual(['image-only', 'text-only', 'sum', 'fusion']);
    expect(variants.variantNames('realshot')).toEqual(['fashion-image']);
    expect(variants.variantNames('realshot-indist')).toEqual(['fashion-image']);
    expect(variants.variantNames('index')).toEqual(['exact', 'hnsw']);
    expect(variants.variantNames('outfits')).toEqual(['random', 'text-similarity', 'image-similarity']);
  });

  it('refuses variants that do not apply', async () => {
    await expect(variants.variants('text', ['other-space'])).rejects.toThrow(/not a text model compatible/);
    await expect(variants.variants('composed', ['fashion-text'])).rejects.toThrow(/does not apply to set "composed"/);
  });

  it('text variants encode query texts in batches and search the image space exactly', async () => {
    searches.length = 0;
    good.calls.length = 0;
    const run = await runEvaluation(
      set([{ id: 'q1', text: 'red' }, { id: 'q2', text: 'blue' }], { q1: 'red', q2: 'blue' }),
      await variants.variants('text', ['fashion-text-gru', 'fashion-text']),
      options,
    );
    expect(good.calls).toEqual([['red', 'blue']]);
    expect(searches.every((s) => s.exact === true && s.dense[0].space === 'image' && s.limit === 4)).toBe(true);
    expect(run.variants.map((v) => v.aggregates[0].mean)).toEqual([0.25, 1]);
    expect(run.variants[1].models).toEqual([{ name: 'fashion-text', version: '1.0.0' }]);
  });

  it.each(['composed', 'composed-meaning'])('%s variants combine the stored reference vector and the modifier, never returning the reference', async (name) => {
    const composed = set([{ id: 'c1', referenceId: 'red', modifier: 'make it blue', excludeIds: ['red'] }], { c1: 'blue' });
    const run = await runEvaluation(composed, await variants.variants(name, variants.variantNames(name)), options);
    const top = Object.fromEntries(Object.entries(run.rankings).map(([v, r]) => [v, r.c1.map((d) => d.id)]));
    expect(Object.values(top).every((ids) => !ids.includes('red'))).toBe(true);
    expect(top['image-only'][0]).toBe('pink');
    expect(top['text-only'][0]).toBe('blue');
    expect(top.fusion[0]).toBe('blue');
    expect(run.variants.find((v) => v.name === 'fusion')!.models.map((m) => m.name)).toEqual(['fashion-image', 'fashion-text', 'fashion-fusion']);
  });

  it.each(['realshot', 'realshot-indist'])('%s variants read and encode the query photo', async (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-variants-'));
    try {
      writeFileSync(join(dir, 'a.jpg'), 'red photo');
      const run = await runEvaluation(set([{ id: 'r1', imagePath: join(dir, 'a.jpg') }], { r1: 'red' }), await variants.variants(name, ['fashion-image']), options);
      expect(run.variants[0].aggregates[0].mean).toBe(1);
      await expect(
        runEvaluation(set([{ id: 'r2', imagePath: join(dir, 'missing.jpg') }], { r2: 'red' }), await variants.variants(name, ['fashion-image']), options),
      ).rejects.toThrow(/query image not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('outfit variants rank the candidates by similarity to the items; random is seeded', async () => {
    const outfit = { id: 'o1', items: ['red'], candidates: ['blue', 'pink', 'navy'] } as EvalQuery;
    const [random, image] = await variants.variants('outfits', ['random', 'image-similarity']);
    expect((await image.rank(outfit, 10)).map((d) => d.id)).toEqual(['pink', 'navy', 'blue']);
    expect(await random.rank(outfit, 10)).toEqual(await random.rank(outfit, 10));
    expect((await random.rank(outfit, 10)).map((d) => d.id).sort()).toEqual(['blue', 'navy', 'pink']);
  });

  it('the index set compares the approximate index against exact search', async () => {
    searches.length = 0;
    const qrels = await variants.exactJudge()([{ id: 'q', text: 'blue' }], 2);
    expect([...qrels.get('q')!.keys()]).toEqual(['blue', 'navy']);
    const [hnsw] = await variants.variants('index', ['hnsw']);
    await hnsw.rank({ id: 'q', text: 'blue' }, 2);
    expect(searches.map((s) => s.exact)).toEqual([true, false]);
  });

  it('says which query lacks what a variant needs', async () => {
    const [v] = await variants.variants('text', ['fashion-text']);
    await expect(v.rank({ id: 'q9' }, 3)).rejects.toThrow(/query "q9" has no text/);
  });
});
