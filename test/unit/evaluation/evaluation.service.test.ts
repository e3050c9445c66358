import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError, UnavailableError } from '../../../src/domain/errors';
import { FileEvaluationRunStore, MemoryEvaluationRunStore } from '../../../src/evaluation/evaluation-run.store';
import { EvaluationService, evaluationService, type VariantProvider } from '../../../src/evaluation/evaluation.service';
import type { JudgementSet } from '../../../src/evaluation/evaluation-run';
import { buildSet, buildVariant } from './fakes';

const sets = (set: JudgementSet) => ({ setNames: () => ['fake'], load: async () => set });
const variants: VariantProvider = {
  variantNames: () => ['weak', 'strong'],
  variants: async (_set, names) => names.map((n) => buildVariant(n, n === 'strong' ? 0.9 : 0.3, n.length)),
};
const clock = () => new Date('2026-02-03T04:05:06.789Z');
const fast = { bootstrapSamples: 100, permutationSamples: 200 };

describe('EvaluationService', () => {
  it('runs a named set with default variants and metrics, records it, lists and exports it', async () => {
    const store = new MemoryEvaluationRunStore();
    const service = new EvaluationService(store, sets(buildSet(20)), variants, { defaultMetrics: { fake: ['mrr', 'r@10'] }, clock });
    const run = await service.evaluate({ set: 'fake', ...fast });
    expect(run.id).toMatch(/^ev-20260203T040506Z-[0-9a-f]{6}$/);
    expect(run.settings.metrics).toEqual(['mrr', 'r@10']);
    expect(run.variants.map((v) => v.name)).toEqual(['weak', 'strong']);
    expect((await service.list()).items.map((r) => r.id)).toEqual([run.id]);
    expect(await service.run(run.id)).toBe(run);
    expect(await service.find('ev-unknown')).toBeNull();
    await expect(service.run('ev-unknown')).rejects.toBeInstanceOf(NotFoundError);
    expect(await service.export(run.id, 'trec-run', 'strong')).toContain(' Q0 ');
  });

  it('replaces judgements with uploaded qrels and keeps only judged queries', async () => {
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(20)), variants, { defaultMetrics: {}, clock });
    const run = await service.evaluate({ set: 'fake', qrels: 'q1 0 t1 1\nq2 0 t9 2\n', variants: ['strong'], metrics: ['mrr'], ...fast });
    expect(run.set).toMatchObject({ name: 'fake+qrels', queries: 2 });
    expect(run.qrels).toEqual({ q1: { t1: 1 }, q2: { t9: 2 } });
  });

  it('runs uploaded text queries with uploaded qrels', async () => {
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(3)), variants, { defaultMetrics: {}, clock });
    const run = await service.evaluate({ queries: [{ id: 'q0', text: 'red dress' }], qrels: 'q0 0 t0 1\n', variants: ['weak'], ...fast });
    expect(run.set.name).toBe('uploaded+qrels');
    expect(run.queries).toHaveLength(1);
  });

  it.each([
    [{ set: 'nope' }, /unknown judgement set "nope": choose one of fake/],
    [{}, /name a judgement set/],
    [{ set: 'fake', qrels: 'zz 0 a 1\n' }, /no query id of the uploaded qrels/],
    [{ set: 'fake', qrels: 'q1 0 a\n' }, /qrels line 1/],
    [{ set: 'fake', limitQueries: 0 }, /limitQueries/],
    [{ queries: [{ id: 'a b', text: 'x' }], qrels: 'a 0 x 1\n' }, /query id "a b"/],
  ])('rejects %p with a message', async (request, message) => {
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(3)), variants, { defaultMetrics: {}, clock });
    await expect(service.evaluate({ ...request, ...fast })).rejects.toThrow(message);
    await expect(service.evaluate({ ...request, ...fast })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('limits queries and validates paging', async () => {
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(30)), variants, { defaultMetrics: {}, clock });
    const run = await service.evaluate({ set: 'fake', limitQueries: 7, ...fast });
    expect(run.set.queries).toBe(7);
    expect(run.variants[0].segments[0].queries).toBe(4);
    await expect(service.list({ limit: 0 })).rejects.toThrow(/limit/);
    await expect(service.list({ offset: -1 })).rejects.toThrow(/offset/);
  });

  it('says clearly when evaluations are not configured', () => {
    expect(() => evaluationService(undefined)).toThrow(UnavailableError);
  });
});

describe('FileEvaluationRunStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eval-runs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('persists runs across instances and lists them newest first', async () => {
    let t = 0;
    const service = new EvaluationService(new FileEvaluationRunStore(join(dir, 'runs')), sets(buildSet(5)), variants, {
      defaultMetrics: {},
      clock: () => new Date(Date.UTC(2026, 0, 1 + t++)),
    });
    const first = await service.evaluate({ set: 'fake', ...fast });
    const second = await service.evaluate({ set: 'fake', ...fast });
    const reopened = new FileEvaluationRunStore(join(dir, 'runs'));
    expect(await reopened.get(first.id)).toEqual(JSON.parse(JSON.stringify(first)));
    const page = await reopened.list({ limit: 1, offset: 0 });
    expect(page.total).toBe(2);
    expect(page.items.map((r) => r.id)).toEqual([second.id]);
    expect(page.items[0]).not.toHaveProperty('queries');
    expect(await reopened.get('ev-missing')).toBeNull();
    await expect(reopened.get('../etc/passwd')).rejects.toThrow(InvalidInputError);
  });

  it('lists nothing before the first run', async () => {
    expect(await new FileEvaluationRunStore(join(dir, 'none')).list({ limit: 5, offset: 0 })).toEqual({ items: [], total: 0 });
  });
});

