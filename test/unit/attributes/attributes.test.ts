import { parseAttributeModelSpec } from '../../../src/attributes/attribute-model';
import { predictedAttributes } from '../../../src/attributes/attribute-predictor';
import { CategoryPredictor } from '../../../src/attributes/category-prediction';
import { predictingStore } from '../../../src/attributes/predicting.store';
import { ModelLoadError } from '../../../src/encoders/model-load.error';
import { toDomainFilter } from '../../../src/search/filter-input';
import { product, sampleCatalog } from '../fakes/catalog-builder';
import { bagOfWords } from '../fakes/fake-encoders';
import { FakeAttributePredictor } from '../fakes/fake-attribute.predictor';
import { MemoryStore } from '../fakes/memory.store';

const spec = { labels: { color: ['red', 'navy', 'white'], category: ['dress', 'bag'] }, minConfidence: 0.8 };

describe('predictedAttributes', () => {
  it('keeps the likeliest values, best first, and makes the best filterable only when confident and the merchant gave none', () => {
    const p = predictedAttributes(product({ id: 'a', attributes: { category: ['bag'] } }), { color: Float32Array.from([0.05, 0.9, 0.05]), category: Float32Array.from([0.99, 0.01]) }, spec);
    expect(p).toEqual({
      color: [
        { value: 'navy', confidence: 0.9, filterable: true },
        { value: 'red', confidence: 0.05, filterable: false },
        { value: 'white', confidence: 0.05, filterable: false },
      ],
      // the merchant said bag: the prediction is shown, never filterable
      category: [{ value: 'dress', confidence: 0.99, filterable: false }],
    });
    const unsure = predictedAttributes(product({ id: 'b' }), { color: Float32Array.from([0.5, 0.3, 0.2]), category: Float32Array.from([0.5, 0.5]) }, spec);
    expect(unsure.color.every((v) => !v.filterable)).toBe(true);
  });
});

describe('parseAttributeModelSpec', () => {
  const valid = {
    name: 'fashion-attributes',
    version: '1.0.0',
    file: 'model.onnx',
    requires: ['fashion-image'],
    inputs: [{ name: 'embedding', type: 'float32', shape: ['batch', 128] }],
    outputs: [{ name: 'color', shape: ['batch', 2] }, { name: 'category', shape: ['batch', 2] }],
    labels: { color: ['red', 'navy'], category: ['dress', 'bag'] },
    minConfidence: 0.9,
    categoryFusion: { attribute: 'category', k: 20, classifierWeight: 0.6, filterConfidence: 0.95 },
  };

  it('reads a model.json', () => {
    const s = parseAttributeModelSpec(valid, 'x/model.json');
    expect(s).toMatchObject({ requires: 'fashion-image', input: { name: 'embedding', dim: 128 }, minConfidence: 0.9, categoryFusion: { k: 20, classifierWeight: 0.6 } });
  });

  it.each([
    ['no labels', { ...valid, labels: {} }, /labels/],
    ['an output missing', { ...valid, outputs: [{ name: 'color' }] }, /no output named "category"/],
    ['a bad confidence', { ...valid, minConfidence: 2 }, /minConfidence/],
    ['a bad k', { ...valid, categoryFusion: { ...valid.categoryFusion, k: 0 } }, /categoryFusion.k/],
    ['a fusion attribute without labels', { ...valid, categoryFusion: { ...valid.categoryFusion, attribute: 'pattern' } }, /no labels/],
  ])('refuses %s, naming the file and the field', (_w, json, message) => {
    expect(() => parseAttributeModelSpec(json, 'x/model.json')).toThrow(ModelLoadError);
    expect(() => parseAttributeModelSpec(json, 'x/model.json')).toThrow(message);
  });
});

