/**
 * Fields that every log line written while serving one request carries (its request id), without
 * passing a logger through every call: the HTTP server runs each request inside `withLogContext`,
 * and the logger adds `currentLogContext()` to each line. Node's AsyncLocalStorage follows the
 * request through promises, timers and callbacks.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

/** Runs `fn` with `fields` added to the log lines it (and everything it starts) writes. */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function currentLogContext(): Readonly<Record<string, unknown>> | undefined {
  return storage.getStore();
}
