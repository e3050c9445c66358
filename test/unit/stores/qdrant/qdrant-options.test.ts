import { DEFAULT_QDRANT_STORE_OPTIONS, quantization, resolveQdrantStoreOptions } from '../../../../src/stores/qdrant/qdrant-options';

describe('Qdrant store settings', () => {
  it('fills defaults', () => {
    expect(resolveQdrantStoreOptions()).toEqual(DEFAULT_QDRANT_STORE_OPTIONS);
    const o = resolveQdrantStoreOptions({ collection: 'shop-2', retry: { attempts: 2 }, lexical: { avgDocLength: 40 } });
    expect(o.collection).toBe('shop-2');
    expect(o.retry).toEqual({ ...DEFAULT_QDRANT_STORE_OPTIONS.retry, attempts: 2 });
    expect(o.lexical).toEqual({ ...DEFAULT_QDRANT_STORE_OPTIONS.lexical, avgDocLength: 40 });
  });

  it('gives binary quantization more oversampling than scalar', () => {
    expect(quantization('none')).toEqual({ kind: 'none' });
    expect(quantization('binary')).toEqual({ kind: 'binary', oversampling: 3, rescore: true, pinned: true });
    expect(quantization('scalar', { oversampling: 2 })).toEqual({ kind: 'scalar', oversampling: 2, rescore: true, pinned: true });
  });

  it('lists every bad setting in one error', () => {
    let message = '';
    try {
      resolveQdrantStoreOptions({
        collection: 'bad/name',
        shards: 0,
        replicas: 1,
        writeConsistency: 2,
        batchSize: 1.5,
        prefetchFactor: 0.5,
        quantization: { kind: 'binary', oversampling: 0.5, rescore: true, pinned: false, quantile: 0.9 },
        lexical: { b: 2 },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const part of [
      'collection must be',
      'shards must be a positive integer (got 0)',
      'writeConsistency (2) must not exceed replicas (1)',
      'batchSize must be a positive integer (got 1.5)',
      'prefetchFactor must be at least 1',
      'quantization.oversampling must be at least 1',
      'quantization.quantile applies to scalar quantization',
      'lexical.b must be within [0, 1]',
    ]) {
      expect(message).toContain(part);
    }
  });
});
