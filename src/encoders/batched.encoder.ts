/**
 * Encoders that share one MicroBatcher each: concurrent `encode` calls (e.g. from many requests)
 * become one model run. Other members of the wrapped encoder (dim, model, load) stay reachable.
 * Input that is not an array goes straight to the wrapped encoder, which rejects it with a clear error.
 * An optional observer (the server's metrics, injected by main.ts) hears of each model run (its
 * size, time and outcome) and can read each batcher's queue depth.
 */
import { performance } from 'node:perf_hooks';
import type { FusionEncoder, ImageEncoder, TextEncoder } from './encoder';
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';

/** What the batched encoders report: each model run, and a reading of each queue's depth. */
export interface EncoderObserver {
  batchRun(encoder: string, run: { size: number; seconds: number; ok: boolean }): void;
  watchQueue(queue: string, depth: () => number): void;
}

export interface BatchedEncoderOptions extends MicroBatcherOptions {
  observer?: EncoderObserver;
}

export function batchTextEncoder<T extends TextEncoder>(inner: T, options: BatchedEncoderOptions = {}): T {
  const batcher = batcherFor('text', (texts: string[]) => inner.encode(texts), options);
  return withOverride(inner, 'encode', (texts: string[]) => (Array.isArray(texts) ? batcher.submit(texts) : inner.encode(texts)));
}

export function batchImageEncoder<T extends ImageEncoder>(inner: T, options: BatchedEncoderOptions = {}): T {
  const batcher = batcherFor('image', (images: Buffer[]) => inner.encode(images), options);
  return withOverride(inner, 'encode', (images: Buffer[]) => (Array.isArray(images) ? batcher.submit(images) : inner.encode(images)));
}

export function batchFusionEncoder<T extends FusionEncoder>(inner: T, options: BatchedEncoderOptions = {}): T {
  const batcher = batcherFor('fusion', (pairs: { image: Float32Array; text: Float32Array }[]) => inner.fuse(pairs), options);
  return withOverride(inner, 'fuse', (pairs: { image: Float32Array; text: Float32Array }[]) => (Array.isArray(pairs) ? batcher.submit(pairs) : inner.fuse(pairs)));
}

function batcherFor<I>(name: string, run: (items: I[]) => Promise<Float32Array[]>, options: BatchedEncoderOptions): MicroBatcher<I, Float32Array> {
  const { observer, ...batching } = options;
  if (!observer) return new MicroBatcher(run, batching);
  const batcher = new MicroBatcher(async (items: I[]) => {
    const started = performance.now();
    let ok = false;
    try {
      const results = await run(items);
      ok = true;
      return results;
    } finally {
      observer.batchRun(name, { size: items.length, seconds: (performance.now() - started) / 1000, ok });
    }
  }, batching);
  observer.watchQueue(`encoder_${name}`, () => batcher.pending);
  return batcher;
}

function withOverride<T extends object, K extends keyof T>(inner: T, key: K, fn: T[K]): T {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === key) return fn;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
