/**
 * Worker-thread entry of colour profiling (started by colour-profile-worker.runner.ts): answers each
 * request `{ id, images }` with `{ id, colours }` (null for a picture it could not read), so the
 * 15-35 ms of CPU per picture never block the server's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { InProcessColourProfiler } from './colour-profiler';
import type { ProductColours } from '../../domain/product';

export interface ColourWorkerRequest {
  id: number;
  images: Uint8Array[];
}

export type ColourWorkerReply = { id: number; colours: (ProductColours | null)[] } | { id: number; error: string };

if (parentPort) {
  const port = parentPort;
  const profiler = new InProcessColourProfiler();
  port.on('message', (request: ColourWorkerRequest) => {
    profiler
      .profile(request.images.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)))
      .then(
        (colours) => port.postMessage({ id: request.id, colours } satisfies ColourWorkerReply),
        (error: Error) => port.postMessage({ id: request.id, error: error?.message ?? String(error) } satisfies ColourWorkerReply),
      );
  });
}
