import type { FusionEncoder, ImageEncoder, TextEncoder } from './encoder';
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';

/**
 * Encoders that share one MicroBatcher each: concurrent `encode` calls (e.g. from many requests)
 * become one model run. Other members of the wrapped encoder (dim, model, load) stay reachable.
 * Input that is not an array goes straight to the wrapped encoder, which rejects it with a clear error.
 */
export function batchTextEncoder<T extends TextEncoder>(inner: T, options: MicroBatcherOptions = {}): T {
  const batcher = new MicroBatcher<string, Float32Array>((texts) => inner.encode(texts), options);
  return withOverride(inner, 'encode', (texts: string[]) => (Array.isArray(texts) ? batcher.submit(texts) : inner.encode(texts)));
}

export function batchImageEncoder<T extends ImageEncoder>(inner: T, options: MicroBatcherOptions = {}): T {
  const batcher = new MicroBatcher<Buffer, Float32Array>((images) => inner.encode(images), options);
  return withOverride(inner, 'encode', (images: Buffer[]) => (Array.isArray(images) ? batcher.submit(images) : inner.encode(images)));
}

export function batchFusionEncoder<T extends FusionEncoder>(inner: T, options: MicroBatcherOptions = {}): T {
  const batcher = new MicroBatcher<{ image: Float32Array; text: Float32Array }, Float32Array>((pairs) => inner.fuse(pairs), options);
  return withOverride(inner, 'fuse', (pairs: { image: Float32Array; text: Float32Array }[]) => (Array.isArray(pairs) ? batcher.submit(pairs) : inner.fuse(pairs)));
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
