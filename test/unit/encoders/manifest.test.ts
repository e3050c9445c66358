import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { indexKey, ManifestError, parseManifest } from '../../../src/encoders/manifest';

const FIXTURE = path.join(__dirname, '../../fixtures/tiny-manifest/manifest.json');
const base = (): any => JSON.parse(readFileSync(FIXTURE, 'utf8'));

/** Returns a copy of the fixture manifest changed by `edit`. */
function manifestWith(edit: (m: any) => void): unknown {
  const m = base();
  edit(m);
  return m;
}

describe('parseManifest', () => {
  it('reads the model contract', () => {
    const m = parseManifest(base(), 'models/manifest.json');
    expect(m.index).toEqual({ name: 'fashion-space', version: '1.0.0', dim: 128 });
    expect(indexKey(m.index)).toBe('fashion-space@1.0.0');
    expect(m.defaults).toEqual({ text: 'fashion-text', image: 'fashion-image', fusion: 'fashion-fusion' });
    const image = m.models.find((x) => x.role === 'image');
    expect(image?.role === 'image' && image.preprocessing).toEqual({
      size: 32,
      fit: 'contain',
      background: [255, 255, 255],
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      colorOrder: 'RGB',
      layout: 'NCHW',
      scale: 255,
    });
    const gru = m.models.find((x) => x.name === 'fashion-text-gru');
    expect(gru?.baseline).toBe(true);
    expect(gru?.role === 'text' && gru.tokenizer).toEqual({ dir: 'fashion-text', files: ['tokenizer.json', 'tokenizer_config.json'], maxLength: 24 });
  });

  it('fills documented defaults for optional preprocessing fields', () => {
    const m = parseManifest(
      manifestWith((x) => {
        const p = x.models[0].preprocessing;
        delete p.background;
        delete p.colorOrder;
        delete p.layout;
        delete p.scale;
      }),
    );
    const image = m.models[0];
    expect(image.role === 'image' && image.preprocessing).toMatchObject({ background: [255, 255, 255], colorOrder: 'RGB', layout: 'NCHW', scale: 255 });
  });

  it('allows a manifest without a fusion model', () => {
    const m = parseManifest(
      manifestWith((x) => {
        x.defaults.fusion = null;
        x.models = x.models.filter((e: any) => e.role !== 'fusion');
      }),
    );
    expect(m.defaults.fusion).toBeNull();
  });

  it.each<[string, (m: any) => void, string]>([
    ['not an object', () => undefined, ''],
    ['wrong format version', (m) => (m.formatVersion = 2), 'formatVersion must be 1 (got 2)'],
    ['missing index', (m) => delete m.index, 'index must be an object'],
    ['bad index dim', (m) => (m.index.dim = -1), 'index.dim must be a positive integer'],
    ['no models', (m) => (m.models = []), 'models must be a non-empty array'],
    ['unknown role', (m) => (m.models[1].role = 'audio'), 'models[1].role must be one of "text", "image", "fusion" (got "audio")'],
    ['missing version', (m) => delete m.models[1].version, 'models[1].version must be a non-empty string'],
    ['absolute file', (m) => (m.models[1].file = '/etc/passwd'), 'models[1].file must be a path inside the models directory'],
    ['escaping file', (m) => (m.models[1].file = '../x.onnx'), 'models[1].file must be a path inside the models directory'],
    ['fractional dim', (m) => (m.models[1].dim = 12.5), 'models[1].dim must be a positive integer'],
    ['bad tensor type', (m) => (m.models[1].inputs[0].type = 'float16'), 'models[1].inputs[0].type must be one of'],
    ['bad tensor shape', (m) => (m.models[1].inputs[0].shape = ['batch', -3]), 'models[1].inputs[0].shape must be an array of positive integers or axis names'],
    ['text model without tokenizer', (m) => delete m.models[1].tokenizer, 'models[1].tokenizer must be an object'],
    ['tokenizer without maxLength', (m) => delete m.models[1].tokenizer.maxLength, 'models[1].tokenizer.maxLength must be a positive integer'],
    ['text model without input_ids', (m) => (m.models[1].inputs[0].name = 'ids'), 'models[1].inputs must include "input_ids"'],
    ['image model without preprocessing', (m) => delete m.models[0].preprocessing, 'models[0].preprocessing must be an object'],
    ['unknown fit', (m) => (m.models[0].preprocessing.fit = 'stretch'), 'models[0].preprocessing.fit must be one of "contain", "cover", "fill"'],
    ['short mean', (m) => (m.models[0].preprocessing.mean = [0.5, 0.5]), 'models[0].preprocessing.mean must be an array of 3 finite numbers'],
    ['zero std', (m) => (m.models[0].preprocessing.std = [0.5, 0, 0.5]), 'models[0].preprocessing.std must be an array of 3 positive numbers'],
    ['background out of range', (m) => (m.models[0].preprocessing.background = [0, 0, 256]), 'models[0].preprocessing.background must be an array of 3 integers in 0..255'],
    ['fusion with one input', (m) => m.models[3].inputs.pop(), 'models[3].inputs must declare two inputs'],
    ['duplicate name', (m) => (m.models[2].name = 'fashion-text'), 'models[2].name "fashion-text" is already used by models[1]'],
    ['default names a missing model', (m) => (m.defaults.text = 'nope'), 'defaults.text names "nope", which is not in models'],
    ['default with the wrong role', (m) => (m.defaults.text = 'fashion-image'), 'defaults.text names "fashion-image", whose role is "image"'],
    ['default with another dim', (m) => (m.models[1].dim = 64), 'models[1].dim is 64 but index.dim is 128'],
    ['default for another index', (m) => (m.models[1].compatibleWith = 'fashion-space@0.9.0'), 'models[1].compatibleWith is "fashion-space@0.9.0" but the index is "fashion-space@1.0.0"'],
    ['fusion requiring a missing model', (m) => (m.models[3].requires.text = 'fashion-image'), 'models[3].requires.text names "fashion-image", which is not a text model'],
    ['baseline not boolean', (m) => (m.models[2].baseline = 'yes'), 'models[2].baseline must be a boolean'],
  ])('rejects %s with an error naming the file and field', (_, edit, message) => {
    const input = _ === 'not an object' ? [] : manifestWith(edit);
    let error: unknown;
    try {
      parseManifest(input, 'models/manifest.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message.startsWith('models/manifest.json: ')).toBe(true);
    expect((error as Error).message).toContain(message || 'must be an object');
  });
});
