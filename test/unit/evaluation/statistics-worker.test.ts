import { computeStatistics, inProcessStatistics, type StatisticsTask } from '../../../src/evaluation/statistics-task';
import { workerStatistics } from '../../../src/evaluation/statistics-worker.runner';
import { seededRandom } from '../../../src/evaluation/statistics';

function task(n: number, intervals: number, pairs: number, samples = 200): StatisticsTask {
  const r = seededRandom(5);
  const values = () => Array.from({ length: n }, () => r());
  return {
    settings: { bootstrapSamples: samples, permutationSamples: samples, seed: 9, confidenceLevel: 0.9 },
    intervals: Array.from({ length: intervals }, values),
    pairs: Array.from({ length: pairs }, () => ({ a: values(), b: values() })),
  };
}

jest.setTimeout(60_000);

describe('statistics of a run', () => {
  it('in a worker thread equal those computed in process, with progress to the end', async () => {
    const t = task(50, 3, 2);
    const progress: [number, number][] = [];
    const inWorker = await workerStatistics(t, { onProgress: (done, total) => progress.push([done, total]) });
    expect(inWorker).toEqual(computeStatistics(t));
    expect(await inProcessStatistics(t)).toEqual(inWorker);
    expect(progress.at(-1)).toEqual([5, 5]);
  });

  it('stop when aborted, rejecting with the reason, while the event loop stays free', async () => {
    const controller = new AbortController();
    const heavy = task(5000, 40, 0, 20_000);
    const running = workerStatistics(heavy, { signal: controller.signal });
    // the loop answers timers promptly while the worker computes
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    expect(Date.now() - started).toBeLessThan(1500);
    controller.abort(new Error('cancelled by test'));
    await expect(running).rejects.toThrow('cancelled by test');
  });

  it('reject at once when already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(workerStatistics(task(5, 1, 0), { signal: controller.signal })).rejects.toThrow('too late');
    await expect(inProcessStatistics(task(5, 1, 0), { signal: controller.signal })).rejects.toThrow('too late');
  });
});
