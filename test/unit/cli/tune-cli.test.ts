import * as path from 'node:path';
import { OBJECTIVE_SEGMENTS, parseTuneArgs, requireValidationCatalogue, runTune, tuningGrid, tuningRows, tuningTable, UsageError } from '../../../src/cli/tune';
import type { EvaluationRun } from '../../../src/evaluation/evaluation-run';
import { DEFAULT_UNDERSTANDING_POLICY } from '../../../src/search/understood-conditions';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('npm run tune', () => {
  it('reads its arguments and refuses unknown sets and options', () => {
    expect(parseTuneArgs([])).toMatchObject({ catalogDir: 'data/validation', sets: ['text', 'composed-meaning'] });
    expect(parseTuneArgs(['--set', 'text', '--limit', '5']).sets).toEqual(['text']);
    expect(() => parseTuneArgs(['--set', 'realshot'])).toThrow(UsageError);
    expect(() => parseTuneArgs(['--split', 'test'])).toThrow(/unknown option "--split"/);
    expect(() => parseTuneArgs(['--limit', '0'])).toThrow(/--limit needs an integer >= 1/);
  });

  it('never tunes on the test split: a catalogue without validation products is refused before anything is read', async () => {
    // the committed demo catalogue holds the test split only
    await expect(requireValidationCatalogue(path.join(ROOT, 'seed', 'demo'))).rejects.toThrow(/holds no validation products.*npm run seed:validation/);
    await expect(runTune(parseTuneArgs(['--catalog', path.join(ROOT, 'seed', 'demo')]))).rejects.toThrow(/validation split only/);
  });

  it('compares the defaults with one setting changed at a time', () => {
    const grid = tuningGrid({ policy: DEFAULT_UNDERSTANDING_POLICY, rerankWeight: 1 });
    expect(grid[0]).toEqual({ name: 'defaults', description: 'the configured defaults', overrides: {} });
    expect(new Set(grid.map((c) => c.name)).size).toBe(grid.length);
    const restrict = grid.find((c) => c.name === 'restrict-0.5')!;
    expect(restrict.overrides.understanding).toEqual({ ...DEFAULT_UNDERSTANDING_POLICY, restrictConfidence: 0.5 });
    expect(grid.find((c) => c.name === 'no-understanding')!.overrides).toEqual({ understand: false });
  });

  it('ranks configurations by the mean P@10 over the colour+category and held-out segments', () => {
    const variant = (name: string, p10: number) => ({
      name,
      description: '',
      models: [],
      aggregates: [{ metric: 'ndcg@10', mean: p10 / 2, lower: 0, upper: 1, level: 0.95 }],
      segments: OBJECTIVE_SEGMENTS.map((s, i) => ({ segment: s.segment, queries: 10, aggregates: [{ metric: 'p@10', mean: i === 0 ? 1 : p10, lower: 0, upper: 1, level: 0.95 }] })),
    });
    const run = { variants: [variant('defaults', 0.5), variant('better', 0.8)] } as unknown as EvaluationRun;
    const rows = tuningRows([{ name: 'defaults', description: 'd', overrides: {} }, { name: 'better', description: 'b', overrides: {} }], run, null);
    expect(rows.map((r) => r.configuration)).toEqual(['better', 'defaults']);
    const n = OBJECTIVE_SEGMENTS.length;
    expect(rows[0].objective).toBeCloseTo((1 + 0.8 * (n - 1)) / n, 10);
    const table = tuningTable(rows);
    expect(table.split('\n')[0]).toContain('| Configuration | Objective | ndcg@10 |');
    expect(table).toContain('| better |');

    // with the composed set, its P@10 by meaning weighs as much as the text objective
    const composed = (name: string, p10: number) => ({ name, aggregates: [{ metric: 'p@10', mean: p10, lower: 0, upper: 1, level: 0.95 }], segments: [] });
    const composedRun = { variants: [composed('defaults', 0.9), composed('better', 0.1)] } as unknown as EvaluationRun;
    const both = tuningRows([{ name: 'defaults', description: 'd', overrides: {} }, { name: 'better', description: 'b', overrides: {} }], run, composedRun);
    expect(both.map((r) => r.configuration)).toEqual(['defaults', 'better']);
    expect(both[0].objective).toBeCloseTo(((1 + 0.5 * (n - 1)) / n + 0.9) / 2, 10);
    expect(both[0].values['composed P@10 by meaning']).toBe(0.9);
  });
});
