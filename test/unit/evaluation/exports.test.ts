import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import {
  aggregatesCsv,
  comparisonsCsv,
  exportFiles,
  exportRun,
  parseAggregatesCsv,
  parseComparisonsCsv,
  parseCsv,
  parseJsonLines,
  parseQueriesCsv,
  queriesCsv,
  toCsv,
  toJsonLines,
  trecQrels,
  trecRun,
} from '../../../src/evaluation/exports';
import { evaluateRun, parseMetric } from '../../../src/evaluation/metrics';
import { formatQrels, formatRun, parseQrels, parseRun } from '../../../src/evaluation/trec-format';
import type { EvaluationRun } from '../../../src/evaluation/evaluation-run';
import { buildSet, buildVariant } from './fakes';

let run: EvaluationRun;
beforeAll(async () => {
  run = await runEvaluation(buildSet(40), [buildVariant('base', 0.3, 1), buildVariant('new-model', 0.7, 2)], {
    id: 'ev-export',
    createdAt: '2026-01-01T00:00:00.000Z',
    metrics: ['mrr', 'map', 'ndcg@10', 'p@5', 'r@20'],
    bootstrapSamples: 200,
    permutationSamples: 500,
  });
});

describe('CSV', () => {
  it('quotes fields with commas, quotes and newlines and parses them back', () => {
    const rows = [['a,b', 'say "hi"', 'two\nlines', ' pad ', 1.5e-7, '']];
    expect(parseCsv(toCsv(['x', 'y', 'z', 'w', 'n', 'e'], rows))).toEqual([['x', 'y', 'z', 'w', 'n', 'e'], ['a,b', 'say "hi"', 'two\nlines', ' pad ', '1.5e-7', '']]);
  });

  it('per-query rows round-trip to the same numbers', () => {
    expect(parseQueriesCsv(queriesCsv(run))).toEqual(run.queries);
  });

  it('aggregates round-trip to the same numbers', () => {
    const parsed = parseAggregatesCsv(aggregatesCsv(run));
    for (const v of run.variants) {
      expect(parsed.filter((p) => p.variant === v.name && p.segment === null).map((p) => p.aggregate)).toEqual(v.aggregates);
      expect(parsed.filter((p) => p.variant === v.name && p.segment === 'even').map((p) => p.aggregate)).toEqual(v.segments[0].aggregates);
    }
  });

  it('comparisons round-trip to the same numbers', () => {
    expect(parseComparisonsCsv(comparisonsCsv(run))).toEqual(run.comparisons);
  });
});

describe('JSON Lines', () => {
  it('the whole run round-trips', () => {
    const back = parseJsonLines(toJsonLines(run));
    expect(back).toEqual(JSON.parse(JSON.stringify(run)));
  });

  it('rejects records before the header and unknown types', () => {
    expect(() => parseJsonLines('{"type":"query"}\n')).toThrow(/before the "run" header/);
    expect(() => parseJsonLines('not json\n')).toThrow(/line 1/);
  });
});

describe('TREC files', () => {
  it('a run file and the qrels file re-evaluate to the same per-query numbers', () => {
    const qrels = parseQrels(trecQrels(run));
    const specs = run.settings.metrics.map(parseMetric);
    for (const v of run.variants) {
      const parsed = parseRun(trecRun(run, v.name));
      expect([...parsed.tags]).toEqual([v.name]);
      const again = evaluateRun(specs, parsed.ranked, qrels, run.settings.threshold);
      const rows = run.queries.filter((q) => q.variant === v.name);
      expect(again.queries.map((q) => q.values)).toEqual(rows.map((q) => q.values));
      for (const [qid, docs] of parsed.scored) expect(docs).toEqual(run.rankings[v.name][qid]);
    }
  });

  it('run tags and ids with whitespace are refused with a message', () => {
    expect(() => formatRun(new Map([['q', [{ id: 'a', score: 1 }]]]), 'new model')).toThrow(/without whitespace/);
    expect(() => formatQrels(new Map([['q 1', new Map([['a', 1]])]]))).toThrow(/without whitespace/);
    expect(() => exportRun(run, 'trec-run')).toThrow(/name one of base, new-model/);
    expect(() => trecRun(run, 'missing')).toThrow(/no variant "missing"/);
  });

  it('qrels and run parsing report the offending line', () => {
    expect(() => parseQrels('q1 0 d1\n')).toThrow(/line 1/);
    expect(() => parseQrels('q1 0 d1 x\n')).toThrow(/not an integer/);
    expect(() => parseRun('q1 Q0 d1 1 abc tag\n')).toThrow(/not a number/);
    expect(() => parseQrels('\n# only a comment\n')).toThrow(/no judgement/);
  });

  it('format and parse are inverse on scores', () => {
    const docs = [
      { id: 'a', score: 0.1 + 0.2 },
      { id: 'b', score: 1e-7 },
      { id: 'c', score: -0.5 },
    ];
    expect(parseRun(formatRun(new Map([['q', docs]]), 'tag')).scored.get('q')).toEqual(docs);
    const q = new Map([['q', new Map([['a', 2], ['b', 0]])]]);
    expect(parseQrels(formatQrels(q))).toEqual(q);
  });
});

describe('export files', () => {
  it('names one TREC run per variant with safe file names', () => {
    expect(exportFiles(run).map((f) => f.file)).toEqual(['queries.csv', 'aggregates.csv', 'comparisons.csv', 'run.jsonl', 'qrels.txt', 'base.run', 'new-model.run']);
  });
});
