/**
 * Worker-thread entry of the statistics of an evaluation run (started by
 * statistics-worker.runner.ts): receives one StatisticsTask, posts progress messages and then the
 * result. Bootstrap resampling and permutation tests can take minutes of CPU; here they never
 * block the server's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { computeStatistics, type StatisticsTask } from './statistics-task';

export type StatisticsWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: ReturnType<typeof computeStatistics> }
  | { type: 'error'; message: string; name: string };

if (parentPort) {
  const port = parentPort;
  port.once('message', (task: StatisticsTask) => {
    try {
      const result = computeStatistics(task, (done, total) => port.postMessage({ type: 'progress', done, total } satisfies StatisticsWorkerMessage));
      port.postMessage({ type: 'result', result } satisfies StatisticsWorkerMessage);
    } catch (error) {
      const e = error as Error;
      port.postMessage({ type: 'error', message: e?.message ?? String(error), name: e?.name ?? 'Error' } satisfies StatisticsWorkerMessage);
    }
  });
}
