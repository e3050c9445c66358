import { DomainError } from '../../../src/domain/errors';
import type { FusionEncoder, TextEncoder } from '../../../src/encoders/encoder';
import { ReloadableQueryModels, type QueryModels } from '../../../src/encoders/query-models';

/** A text tower that answers with its own marker value after `delayMs`. */
function tower(marker: number, delayMs = 0, dim = 4): TextEncoder & { calls: number } {
  const t = {
    dim,
    calls: 0,
    encode: async (texts: string[]) => {
      t.calls++;
      await new Promise((r) => setTimeout(r, delayMs));
      return texts.map(() => new Float32Array(dim).fill(marker));
    },
  };
  return t;
}

const fusion = (marker: number): FusionEncoder => ({ dim: 4, fuse: async (pairs) => pairs.map(() => new Float32Array(4).fill(marker)) });

function models(marker: number, version: string, indexKey = 'space@1 image=img@1 text=txt@1', delayMs = 0): QueryModels & { text: { calls: number }; warmUp: () => Promise<void>; warmed: boolean } {
  const m = {
    text: tower(marker, delayMs),
    fusion: fusion(marker),
    indexKey,
    models: [{ role: 'text', name: 'txt-q', version }],
    warmed: false,
    warmUp: async () => {
      m.warmed = true;
    },
  };
  return m;
}

describe('ReloadableQueryModels', () => {
  it('forwards to the current models and swaps in new ones after loading them', async () => {
    const next = models(2, '1.1.0');
    const swapped: string[] = [];
    const q = new ReloadableQueryModels(models(1, '1.0.0'), async () => next, (m) => swapped.push(m.models[0].version));
    expect((await q.text.encode(['a']))[0][0]).toBe(1);
    const result = await q.reload();
    expect(result).toEqual({ changed: true, previous: [{ role: 'text', name: 'txt-q', version: '1.0.0' }], models: [{ role: 'text', name: 'txt-q', version: '1.1.0' }] });
    expect(next.warmed).toBe(true);
    expect(next.text.calls).toBe(1); // the check input ran before any request
    expect((await q.text.encode(['a']))[0][0]).toBe(2);
    expect((await q.fusion.fuse([{ image: new Float32Array(4), text: new Float32Array(4) }]))[0][0]).toBe(2);
    expect(swapped).toEqual(['1.1.0']);
    expect(q.models[0].version).toBe('1.1.0');
  });

  it('lets a request that started on the old models finish on them', async () => {
    const q = new ReloadableQueryModels(models(1, '1.0.0', undefined, 50), async () => models(2, '1.1.0'));
    const inFlight = q.text.encode(['slow']);
    await q.reload();
    expect((await inFlight)[0][0]).toBe(1);
    expect((await q.text.encode(['fast']))[0][0]).toBe(2);
  });

  it('reports no change when the models on disk are the ones serving', async () => {
    const same = models(1, '1.0.0');
    const q = new ReloadableQueryModels(models(1, '1.0.0'), async () => same);
    expect((await q.reload()).changed).toBe(false);
    expect(same.warmed).toBe(false);
  });

  it('refuses models that embed products differently and keeps the running ones', async () => {
    const q = new ReloadableQueryModels(models(1, '1.0.0'), async () => models(2, '2.0.0', 'space@1 image=img@2 text=txt@1'));
    const error = await q.reload().catch((e) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('MODELS_INCOMPATIBLE');
    expect(error.message).toContain('"space@1 image=img@2 text=txt@1"');
    expect(error.message).toContain('"space@1 image=img@1 text=txt@1"');
    expect((await q.text.encode(['a']))[0][0]).toBe(1);
  });

  it('shares one reload between concurrent callers and allows the next one afterwards', async () => {
    let opened = 0;
    const q = new ReloadableQueryModels(models(1, '1.0.0'), async () => {
      opened++;
      await new Promise((r) => setTimeout(r, 20));
      return models(1 + opened, `1.${opened}.0`);
    });
    const [a, b] = await Promise.all([q.reload(), q.reload()]);
    expect(a).toBe(b);
    expect(opened).toBe(1);
    await q.reload();
    expect(opened).toBe(2);
  });

  it('keeps serving when loading the new models fails', async () => {
    const q = new ReloadableQueryModels(models(1, '1.0.0'), async () => {
      throw new Error('manifest.json cannot be read');
    });
    await expect(q.reload()).rejects.toThrow('manifest.json cannot be read');
    expect((await q.text.encode(['a']))[0][0]).toBe(1);
  });
});
