/**
 * A vector store that reports the time and outcome of its calls to an observer (the server's
 * metrics), for any store behind the port. Every other member, including ones added to a store
 * later, passes through untouched.
 */
import { performance } from 'node:perf_hooks';
import type { VectorStore } from './vector-store';

export interface StoreObserver {
  storeCall(operation: string, r: { seconds: number; ok: boolean }): void;
}

export const TIMED_STORE_OPERATIONS = ['search', 'facets', 'count', 'getProducts', 'getVector', 'upsert', 'delete', 'scroll'] as const;

export function timedStore<S extends VectorStore>(store: S, observer: StoreObserver): S {
  const timed = new Set<PropertyKey>(TIMED_STORE_OPERATIONS);
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (!timed.has(prop)) return value.bind(target);
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        const operation = String(prop);
        wrapper = async (...args: unknown[]) => {
          const started = performance.now();
          let ok = false;
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            ok = true;
            return result;
          } finally {
            observer.storeCall(operation, { seconds: (performance.now() - started) / 1000, ok });
          }
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}
