import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InvalidInputError, NotFoundError } from '../../../src/domain/errors';
import { ManifestError } from '../../../src/encoders/manifest';
import { ModelLoadError } from '../../../src/encoders/model-load.error';
import { ModelRegistry } from '../../../src/encoders/model-registry';
import { ort, type ModelSession, type SessionFactory, type TensorInfo } from '../../../src/encoders/onnx/onnx-session.factory';

const FIXTURE = path.join(__dirname, '../../fixtures/tiny-manifest');

interface FakeModel {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Output row for one batch item; default: 3 in the first slot (an unnormalised vector). */
  outDim?: number;
}

const t = (name: string, type = 'float32'): TensorInfo => ({ name, type, shape: null });
const TEXT: FakeModel = { inputs: [t('input_ids', 'int64'), t('attention_mask', 'int64')], outputs: [t('embedding')] };
const IMAGE: FakeModel = { inputs: [t('pixel_values')], outputs: [t('embedding')] };
const FUSION: FakeModel = { inputs: [t('image_embedding'), t('text_embedding')], outputs: [t('embedding')] };

/** Records every session it opens and every run, answering with [batch, outDim] outputs. */
class FakeSessions implements SessionFactory {
  readonly created: string[] = [];
  readonly runs: { file: string; feeds: Record<string, ort.Tensor> }[] = [];
  constructor(
    private readonly models: Record<string, FakeModel>,
    private readonly failures = new Set<string>(),
  ) {}

  async create(file: string): Promise<ModelSession> {
    const key = path.basename(path.dirname(file));
    this.created.push(key);
    await new Promise((r) => setTimeout(r, 2));
    if (this.failures.delete(key)) throw new Error('file is locked');
    const model = this.models[key];
    if (!model) throw new Error(`no fake for ${key}`);
    return {
      inputs: model.inputs,
      outputs: model.outputs,
      run: async (feeds) => {
        this.runs.push({ file: key, feeds });
        const batch = Object.values(feeds)[0].dims[0];
        const dim = model.outDim ?? 128;
        const data = new Float32Array(batch * dim);
        for (let b = 0; b < batch; b++) data[b * dim + (b % dim)] = 3;
        return { [model.outputs[0].name]: new ort.Tensor('float32', data, [batch, dim]) };
      },
      release: async () => undefined,
    };
  }
}

const models = () => ({ 'fashion-text': TEXT, 'fashion-text-gru': TEXT, 'fashion-image': IMAGE, 'fashion-fusion': FUSION });

