/**
 * Colour profiling on one long-lived worker thread (node:worker_threads), requests answered in
 * order. Under tsx (npm start) and ts-jest the worker is TypeScript source: the thread first
 * registers tsx's require hook, as the evaluation statistics' worker does. A worker that dies is
 * started again by the next request; requests in flight then fail, and their products are written
 * without colours.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProductColours } from '../../domain/product';
import type { ColourProfiler } from './colour-profiler';
import type { ColourWorkerReply, ColourWorkerRequest } from './colour-profile.worker';

const WORKER_FILE = path.join(__dirname, `colour-profile.worker${path.extname(__filename) === '.ts' ? '.ts' : '.js'}`);

function startWorker(): Worker {
  if (WORKER_FILE.endsWith('.ts')) {
    const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(WORKER_FILE)});`;
    return new Worker(bootstrap, { eval: true, execArgv: [] });
  }
  return new Worker(WORKER_FILE, { execArgv: [] });
}

type Pending = { resolve: (c: (ProductColours | null)[]) => void; reject: (e: Error) => void };

export class WorkerColourProfiler implements ColourProfiler {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  profile(images: readonly Buffer[]): Promise<(ProductColours | null)[]> {
    if (this.closed) return Promise.reject(new Error('the colour profiler is closed'));
    if (images.length === 0) return Promise.resolve([]);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // held while requests are in flight, released when idle (see settle)
      const request: ColourWorkerRequest = { id, images: images.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('the colour profiler was closed'));
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.unref();
    worker.on('message', (reply: ColourWorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) p.reject(new Error(`colour profiling failed: ${reply.error}`));
      else p.resolve(reply.colours);
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(new Error(why));
    };
    worker.on('error', (error) => lost(`the colour worker failed: ${error.message}`));
    worker.on('exit', (code) => lost(`the colour worker stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