describe('predictingStore', () => {
  it('predicts on every write with an image vector and leaves other calls alone', async () => {
    const memory = new MemoryStore();
    const predictor = new FakeAttributePredictor();
    const store = predictingStore(memory, predictor);
    const [a] = sampleCatalog(1);
    const bare = { product: { ...a.product, id: 'bare', attributes: {} }, vectors: { image: bagOfWords('navy dress') } };
    const textOnly = { product: { ...a.product, id: 'text-only', attributes: {} }, vectors: { text: bagOfWords('red') } };
    await store.upsert([bare, textOnly]);
    const [p, t] = await store.getProducts(['bare', 'text-only']);
    expect(p?.predictedAttributes?.color[0]).toMatchObject({ value: 'navy', filterable: true });
    expect(p?.predictedAttributes?.category[0]).toMatchObject({ value: 'dress', filterable: true });
    expect(t?.predictedAttributes).toBeUndefined();
    expect(predictor.calls).toEqual([1]);
    // found by a filter that includes predictions, not by one that does not
    const filter = (includePredicted: boolean) => toDomainFilter({ attributes: [{ attribute: 'color', anyOf: ['navy'], includePredicted }] }, { knownAttributes: new Set(['color']) });
    expect(await store.count(filter(true))).toBe(1);
    expect(await store.count(filter(false))).toBe(0);
  });
});

describe('CategoryPredictor', () => {
  it('fuses the classifier with the neighbours\' categories by the model\'s weight, and says when it is confident', async () => {
    const store = new MemoryStore();
    // ten bags near the query, whatever the classifier says
    await store.upsert(Array.from({ length: 10 }, (_, i) => ({ product: product({ id: `b${i}`, attributes: { category: ['bag'] } }), vectors: { image: bagOfWords(`dress ${i}`) } })));
    const predictor = new FakeAttributePredictor({ categoryFusion: { attribute: 'category', k: 10, classifierWeight: 0.5, filterConfidence: 0.8 } });
    const categories = new CategoryPredictor({ predictor, store });
    const query = bagOfWords('dress');
    const p = await categories.predict(query);
    const [classifier] = await predictor.predict([query]);
    const dress = classifier.category[1];
    expect(p?.neighbours).toEqual([{ value: 'bag', probability: 1 }]);
    const fused = Object.fromEntries(p!.categories.map((c) => [c.value, c.probability]));
    expect(fused.bag).toBeCloseTo(0.5 * classifier.category[3] + 0.5, 3);
    expect(fused.dress).toBeCloseTo(0.5 * dress, 3);
    expect(p?.confident).toBe(p!.categories[0].probability >= 0.8);
    // the query's own product is left out of its neighbours
    const own = await categories.predict(query, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9']);
    expect(own?.neighbours).toEqual([]);
  });

  it('is unavailable without a fusion rule', async () => {
    const categories = new CategoryPredictor({ predictor: new FakeAttributePredictor({ categoryFusion: null }), store: new MemoryStore() });
    expect(categories.available).toBe(false);
    expect(await categories.predict(bagOfWords('x'))).toBeNull();
  });
});

describe('the attributes model beside the encoders', () => {
  const entry = {
    name: 'fashion-attributes',
    role: 'attributes',
    version: '1.0.0',
    file: 'fashion-attributes/model.onnx',
    requires: ['fashion-image'],
    inputs: [{ name: 'embedding', type: 'float32', shape: ['batch', 8] }],
    outputs: [{ name: 'color', type: 'float32', shape: ['batch', 2] }],
    labels: { color: ['red', 'navy'] },
    minConfidence: 0.9,
  };

  it('is skipped by the encoders\' manifest and read from it by its own loader when it has no model.json', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { parseManifest } = await import('../../../src/encoders/manifest');
    const { OnnxAttributePredictor } = await import('../../../src/attributes/attribute-predictor');
    const shipped = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'models', 'manifest.json'), 'utf8'));
    // The encoders alone: the shipped manifest may already describe an attributes model.
    const real = { ...shipped, models: shipped.models.filter((m: { role?: string }) => m.role !== 'attributes') };
    const manifest = { ...real, models: [...real.models, entry] };
    expect(parseManifest(manifest).models.map((m) => m.name)).not.toContain('fashion-attributes');
    const dir = mkdtempSync(path.join(tmpdir(), 'attributes-'));
    try {
      mkdirSync(path.join(dir, 'fashion-attributes'));
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
      const predictor = await OnnxAttributePredictor.open(path.join(dir, 'fashion-attributes'), { create: async () => { throw new Error('not loaded in this test'); } });
      expect(predictor.spec).toMatchObject({ name: 'fashion-attributes', requires: 'fashion-image', file: 'model.onnx', minConfidence: 0.9 });
      expect(predictor.file).toBe(path.join(dir, 'fashion-attributes', 'model.onnx'));
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(real));
      await expect(OnnxAttributePredictor.open(path.join(dir, 'fashion-attributes'), { create: async () => { throw new Error('x'); } })).rejects.toThrow(/npm run train:attributes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
