/**
 * The learning loop end to end, through the public API (src/cli/learn-demo.ts with fewer shoppers):
 * the server on the demo catalogue and the real models; simulated shoppers search with made-up
 * words no model has seen and click what they mean; a candidate is fine-tuned from the recorded
 * log (Python, CPU), promoted on held-out sessions, and swapped in with reloadModels while other
 * clients search; the same queries then find what the shoppers meant.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runLearningDemo, type LearningReport } from '../../../src/cli/learn-demo';

jest.setTimeout(900_000);

describe('learning from recorded traffic', () => {
  let work: string;
  let report: LearningReport;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'learning-loop-'));
    report = await runLearningDemo({ visits: 2500, maxSearches: 20000, seed: 11, work, tables: false, writeReadme: false, newShare: 0.7 });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('trains a candidate from the recorded searches, clicks and query chains', () => {
    expect(report.searches).toBeGreaterThan(2500);
    expect(report.training.counts.chainedTriplets).toBeGreaterThan(0);
    expect(report.training.counts.heldOutSessions).toBeGreaterThan(0);
  });

  it('promotes it on held-out sessions and stores the evaluation run where the server lists runs', () => {
    expect(report.promotion.decision.promote).toBe(true);
    expect(report.promotion.decision.forced).toBe(false);
    expect(readdirSync(path.join(work, 'data', 'evaluations'))).toContain(`${report.promotion.run}.json`);
    expect(existsSync(path.join(work, 'candidate', 'promotion-report.html'))).toBe(true);
  });

  it('swaps it in under concurrent searches with no failed request', () => {
    expect(report.reload.changed).toBe(true);
    expect(report.reload.failed).toBe(0);
    expect(report.reload.concurrentSearches).toBeGreaterThan(0);
  });

  it('finds what the new words mean afterwards, and ordinary searches stay as good', () => {
    expect(report.heldOut.before.newWords.p10).toBeLessThan(0.1);
    expect(report.heldOut.after.newWords.p10).toBeGreaterThan(0.7);
    expect(report.heldOut.after.ordinary.p10).toBeGreaterThanOrEqual(report.heldOut.before.ordinary.p10 - 0.05);
  });
});
