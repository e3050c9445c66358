/**
 * Cross-checks the metrics against an independent Python implementation of the same definitions
 * (test/fixtures/eval/independent_metrics.py) on the same TREC run and qrels files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateRun, parseMetric } from '../../../src/evaluation/metrics';
import { seededRandom } from '../../../src/evaluation/statistics';
import { formatQrels, formatRun, parseQrels, parseRun } from '../../../src/evaluation/trec-format';

const SCRIPT = join(__dirname, '../../fixtures/eval/independent_metrics.py');
const METRICS = ['mrr', 'map', 'ndcg@5', 'ndcg@10', 'ndcg@100', 'p@1', 'p@10', 'p@50', 'r@10', 'r@50', 'hit@1', 'hit@10'];

/** Random graded qrels and runs with tied scores, repeated documents, empty and missing rankings. */
function randomFiles(seed: number): { qrels: string; run: string } {
  const r = seededRandom(seed);
  const qrels = new Map<string, Map<string, number>>();
  const run = new Map<string, { id: string; score: number }[]>();
  for (let q = 0; q < 80; q++) {
    const qid = `q${q}`;
    const judged = new Map<string, number>();
    const nJudged = Math.floor(r() * 25);
    for (let j = 0; j < nJudged; j++) judged.set(`d${Math.floor(r() * 120)}`, Math.floor(r() * 3));
    if (judged.size === 0) judged.set('d0', 0);
    qrels.set(qid, judged);
    if (q % 17 === 5) continue; // missing from the run
    const docs: { id: string; score: number }[] = [];
    const n = q % 13 === 0 ? 0 : Math.floor(r() * 120);
    for (let i = 0; i < n; i++) docs.push({ id: `d${Math.floor(r() * 120)}`, score: Math.round(r() * 20) / 20 });
    run.set(qid, docs);
  }
  return { qrels: formatQrels(qrels), run: formatRun(run, 'random') };
}

describe('agreement with the independent implementation', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eval-independent-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
  ])('seed %i, threshold %i: every per-query value agrees to 1e-9', (seed, threshold) => {
    const { qrels, run } = randomFiles(seed);
    const qrelsPath = join(dir, `qrels-${seed}.txt`);
    const runPath = join(dir, `run-${seed}.txt`);
    writeFileSync(qrelsPath, qrels);
    writeFileSync(runPath, run);
    const python = JSON.parse(
      execFileSync('/usr/bin/python3', [SCRIPT, qrelsPath, runPath, '--metrics', METRICS.join(','), '--threshold', String(threshold)], {
        encoding: 'utf8',
      }),
    ) as { queries: Record<string, Record<string, number>>; means: Record<string, number>; skipped: string[] };
    const ours = evaluateRun(METRICS.map(parseMetric), parseRun(run).ranked, parseQrels(qrels), threshold);
    expect(ours.skipped).toEqual(python.skipped);
    expect(ours.queries.map((q) => q.queryId)).toEqual(Object.keys(python.queries));
    expect(ours.queries.length).toBeGreaterThan(40);
    let compared = 0;
    for (const q of ours.queries) {
      for (const m of METRICS) {
        expect(Math.abs(q.values[m] - python.queries[q.queryId][m])).toBeLessThanOrEqual(1e-9);
        compared++;
      }
    }
    for (const m of METRICS) expect(Math.abs(ours.means[m] - python.means[m])).toBeLessThanOrEqual(1e-9);
    expect(compared).toBe(ours.queries.length * METRICS.length);
  });
});