describe('ModelRegistry', () => {
  it('exposes the index, model versions and text models from the manifest', async () => {
    const registry = await ModelRegistry.open(FIXTURE, { sessions: new FakeSessions(models()) });
    expect(registry.compatibilityKey).toBe('fashion-space@1.0.0');
    const versions = registry.versions();
    expect(versions.index).toEqual({ name: 'fashion-space', version: '1.0.0', dim: 128, key: 'fashion-space@1.0.0' });
    expect(versions.trainingDataHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(versions.models.map((m) => `${m.role}:${m.name}@${m.version}`)).toEqual(['image:fashion-image@1.0.0', 'text:fashion-text@1.0.0', 'fusion:fashion-fusion@1.0.0']);
    expect(registry.textModels().map((m) => [m.name, m.isDefault, m.baseline, m.compatible])).toEqual([
      ['fashion-text', true, false, true],
      ['fashion-text-gru', false, true, true],
    ]);
  });

  it('creates one encoder per model, by role default or by name', async () => {
    const registry = await ModelRegistry.open(FIXTURE, { sessions: new FakeSessions(models()) });
    expect(registry.textEncoder()).toBe(registry.textEncoder('fashion-text'));
    expect(registry.textEncoder('fashion-text-gru')).not.toBe(registry.textEncoder());
    expect(registry.textEncoder('fashion-text-gru').model).toEqual({ name: 'fashion-text-gru', version: '1.0.0' });
    expect(registry.imageEncoder().dim).toBe(128);
    expect(registry.fusionEncoder()?.model.name).toBe('fashion-fusion');
    expect(() => registry.textEncoder('nope')).toThrow(NotFoundError);
    expect(() => registry.textEncoder('nope')).toThrow('no model named "nope" in the manifest (have: fashion-image, fashion-text, fashion-text-gru, fashion-fusion)');
    expect(() => registry.textEncoder('fashion-image')).toThrow('model "fashion-image" has role "image", not "text"');
  });

  it('loads lazily and once: concurrent first calls share one load', async () => {
    const sessions = new FakeSessions(models());
    const registry = await ModelRegistry.open(FIXTURE, { sessions });
    expect(sessions.created).toEqual([]);
    const text = registry.textEncoder();
    const results = await Promise.all([text.encode(['red dress']), text.encode(['blue shirt']), text.load()]);
    expect(results[0]).toHaveLength(1);
    await registry.imageEncoder().load();
    await registry.imageEncoder().load();
    expect(sessions.created.sort()).toEqual(['fashion-image', 'fashion-text']);
  });

  it('retries a load that failed', async () => {
    const sessions = new FakeSessions(models(), new Set(['fashion-fusion']));
    const registry = await ModelRegistry.open(FIXTURE, { sessions });
    const fusion = registry.fusionEncoder()!;
    await expect(fusion.load()).rejects.toThrow(/model "fashion-fusion": could not load .*fashion-fusion\/model.onnx \(file is locked\)/);
    await expect(fusion.load()).resolves.toBeUndefined();
    expect(sessions.created).toEqual(['fashion-fusion', 'fashion-fusion']);
  });

  it.each<[string, FakeModel, RegExp]>([
    ['a missing input', { ...TEXT, inputs: [t('ids', 'int64'), t('attention_mask', 'int64')] }, /model "fashion-text": the ONNX graph has no input "input_ids" \(graph inputs: ids, attention_mask\)/],
    ['an extra required input', { ...TEXT, inputs: [...TEXT.inputs, t('position_ids', 'int64')] }, /needs inputs not in the manifest: position_ids/],
    ['a missing output', { ...TEXT, outputs: [t('pooled')] }, /the ONNX graph has no output "embedding" \(graph outputs: pooled\)/],
    ['a fixed output dimension that differs', { ...TEXT, outputs: [{ name: 'embedding', type: 'float32', shape: ['batch', 64] }] }, /output "embedding" has dimension 64 but the manifest says dim 128/],
    ['a dynamic output that returns another dimension', { ...TEXT, outDim: 96 }, /returned shape \[1, 96\] but the manifest says \[batch, 128\]/],
  ])('refuses a text graph with %s', async (_, fake, message) => {
    const registry = await ModelRegistry.open(FIXTURE, { sessions: new FakeSessions({ ...models(), 'fashion-text': fake }) });
    const err = await registry.textEncoder().encode(['x']).catch((e) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.message).toMatch(message);
  });

  it('refuses an image graph whose output dimension differs from the manifest', async () => {
    const registry = await ModelRegistry.open(FIXTURE, { sessions: new FakeSessions({ ...models(), 'fashion-image': { ...IMAGE, outDim: 10 } }) });
    await expect(registry.imageEncoder().load()).rejects.toThrow('model "fashion-image": the model returned shape [1, 10] but the manifest says [batch, 128]');
  });

  it('runs one padded int64 batch per text call and renormalises unnormalised output', async () => {
    const sessions = new FakeSessions(models());
    const registry = await ModelRegistry.open(FIXTURE, { sessions });
    const text = registry.textEncoder();
    await text.load();
    sessions.runs.length = 0;
    const out = await text.encode(['red dress', 'a long blue cotton shirt with sleeves', '']);
    expect(sessions.runs).toHaveLength(1);
    const { input_ids, attention_mask } = sessions.runs[0].feeds;
    expect(input_ids.type).toBe('int64');
    expect(input_ids.dims[0]).toBe(3);
    expect(attention_mask.dims).toEqual(input_ids.dims);
    const mask = Array.from(attention_mask.data as BigInt64Array, Number);
    const seq = input_ids.dims[1];
    expect(mask.slice(seq, 2 * seq).every((m) => m === 1)).toBe(true);
    expect(mask.slice(0, seq).filter((m) => m === 1)).toHaveLength(4);
    expect(out.map((v) => [v.length, v[out.indexOf(v)]])).toEqual([[128, 1], [128, 1], [128, 1]]);
    await expect(text.encode([42 as unknown as string])).rejects.toThrow(InvalidInputError);
    await expect(text.encode([])).resolves.toEqual([]);
  });

  it('feeds the image model a normalised NCHW batch', async () => {
    const sessions = new FakeSessions(models());
    const registry = await ModelRegistry.open(FIXTURE, { sessions });
    const image = registry.imageEncoder();
    await image.load();
    sessions.runs.length = 0;
    const white = await sharp({ create: { width: 50, height: 20, channels: 3, background: '#ffffff' } }).jpeg().toBuffer();
    const black = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000000' } }).png().toBuffer();
    const out = await image.encode([white, black]);
    expect(out).toHaveLength(2);
    expect(sessions.runs).toHaveLength(1);
    const pixels = sessions.runs[0].feeds.pixel_values;
    expect(pixels.dims).toEqual([2, 3, 32, 32]);
    const data = pixels.data as Float32Array;
    expect(Math.min(...data.subarray(0, 3 * 32 * 32))).toBeCloseTo(1, 5);
    expect(Math.max(...data.subarray(3 * 32 * 32))).toBeCloseTo(-1, 5);
    await expect(image.encode([Buffer.from('nope')])).rejects.toThrow('image 0: could not decode the image');
  });

  it('checks fusion inputs', async () => {
    const registry = await ModelRegistry.open(FIXTURE, { sessions: new FakeSessions(models()) });
    const fusion = registry.fusionEncoder()!;
    const ok = new Float32Array(128);
    await expect(fusion.fuse([{ image: ok, text: new Float32Array(3) }])).rejects.toThrow('pair 0: text embedding must be a Float32Array of length 128');
    await expect(fusion.fuse([{ image: [1] as unknown as Float32Array, text: ok }])).rejects.toThrow(InvalidInputError);
    await expect(fusion.fuse([{ image: ok, text: ok }])).resolves.toHaveLength(1);
  });

  describe('open', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('says when the manifest is missing', async () => {
      const err = await ModelRegistry.open(dir).catch((e) => e);
      expect(err).toBeInstanceOf(ManifestError);
      expect(err.message).toBe(`${path.join(dir, 'manifest.json')}: cannot be read (ENOENT); train and export the models first, or point the models directory elsewhere`);
    });

    it('says when the manifest is not JSON', async () => {
      await fs.writeFile(path.join(dir, 'manifest.json'), '{ "formatVersion": 1,');
      await expect(ModelRegistry.open(dir)).rejects.toThrow(`${path.join(dir, 'manifest.json')}: is not valid JSON`);
    });

    it('names the file and field of an invalid manifest', async () => {
      const manifest = JSON.parse(await fs.readFile(path.join(FIXTURE, 'manifest.json'), 'utf8'));
      manifest.models[1].tokenizer.maxLength = 0;
      await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
      await expect(ModelRegistry.open(dir)).rejects.toThrow(`${path.join(dir, 'manifest.json')}: models[1].tokenizer.maxLength must be a positive integer`);
    });
  });
});
