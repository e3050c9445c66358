import {
  averagePrecision,
  computeMetric,
  evaluateRun,
  hitAt,
  metricLabel,
  ndcgAt,
  orderByScore,
  parseMetric,
  precisionAt,
  recallAt,
  reciprocalRank,
  scoreQuery,
} from '../../../src/evaluation/metrics';
import { InvalidInputError } from '../../../src/domain/errors';

const judged = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe('metrics on a hand-computed ranking', () => {
  // relevant: d2 (grade 1) at rank 2, d4 (grade 2) at rank 4, d9 (grade 1) never retrieved.
  const ranked = ['d1', 'd2', 'd3', 'd4', 'd5'];
  const j = judged({ d2: 1, d4: 2, d9: 1, d3: 0 });

  it('reciprocal rank is 1 / rank of the first relevant item', () => {
    expect(reciprocalRank(ranked, j)).toBe(1 / 2);
    expect(reciprocalRank(ranked, j, 2)).toBe(1 / 4);
  });

  it('average precision divides by every judged relevant item, retrieved or not', () => {
    expect(averagePrecision(ranked, j)).toBeCloseTo((1 / 2 + 2 / 4) / 3, 15);
    expect(averagePrecision(ranked, j, 2)).toBeCloseTo(1 / 4, 15);
  });

  it('NDCG uses gain 2^rel - 1, log2(rank + 1) discount and the ideal from every judged item', () => {
    const dcg = 1 / Math.log2(3) + 3 / Math.log2(5);
    const idcg = 3 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAt(ranked, j, 5)).toBeCloseTo(dcg / idcg, 15);
    // cut-off 2: only d2 counts; the ideal takes the two best grades
    expect(ndcgAt(ranked, j, 2)).toBeCloseTo((1 / Math.log2(3)) / (3 + 1 / Math.log2(3)), 15);
    expect(ndcgAt(['d4', 'd2', 'd9'], j, 3)).toBeCloseTo(1, 15);
  });

  it('precision@k divides by k even when fewer items are retrieved', () => {
    expect(precisionAt(ranked, j, 5)).toBe(2 / 5);
    expect(precisionAt(ranked, j, 10)).toBe(2 / 10);
    expect(precisionAt(ranked, j, 5, 2)).toBe(1 / 5);
  });

  it('recall@k and hit@k', () => {
    expect(recallAt(ranked, j, 5)).toBe(2 / 3);
    expect(recallAt(ranked, j, 3)).toBe(1 / 3);
    expect(recallAt(ranked, j, 5, 2)).toBe(1);
    expect(hitAt(ranked, j, 1)).toBe(0);
    expect(hitAt(ranked, j, 2)).toBe(1);
    expect(hitAt(ranked, j, 3, 2)).toBe(0);
  });

  it('repeated ids count once, at their first rank', () => {
    expect(averagePrecision(['d2', 'd2', 'd4'], j)).toBeCloseTo((1 + 1) / 3, 15);
    expect(precisionAt(['d2', 'd2'], j, 2)).toBe(1 / 2);
  });
});

describe('edge cases', () => {
  const j = judged({ a: 1 });
  it('an empty run scores 0 on every metric', () => {
    for (const name of ['mrr', 'map', 'ndcg@10', 'p@10', 'r@10', 'hit@10']) {
      expect(computeMetric(parseMetric(name), [], j)).toBe(0);
    }
  });

  it('a query without relevant items is not scored', () => {
    expect(scoreQuery([parseMetric('mrr')], ['x'], judged({ x: 0 }))).toBeNull();
    expect(scoreQuery([parseMetric('mrr')], ['x'], judged({ x: 1 }), 2)).toBeNull();
    expect(scoreQuery([parseMetric('mrr')], ['x'], undefined)).toBeNull();
  });

  it('ties in scores are ordered by document id descending, as trec_eval does', () => {
    expect(
      orderByScore([
        { id: 'a', score: 0.5 },
        { id: 'b', score: 0.9 },
        { id: 'c', score: 0.5 },
        { id: 'd', score: 0.5 },
      ]),
    ).toEqual(['b', 'd', 'c', 'a']);
    // a tie decides the rank of the relevant item
    const order = orderByScore([
      { id: 'rel', score: 1 },
      { id: 'zzz', score: 1 },
    ]);
    expect(reciprocalRank(order, judged({ rel: 1 }))).toBe(1 / 2);
  });

  it('rejects non-finite scores', () => {
    expect(() => orderByScore([{ id: 'a', score: NaN }])).toThrow(InvalidInputError);
  });
});

describe('evaluateRun', () => {
  const qrels = new Map([
    ['q1', judged({ a: 1, b: 1 })],
    ['q2', judged({ c: 2 })],
    ['q3', judged({ d: 0 })],
  ]);
  it('scores every judged query, counts a missing ranking as empty and skips queries without relevant items', () => {
    const run = new Map([
      ['q1', ['a', 'x', 'b']],
      ['q9', ['a']],
    ]);
    const r = evaluateRun([parseMetric('mrr'), parseMetric('map'), parseMetric('r@2')], run, qrels);
    expect(r.skipped).toEqual(['q3']);
    expect(r.queries.map((q) => q.queryId)).toEqual(['q1', 'q2']);
    expect(r.queries[0].values).toEqual({ mrr: 1, map: (1 + 2 / 3) / 2, 'r@2': 1 / 2 });
    expect(r.queries[1].values).toEqual({ mrr: 0, map: 0, 'r@2': 0 });
    expect(r.means.mrr).toBe(0.5);
    expect(r.means.map).toBeCloseTo((1 + 2 / 3) / 4, 15);
  });

  it('means are 0 when no query can be scored', () => {
    const r = evaluateRun([parseMetric('mrr')], new Map(), new Map([['q', judged({})]]));
    expect(r.means.mrr).toBe(0);
    expect(r.skipped).toEqual(['q']);
  });
});

describe('parseMetric', () => {
  it.each([
    ['MRR', { kind: 'mrr' }, 'MRR'],
    ['map', { kind: 'map' }, 'MAP'],
    ['ndcg@10', { kind: 'ndcg', k: 10 }, 'NDCG@10'],
    ['P@50', { kind: 'p', k: 50 }, 'P@50'],
    ['r@1', { kind: 'r', k: 1 }, 'R@1'],
    ['hit@5', { kind: 'hit', k: 5 }, 'Hit@5'],
  ])('%s', (name, spec, label) => {
    expect(parseMetric(name)).toEqual(spec);
    expect(metricLabel(parseMetric(name))).toBe(label);
  });

  it.each(['ndcg', 'p@0', 'mrr@10', 'f1', 'r@-1', 'p@1.5'])('rejects %s with a message saying what to write', (name) => {
    expect(() => parseMetric(name)).toThrow(InvalidInputError);
  });
});
