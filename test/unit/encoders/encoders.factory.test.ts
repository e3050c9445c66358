import * as os from 'node:os';
import * as path from 'node:path';
import { createEncoders, type EncoderAdapter } from '../../../src/encoders/encoders.factory';
import { ManifestError } from '../../../src/encoders/manifest';

const FIXTURE = path.join(__dirname, '../../fixtures/tiny-manifest');

describe('createEncoders', () => {
  it('builds the manifest adapter without loading any model', async () => {
    const set = await createEncoders({ modelsDir: FIXTURE, batching: false });
    expect(set.adapter).toBe('manifest');
    expect(set.dim).toBe(128);
    expect(set.versions.index.key).toBe('fashion-space@1.0.0');
    expect(set.fusion?.dim).toBe(128);
    expect(set.textModels().map((m) => m.name)).toEqual(['fashion-text', 'fashion-text-gru']);
    expect(set.textEncoder('fashion-text-gru').model).toEqual({ name: 'fashion-text-gru', version: '1.0.0' });
  });

  it.each<[string, object, RegExp]>([
    ['an unknown adapter', { adapter: 'tensorflow' as EncoderAdapter }, /unknown encoder adapter "tensorflow" \(use "manifest" or "clip-hf"\)/],
    ['clip-hf without a folder', { adapter: 'clip-hf' }, /the clip-hf adapter needs clipModelDir/],
    ['a bad image limit', { modelsDir: FIXTURE, imageLimits: { maxBytes: 0 } }, /image limit maxBytes must be a positive integer/],
    ['bad batching options', { modelsDir: FIXTURE, batching: { maxBatchSize: -1 } }, /maxBatchSize must be a positive integer/],
  ])('rejects %s', async (_, options, message) => {
    await expect(createEncoders(options)).rejects.toThrow(message);
  });

  it('says where it looked for a missing manifest', async () => {
    const dir = path.join(os.tmpdir(), 'no-such-models-dir');
    const err = await createEncoders({ modelsDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.message).toContain(path.join(dir, 'manifest.json'));
  });
});
