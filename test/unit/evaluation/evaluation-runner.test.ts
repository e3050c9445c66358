import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import { InvalidInputError } from '../../../src/domain/errors';
import { buildSet, buildVariant } from './fakes';

const options = { id: 'ev-test', createdAt: '2026-01-01T00:00:00.000Z', metrics: ['mrr', 'ndcg@10', 'r@10'], bootstrapSamples: 300, permutationSamples: 1000 };

describe('runEvaluation', () => {
  it('lets the event loop run while ranking, even when every ranking completes synchronously', async () => {
    const fast = buildVariant('sync', 0.5, 1);
    const busy = { ...fast, rank: (q: Parameters<typeof fast.rank>[0], depth: number) => {
      const until = performance.now() + 1;
      while (performance.now() < until);
      return fast.rank(q, depth);
    } };
    let done = 0;
    let doneWhenTimerRan = -1;
    setTimeout(() => (doneWhenTimerRan = done), 0);
    await runEvaluation(buildSet(200), [busy], { ...options, onProgress: (e) => (done = e.done) });
    expect(doneWhenTimerRan).toBeGreaterThanOrEqual(0);
    expect(doneWhenTimerRan).toBeLessThan(100);
  });

  it('stops between queries when aborted, rejecting with the reason', async () => {
    const controller = new AbortController();
    let ranked = 0;
    const variant = buildVariant('v', 0.5, 1);
    const counting = { ...variant, rank: async (q: Parameters<typeof variant.rank>[0], depth: number) => {
      if (++ranked === 5) controller.abort(new Error('stop'));
      return variant.rank(q, depth);
    } };
    await expect(runEvaluation(buildSet(100), [counting], { ...options, concurrency: 1, signal: controller.signal })).rejects.toThrow('stop');
    expect(ranked).toBe(5);
  });

  it('scores every variant, with intervals, paired tests, segments and per-query rows', async () => {
    const set = buildSet(60);
    const progress: number[] = [];
    const run = await runEvaluation(set, [buildVariant('weak', 0.2, 1), buildVariant('strong', 0.9, 2)], {
      ...options,
      onProgress: (e) => progress.push(e.done),
    });
    expect(run.variants.map((v) => v.name)).toEqual(['weak', 'strong']);
    expect(run.queries).toHaveLength(120);
    expect(run.set).toEqual({ name: 'fake', queries: 60, scoredQueries: 60, dataHash: 'sha256:test' });
    expect(run.models).toEqual([{ name: 'strong', version: '1.0.0' }, { name: 'weak', version: '1.0.0' }]);
    expect(progress.at(-1)).toBe(60);
    for (const v of run.variants) {
      for (const a of v.aggregates) {
        const rows = run.queries.filter((q) => q.variant === v.name).map((q) => q.values[a.metric]);
        expect(a.mean).toBeCloseTo(rows.reduce((s, x) => s + x, 0) / rows.length, 12);
        expect(a.lower).toBeLessThanOrEqual(a.mean);
        expect(a.upper).toBeGreaterThanOrEqual(a.mean);
      }
      expect(v.segments[0]).toMatchObject({ segment: 'even', queries: 30 });
    }
    const mrr = run.comparisons.find((c) => c.metric === 'mrr')!;
    expect(mrr).toMatchObject({ baseline: 'weak', variant: 'strong', queries: 60 });
    expect(mrr.meanDifference).toBeGreaterThan(0.3);
    expect(mrr.permutationP).toBeLessThan(0.01);
    expect(mrr.relativeGain).toBeCloseTo((mrr.variantMean - mrr.baselineMean) / mrr.baselineMean, 12);
    expect(run.rankings.strong.q0).toHaveLength(100);
  });

  it("records the catalogue's source, data hash and the split the set was judged on", async () => {
    const variants = [buildVariant('a', 0.5, 1)];
    const validation = await runEvaluation({ ...buildSet(4), split: 'validation' }, variants, { ...options, catalogSource: 'data/validation' });
    expect(validation.catalog).toEqual({ source: 'data/validation', dataHash: 'sha256:test', split: 'validation' });
    expect((await runEvaluation(buildSet(4), variants, options)).catalog).toEqual({ source: null, dataHash: 'sha256:test', split: null });
  });

  it('is reproducible with the same seed', async () => {
    const set = buildSet(30);
    const variants = [buildVariant('a', 0.5, 1), buildVariant('b', 0.6, 2)];
    const one = await runEvaluation(set, variants, options);
    const two = await runEvaluation(set, variants, options);
    expect(two).toEqual(one);
  });

  it('identical variants compare with p = 1', async () => {
    const run = await runEvaluation(buildSet(20), [buildVariant('a', 0.5, 1), buildVariant('b', 0.5, 1)], options);
    for (const c of run.comparisons) {
      expect(c.meanDifference).toBe(0);
      expect(c.permutationP).toBe(1);
      expect(c.tTestP).toBe(1);
    }
  });

  it('leaves queries without relevant judgements out and reports them', async () => {
    const set = buildSet(10);
    (set.qrels as Map<string, Map<string, number>>).set('q3', new Map([['t3', 0]]));
    const run = await runEvaluation(set, [buildVariant('a', 0.5, 1)], options);
    expect(run.skippedQueries).toEqual(['q3']);
    expect(run.set.scoredQueries).toBe(9);
    expect(run.queries.map((q) => q.queryId)).not.toContain('q3');
  });

  it('orders tied scores as trec_eval and cuts at depth', async () => {
    const set = buildSet(2);
    const tied = {
      name: 'tied',
      models: [],
      rank: async () => [
        { id: 'a', score: 1 },
        { id: 'z', score: 1 },
        { id: 'm', score: 2 },
      ],
    };
    const run = await runEvaluation(set, [tied], { ...options, metrics: ['mrr'], depth: 2 });
    expect(run.rankings.tied.q0.map((d) => d.id)).toEqual(['m', 'z']);
  });

  it.each([
    [{ metrics: [] }, /at least one metric/],
    [{ metrics: ['mrr', 'MRR'] }, /listed twice/],
    [{ metrics: ['r@50'], depth: 10 }, /below the largest metric cut-off/],
    [{ threshold: 0 }, /threshold/],
    [{ baseline: 'nope' }, /baseline "nope"/],
  ])('rejects bad settings %p', async (override, message) => {
    await expect(runEvaluation(buildSet(3), [buildVariant('a', 0.5, 1)], { ...options, ...override })).rejects.toThrow(message);
    await expect(runEvaluation(buildSet(3), [buildVariant('a', 0.5, 1)], { ...options, ...override })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('rejects variant names that cannot tag a TREC run', async () => {
    await expect(runEvaluation(buildSet(3), [buildVariant('two words', 0.5, 1)], options)).rejects.toThrow(/variant name "two words"/);
  });

  it('rejects duplicate variants', async () => {
    await expect(runEvaluation(buildSet(3), [buildVariant('a', 0.5, 1), buildVariant('a', 0.5, 1)], options)).rejects.toThrow(/listed twice/);
  });
});
