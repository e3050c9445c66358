/**
 * Runs the statistics of an evaluation run on a worker thread (node:worker_threads), one thread per
 * task, so the API's event loop keeps answering /healthz and searches while bootstrap and
 * permutation tests run. Aborting terminates the thread at once.
 *
 * Under tsx (npm start) and ts-jest the worker is TypeScript source: the thread first registers
 * tsx's require hook, then loads statistics.worker.ts. Compiled to JavaScript, the .js worker is
 * loaded directly.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InvalidInputError } from '../domain/errors';
import type { StatisticsResult, StatisticsRunner } from './statistics-task';
import type { StatisticsWorkerMessage } from './statistics.worker';

const WORKER_FILE = path.join(__dirname, `statistics.worker${path.extname(__filename) === '.ts' ? '.ts' : '.js'}`);

function startWorker(): Worker {
  if (WORKER_FILE.endsWith('.ts')) {
    const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(WORKER_FILE)});`;
    return new Worker(bootstrap, { eval: true, execArgv: [] });
  }
  return new Worker(WORKER_FILE, { execArgv: [] });
}

export const workerStatistics: StatisticsRunner = (task, options = {}) =>
  new Promise<StatisticsResult>((resolve, reject) => {
    const { signal, onProgress } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const worker = startWorker();
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => settle(() => reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: StatisticsWorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.done, message.total);
      else if (message.type === 'result') settle(() => resolve(message.result));
      else settle(() => reject(message.name === 'InvalidInputError' ? new InvalidInputError(message.message) : new Error(`statistics failed: ${message.message}`)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the statistics worker stopped (exit code ${code}) before it answered`))));
    worker.postMessage(task);
  });
