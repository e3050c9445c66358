import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ManifestError, parseManifest } from '../../../src/encoders/manifest';
import { ModelRegistry } from '../../../src/encoders/model-registry';
import { galleryKey } from '../../../src/main';

const FIXTURE = path.join(__dirname, '../../fixtures/tiny-manifest/manifest.json');
const base = (): any => JSON.parse(readFileSync(FIXTURE, 'utf8'));

/** The fixture with a fine-tuned query tower as the default text model and the old one embedding products. */
function withQueryTower(): any {
  const m = base();
  const text = m.models.find((x: any) => x.name === 'fashion-text');
  m.models.push({ ...text, name: 'fashion-text-clicks', version: '1.1.0', file: 'fashion-text-clicks/model.onnx' });
  m.defaults.text = 'fashion-text-clicks';
  m.gallery = { image: 'fashion-image', text: 'fashion-text' };
  return m;
}

describe('the gallery models of a manifest', () => {
  it('are the defaults when the manifest does not name them', () => {
    expect(parseManifest(base()).gallery).toEqual({ text: 'fashion-text', image: 'fashion-image' });
  });

  it('keep the product text tower apart from a fine-tuned query tower', () => {
    const registry = new ModelRegistry(parseManifest(withQueryTower()), '/models');
    expect(registry.galleryModels()).toEqual([
      { role: 'image', name: 'fashion-image', version: '1.0.0' },
      { role: 'text', name: 'fashion-text', version: '1.0.0' },
    ]);
    expect(registry.galleryTextEncoder().model.name).toBe('fashion-text');
    expect(registry.textEncoder().model.name).toBe('fashion-text-clicks');
    expect(registry.versions().models.map((m) => `${m.role}:${m.name}`)).toEqual(['image:fashion-image', 'text:fashion-text-clicks', 'fusion:fashion-fusion', 'gallery-text:fashion-text']);
  });

  it('make the index key, so a new query tower keeps it and a new gallery tower changes it', () => {
    const before = galleryKey(new ModelRegistry(parseManifest(base()), '/models'));
    expect(before).toBe('fashion-space@1.0.0 image=fashion-image@1.0.0 text=fashion-text@1.0.0');
    expect(galleryKey(new ModelRegistry(parseManifest(withQueryTower()), '/models'))).toBe(before);
    const regallery = withQueryTower();
    regallery.gallery.text = 'fashion-text-clicks';
    expect(galleryKey(new ModelRegistry(parseManifest(regallery), '/models'))).not.toBe(before);
  });

  it.each([
    ['a text model that is not in models', (m: any) => (m.gallery = { text: 'nope' }), /gallery\.text.*"nope", which is not a text model/],
    ['an image model other than the default', (m: any) => (m.gallery = { image: 'fashion-text' }), /gallery\.image.*one image tower/],
    ['a text model of another index', (m: any) => {
      m.models.find((x: any) => x.name === 'fashion-text-gru').compatibleWith = 'other@2';
      m.gallery = { text: 'fashion-text-gru' };
    }, /gallery\.text.*"other@2" but the index is "fashion-space@1.0.0"/],
  ])('refuses %s', (_name, edit, message) => {
    const m = base();
    edit(m);
    expect(() => parseManifest(m)).toThrow(ManifestError);
    expect(() => parseManifest(m)).toThrow(message);
  });
});
