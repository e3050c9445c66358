import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import type { EvalQuery, JudgementSet, Variant } from '../../../src/evaluation/evaluation-run';
import { decidePromotion } from '../../../src/learning/promotion';

/** 40 queries, each with one relevant product among five; a variant puts it at `rank(i)` (1-based). */
function setAndVariant(name: string, rank: (i: number) => number): { set: JudgementSet; variant: Variant } {
  const queries: EvalQuery[] = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, text: `query ${i}` }));
  const qrels = new Map(queries.map((q) => [q.id, new Map([[`${q.id}-good`, 1]])]));
  const variant: Variant = {
    name,
    models: [{ name, version: '1' }],
    rank: async (q) => {
      const i = Number(q.id.slice(1));
      const others = [1, 2, 3, 4].map((k) => `${q.id}-other${k}`);
      others.splice(rank(i) - 1, 0, `${q.id}-good`);
      return others.map((id, k) => ({ id, score: 10 - k }));
    },
  };
  return { set: { name: 'held-out-clicks', queries, qrels }, variant };
}

async function decide(current: (i: number) => number, candidate: (i: number) => number, force = false) {
  const a = setAndVariant('current', current);
  const b = setAndVariant('candidate', candidate);
  const run = await runEvaluation(a.set, [a.variant, b.variant], { id: 'promotion-test', createdAt: '2026-01-01T00:00:00Z', metrics: ['mrr', 'ndcg@10', 'p@10'], baseline: 'current', permutationSamples: 2000 });
  return decidePromotion(run, { baseline: 'current', candidate: 'candidate', force });
}

describe('decidePromotion', () => {
  it('promotes a candidate that ranks the clicked products higher', async () => {
    const d = await decide(() => 3, () => 1);
    expect(d.promote).toBe(true);
    expect(d.forced).toBe(false);
    expect(d.comparisons.find((c) => c.metric === 'mrr')).toMatchObject({ current: expect.closeTo(1 / 3, 9), candidate: 1, p: expect.any(Number) });
  });

  it('promotes a candidate that is not significantly different', async () => {
    const d = await decide((i) => (i % 2 ? 1 : 2), (i) => (i % 2 ? 2 : 1));
    expect(d.promote).toBe(true);
    expect(d.reasons).toEqual([]);
  });

  it('refuses a significantly worse candidate and names the metrics, unless forced', async () => {
    const d = await decide(() => 1, () => 4);
    expect(d.promote).toBe(false);
    expect(d.reasons.join('; ')).toMatch(/^mrr 0\.2500 < 1\.0000 \(p = 0\.\d+ < 0\.05\); ndcg@10/);
    const forced = await decide(() => 1, () => 4, true);
    expect(forced).toMatchObject({ promote: true, forced: true });
  });
});
