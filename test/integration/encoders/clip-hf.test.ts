/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { dot } from '../../../src/domain/embedding';
import { InvalidInputError } from '../../../src/domain/errors';
import { createEncoders, type EncoderSet } from '../../../src/encoders/encoders.factory';
import { ModelLoadError } from '../../../src/encoders/model-load.error';

// test/fixtures/tiny-clip is written by make_tiny_clip.py: a random-weight CLIP in the transformers.js layout.
const TINY_CLIP = path.resolve(__dirname, '../../fixtures/tiny-clip');
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));
const solid = (hex: string, width = 48, height = 40) => sharp({ create: { width, height, channels: 3, background: hex } }).png().toBuffer();

describe('clip-hf adapter (tiny CLIP-layout model through transformers.js)', () => {
  let encoders: EncoderSet;

  beforeAll(async () => {
    encoders = await createEncoders({ adapter: 'clip-hf', clipModelDir: TINY_CLIP, intraOpThreads: 1 });
  });

  it('describes the model and says that there is no fusion model', () => {
    expect(encoders.adapter).toBe('clip-hf');
    expect(encoders.dim).toBe(16);
    expect(encoders.fusion).toBeNull();
    expect(encoders.fusionUnavailableReason).toBe('the clip-hf adapter has no fusion model');
    expect(encoders.versions.index.dim).toBe(16);
    expect(encoders.versions.index.key).toMatch(/^clip-hf\/tiny-clip@[0-9a-f]{12}$/);
    expect(encoders.versions.models.map((m) => m.role)).toEqual(['image', 'text']);
    expect(encoders.textModels().map((m) => m.name)).toEqual(['tiny-clip']);
  });

  it('encodes texts to unit vectors of the projection dimension, deterministically', async () => {
    const texts = ['red dress', 'black leather ankle boots', 'Naïve café pullover', 'red dress'];
    const a = await encoders.text.encode(texts);
    const b = await encoders.text.encode([texts[1], texts[0]]);
    expect(a).toHaveLength(4);
    for (const v of a) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(16);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(Array.from(a[3])).toEqual(Array.from(a[0]));
    expect(dot(a[0], b[1])).toBeCloseTo(1, 5);
    expect(dot(a[1], b[0])).toBeCloseTo(1, 5);
    expect(dot(a[0], a[1])).toBeLessThan(0.99);
    expect(dot(a[1], a[2])).toBeLessThan(0.99);
  });

  it('encodes images of any size and format to unit vectors; different images differ', async () => {
    const red = await solid('#d01020');
    const blue = await solid('#1030d0', 300, 120);
    const redJpeg = await sharp(red).jpeg({ quality: 95 }).toBuffer();
    const [r, b, rj] = await encoders.image.encode([red, blue, redJpeg]);
    for (const v of [r, b, rj]) {
      expect(v).toHaveLength(16);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(dot(r, b)).toBeLessThan(0.99);
    expect(dot(r, rj)).toBeGreaterThan(0.99);
    const [again] = await encoders.image.encode([red]);
    expect(Array.from(again)).toEqual(Array.from(r));
  });

  it('batches concurrent callers and gives each its own answer', async () => {
    const texts = ['shirt', 'jeans', 'coat', 'sandal'];
    const alone = await Promise.all(texts.map((t) => encoders.textEncoder('tiny-clip').encode([t])));
    const together = await Promise.all(texts.map((t) => encoders.text.encode([t])));
    together.forEach(([v], i) => expect(dot(v, alone[i][0])).toBeCloseTo(1, 5));
  });

  it('rejects bad images with a clear error and keeps serving', async () => {
    await expect(encoders.image.encode([Buffer.from('not an image')])).rejects.toThrow(InvalidInputError);
    await expect(encoders.image.encode([await solid('#00ff00')])).resolves.toHaveLength(1);
  });

  describe('a folder that is not a CLIP-layout model', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'clip-hf-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('names the missing files', async () => {
      await fs.cp(TINY_CLIP, dir, { recursive: true });
      await fs.rm(path.join(dir, 'onnx', 'vision_model.onnx'));
      const err = await createEncoders({ adapter: 'clip-hf', clipModelDir: dir }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect(err.message).toContain('lacks onnx/vision_model.onnx');
    });

    it('reports a projection dimension that the graph does not produce', async () => {
      await fs.cp(TINY_CLIP, dir, { recursive: true });
      const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
      config.projection_dim = 32;
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      const other = await createEncoders({ adapter: 'clip-hf', clipModelDir: dir, batching: false });
      await expect(other.text.encode(['red'])).rejects.toThrow(/output "text_embeds" has shape \[1, 16\] but config.json says projection_dim 32/);
    });
  });

  it('needs clipModelDir', async () => {
    await expect(createEncoders({ adapter: 'clip-hf' })).rejects.toThrow('the clip-hf adapter needs clipModelDir');
  });
});