describe('EvaluationService background jobs', () => {
  async function settled(service: EvaluationService, id: string) {
    for (let i = 0; i < 500; i++) {
      const job = await service.job(id);
      if (job && !['QUEUED', 'RUNNING'].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`job ${id} did not finish`);
  }

  it('queues a job that records the run; the job id is the run id, and the job is found from the run after a restart', async () => {
    const store = new MemoryEvaluationRunStore();
    const service = new EvaluationService(store, sets(buildSet(20)), variants, { defaultMetrics: {}, clock });
    const job = await service.submit({ set: 'fake', ...fast });
    expect(job).toMatchObject({ set: 'fake', progress: { done: 0, total: 40 } });
    expect(['QUEUED', 'RUNNING']).toContain(job.state);
    const done = await settled(service, job.id);
    expect(done).toMatchObject({ state: 'SUCCEEDED', runId: job.id, progress: { done: 40, total: 40 }, error: null });
    expect((await service.run(job.id)).variants.map((v) => v.name)).toEqual(['weak', 'strong']);
    const restarted = new EvaluationService(store, sets(buildSet(20)), variants, { defaultMetrics: {}, clock });
    expect(await restarted.job(job.id)).toMatchObject({ id: job.id, state: 'SUCCEEDED', runId: job.id, progress: { done: 40, total: 40 } });
    expect(await restarted.job('ev-unknown')).toBeNull();
  });

  it('gives the same numbers as a run in process (statistics on a worker thread included)', async () => {
    const { workerStatistics } = await import('../../../src/evaluation/statistics-worker.runner');
    const inWorker = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(20)), variants, { defaultMetrics: {}, clock, statistics: workerStatistics });
    const job = await inWorker.submit({ set: 'fake', seed: 3, ...fast });
    await settled(inWorker, job.id);
    const direct = await new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(20)), variants, { defaultMetrics: {}, clock }).evaluate({ set: 'fake', seed: 3, ...fast });
    const a = await inWorker.run(job.id);
    expect(a.variants).toEqual(direct.variants);
    expect(a.comparisons).toEqual(direct.comparisons);
  });

  it.each([
    [{ set: 'nope' }, /unknown judgement set/],
    [{ set: 'fake', metrics: ['ndcg'] }, /ndcg/],
    [{ set: 'fake', bootstrapSamples: 10_001 }, /bootstrapSamples is 10001; through the API at most 10000/],
    [{ set: 'fake', permutationSamples: 100_001 }, /permutationSamples is 100001; through the API at most 100000/],
    [{ set: 'fake', depth: 1001 }, /depth is 1001; through the API at most 1000/],
    [{ set: 'fake', limitQueries: 5001 }, /limitQueries is 5001/],
  ])('refuses %j at once, before queueing', async (request, message) => {
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(3)), variants, { defaultMetrics: {}, clock });
    await expect(service.submit(request)).rejects.toThrow(message);
    await expect(service.submit(request)).rejects.toBeInstanceOf(InvalidInputError);
    expect(service.queueDepth).toEqual({ waiting: 0, running: 0 });
  });

  it('refuses sets and variant lists over the API caps, saying what to pass', async () => {
    const limits = { maxQueries: 10, maxVariants: 1, maxDepth: 100, maxBootstrapSamples: 100, maxPermutationSamples: 200 };
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(20)), variants, { defaultMetrics: {}, clock, apiLimits: limits });
    await expect(service.submit({ set: 'fake', ...fast })).rejects.toThrow(/set "fake" has 20 queries; through the API at most 10 run in one evaluation: pass limitQueries/);
    await expect(service.submit({ set: 'fake', limitQueries: 10, ...fast })).rejects.toThrow(/compares 2 variants; through the API at most 1/);
    await expect(service.submit({ set: 'fake', limitQueries: 10, variants: ['weak', 'strong'], ...fast })).rejects.toThrow(/2 variants are named/);
    const job = await service.submit({ set: 'fake', limitQueries: 10, variants: ['strong'], ...fast });
    expect(job.progress.total).toBe(10);
  });

  it('cancels a job during its statistics and records nothing', async () => {
    let statisticsStarted!: () => void;
    const inStatistics = new Promise<void>((r) => (statisticsStarted = r));
    const store = new MemoryEvaluationRunStore();
    const service = new EvaluationService(store, sets(buildSet(10)), variants, {
      defaultMetrics: {},
      clock,
      statistics: (_task, options) =>
        new Promise((_resolve, reject) => {
          statisticsStarted();
          options?.signal?.addEventListener('abort', () => reject(options.signal!.reason));
        }),
    });
    const job = await service.submit({ set: 'fake', ...fast });
    await inStatistics;
    expect((await service.job(job.id))!.state).toBe('RUNNING');
    expect(await service.cancel(job.id)).toMatchObject({ state: 'CANCELLED' });
    expect(await store.get(job.id)).toBeNull();
    expect((await service.list()).total).toBe(0);
    await expect(service.cancel('ev-20260101T000000Z-abcdef')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers OVERLOADED when the queue is full', async () => {
    const service = new EvaluationService(new MemoryEvaluationRunStore(), sets(buildSet(10)), variants, {
      defaultMetrics: {},
      clock,
      maxQueuedJobs: 1,
      statistics: () => new Promise(() => undefined),
    });
    await service.submit({ set: 'fake', ...fast });
    await service.submit({ set: 'fake', ...fast });
    await expect(service.submit({ set: 'fake', ...fast })).rejects.toMatchObject({ code: 'OVERLOADED' });
  });
});
