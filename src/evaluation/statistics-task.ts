/**
 * The CPU-heavy part of an evaluation run as plain data: every bootstrap interval and paired test a
 * run reports, computed from per-query metric values alone. Separated from the ranking so that it
 * can run on another thread (statistics-worker.runner.ts) and the API's event loop stays free;
 * the CLI computes it in process. Either way the numbers are the same: the same functions with the
 * same seeds.
 */
import { bootstrapCI, pairedTest, type ConfidenceInterval, type PairedTestResult } from './statistics';

export interface StatisticsSettings {
  bootstrapSamples: number;
  permutationSamples: number;
  seed: number;
  confidenceLevel: number;
}

export interface StatisticsTask {
  settings: StatisticsSettings;
  /** Per-query values whose mean gets a bootstrap interval, one list per interval. */
  intervals: number[][];
  /** Paired per-query values (baseline, variant) to test. */
  pairs: { a: number[]; b: number[] }[];
}

export interface StatisticsResult {
  intervals: ConfidenceInterval[];
  pairs: PairedTestResult[];
}

export interface StatisticsRunOptions {
  /** Abort: the computation stops and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Intervals and tests done so far, of all. */
  onProgress?: (done: number, total: number) => void;
}

/** Computes a task's intervals and tests, in order. */
export type StatisticsRunner = (task: StatisticsTask, options?: StatisticsRunOptions) => Promise<StatisticsResult>;

/** The task's statistics, synchronously; `onProgress` after each interval and test. */
export function computeStatistics(task: StatisticsTask, onProgress?: (done: number, total: number) => void): StatisticsResult {
  const { bootstrapSamples, permutationSamples, seed, confidenceLevel } = task.settings;
  const total = task.intervals.length + task.pairs.length;
  let done = 0;
  const intervals = task.intervals.map((values) => {
    const ci = bootstrapCI(values, { samples: bootstrapSamples, seed, level: confidenceLevel });
    onProgress?.(++done, total);
    return ci;
  });
  const pairs = task.pairs.map(({ a, b }) => {
    const test = pairedTest(a, b, { samples: permutationSamples, bootstrapSamples, seed, level: confidenceLevel });
    onProgress?.(++done, total);
    return test;
  });
  return { intervals, pairs };
}

/** In process, on the calling thread (the CLI, tests). */
export const inProcessStatistics: StatisticsRunner = async (task, options = {}) => {
  options.signal?.throwIfAborted();
  return computeStatistics(task, options.onProgress);
};
