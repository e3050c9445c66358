import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fuseCategory, parsePictureCategorySpec, rankedCategories, withPictureCategory, type PictureClassifier } from '../../../src/attributes/picture-category';
import { analysePictures } from '../../../src/ingestion/picture-analysis';
import type { Product } from '../../../src/domain/product';
import { parseManifest } from '../../../src/encoders/manifest';

const shipped = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'models', 'manifest.json'), 'utf8'));
const encoders = { ...shipped, models: shipped.models.filter((m: { role: string }) => m.role !== 'category') };
const entry = {
  name: 'fashion-category',
  role: 'category',
  version: '1.0.0',
  file: 'fashion-category/model.onnx',
  requires: ['fashion-image'],
  attribute: 'category',
  inputs: [{ name: 'pixel_values', type: 'float32', shape: ['batch', 3, 32, 32] }],
  outputs: [{ name: 'probabilities', type: 'float32', shape: ['batch', 3] }],
  labels: ['dress', 'shirt', 'bag'],
  categoryFusion: { pictureWeight: 0.6, classifierWeight: 0.9, filterConfidence: 0.95 },
};

describe('the picture category model\'s description', () => {
  it('is read from its manifest entry, with the preprocessing of the image model it requires; the encoders skip it', () => {
    const manifest = { ...encoders, models: [...encoders.models, entry] };
    expect(parseManifest(manifest).models.map((m) => m.name)).not.toContain('fashion-category');
    const spec = parsePictureCategorySpec(manifest, 'manifest.json')!;
    const image = parseManifest(manifest).models.find((m) => m.name === 'fashion-image') as { preprocessing: unknown };
    expect(spec).toMatchObject({ name: 'fashion-category', requires: 'fashion-image', attribute: 'category', labels: ['dress', 'shirt', 'bag'], input: 'pixel_values', output: 'probabilities' });
    expect(spec.preprocessing).toEqual(image.preprocessing);
    expect(spec.fusion).toEqual({ pictureWeight: 0.6, classifierWeight: 0.9, filterConfidence: 0.95 });
  });

  it('is absent from a manifest without one, and refused when it names no image model of the manifest', () => {
    expect(parsePictureCategorySpec(encoders, 'manifest.json')).toBeNull();
    // a model trained but not yet tuned has no fusion settings (the server leaves it off)
    const { categoryFusion: _, ...untuned } = entry;
    expect(parsePictureCategorySpec({ ...encoders, models: [...encoders.models, untuned] }, 'm.json')!.fusion).toBeNull();
    expect(() => parsePictureCategorySpec({ ...encoders, models: [...encoders.models, { ...entry, requires: ['nope'] }] }, 'm.json')).toThrow(/requires "nope"/);
    expect(() => parsePictureCategorySpec({ ...encoders, models: [...encoders.models, { ...entry, labels: ['one'] }] }, 'm.json')).toThrow(/labels/);
    expect(() => parsePictureCategorySpec({ ...encoders, models: [...encoders.models, { ...entry, categoryFusion: { pictureWeight: 2 } }] }, 'm.json')).toThrow(/categoryFusion.pictureWeight/);
  });
});

describe('categories of a picture', () => {
  const labels = ['dress', 'shirt', 'bag'];
  const head = Float32Array.from([0.6, 0.3, 0.1]);

  it('mixes the head with the picture model by name, whatever order the picture model lists them in', () => {
    const fused = fuseCategory(head, labels, [{ name: 'shirt', probability: 0.9 }, { name: 'dress', probability: 0.1 }], 0.5);
    expect(Array.from(fused).map((x) => +x.toFixed(4))).toEqual([0.35, 0.6, 0.05]);
    expect(fuseCategory(head, labels, undefined, 0.5)).toBe(head);
    expect(fuseCategory(head, labels, [{ name: 'shoe', probability: 1 }], 0.5)).toBe(head);
    const out = withPictureCategory({ category: head, color: Float32Array.from([1]) }, { category: labels, color: ['red'] }, 'category', [{ name: 'bag', probability: 1 }], 1);
    expect(Array.from(out.category)).toEqual([0, 0, 1]);
  });

  it('keeps the likely values, best first', () => {
    expect(rankedCategories(labels, [0.2, 0.7996, 0.0004])).toEqual([{ name: 'shirt', probability: 0.7996 }, { name: 'dress', probability: 0.2 }]);
  });

  it('are written on products whose picture decodes, and a failing model leaves the products as they were', async () => {
    const product = { id: 'x', attributes: {} } as unknown as Product;
    const classifier: PictureClassifier = {
      spec: { name: 'c', version: '1', attribute: 'category', labels, fusion: { pictureWeight: 1, classifierWeight: 1, filterConfidence: 0.99 } },
      classify: async (images) => images.map((b) => (b.length ? Float32Array.from([0, 1, 0]) : null)),
    };
    const [ok, bad] = await analysePictures([{ product }, { product }], [Buffer.from('x'), Buffer.alloc(0)], { categories: classifier });
    expect(ok.product.pictureCategories).toEqual([{ name: 'shirt', probability: 1 }]);
    expect(bad.product).toBe(product);
    const errors: string[] = [];
    const failing = { ...classifier, classify: async () => { throw new Error('session lost'); } };
    const [same] = await analysePictures([{ product }], [Buffer.from('x')], { categories: failing }, (_what, e) => errors.push(e.message));
    expect(same.product).toBe(product);
    expect(errors).toEqual(['session lost']);
  });
});
