/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 *
 * The eval command end to end on a smoke catalogue from the seed generator, with the small ONNX
 * models of test/fixtures/tiny-manifest: gallery ingest (and its reuse), every set, exports that
 * parse back to the recorded numbers, the HTML report and the models README tables.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseEvalArgs, runEvalCommand } from '../../../src/cli/eval';
import { FileEvaluationRunStore } from '../../../src/evaluation/evaluation-run.store';
import { parseJsonLines, parseQueriesCsv } from '../../../src/evaluation/exports';
import { evaluateRun, parseMetric } from '../../../src/evaluation/metrics';
import { METRICS_END, METRICS_START } from '../../../src/evaluation/models-readme';
import { parseQrels, parseRun } from '../../../src/evaluation/trec-format';

const ROOT = path.resolve(__dirname, '../../..');
const quiet = () => {
  const log = new PassThrough();
  const out = new PassThrough();
  const text = { log: '', out: '' };
  log.on('data', (c) => (text.log += c));
  out.on('data', (c) => (text.out += c));
  return { io: { log, out }, text };
};
jest.setTimeout(300_000);

describe('npm run eval (tiny models, smoke catalogue)', () => {
  let dir: string;
  const argv = (extra: string[] = []) => [
    '--catalog', path.join(dir, 'catalog'),
    '--models', path.join(ROOT, 'test/fixtures/tiny-manifest'),
    '--data', path.join(dir, 'data'),
    '--runs', path.join(dir, 'runs'),
    '--out', path.join(dir, 'out'),
    '--bootstrap', '100',
    '--permutations', '200',
    ...extra,
  ];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eval-cli-'));
    execFileSync('/usr/bin/python3', ['-m', 'seed.generator', '--profile', 'smoke', '--out', path.join(dir, 'catalog')], { cwd: ROOT, stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every set, records the runs and writes exports, report and README tables', async () => {
    const readme = path.join(dir, 'README.md');
    writeFileSync(readme, `# Models\n\n${METRICS_START}\nstale\n${METRICS_END}\n\n## Training\n`);
    const args = argv(['--set', 'all', '--write-models-readme', '--readme', readme]);
    const { io, text: printed } = quiet();
    const result = await runEvalCommand(parseEvalArgs(args), args, io);
    const { runs, gallery } = result;
    expect(gallery).toMatchObject({ products: 200, reused: false });
    expect(printed.log).toContain('100% gallery 200/200');
    expect(printed.out).toMatch(/text: \d+ queries \(run ev-/);
    expect(runs.map((r) => r.set.name)).toEqual(['text', 'image', 'composed', 'composed-meaning', 'realshot', 'realshot-indist', 'outfits', 'index']);
    const byName = Object.fromEntries(runs.map((r) => [r.set.name, r]));
    expect(byName.text.variants.map((v) => v.name)).toEqual(['fashion-text-gru', 'fashion-text']);
    expect(byName.composed.variants.map((v) => v.name)).toEqual(['image-only', 'text-only', 'sum', 'fusion']);
    expect(byName['composed-meaning'].variants.map((v) => v.name)).toEqual(['image-only', 'text-only', 'sum', 'fusion']);
    expect(byName['realshot-indist'].variants.map((v) => v.name)).toEqual(['fashion-image']);
    // the smoke catalogue's test split has held-out text queries and cross-style composed requests
    const segments = (run: (typeof runs)[number]) => Object.fromEntries(run.variants[0].segments.map((s) => [s.segment, s.queries]));
    expect(segments(byName.text)['held-out']).toBeGreaterThan(0);
    expect(segments(byName.text)['unseen colour word']).toBeGreaterThan(0);
    expect(segments(byName.composed)['cross-style']).toBeGreaterThan(0);
    expect(segments(byName['composed-meaning'])['two changes']).toBeGreaterThan(0);
    // judged by meaning, a composed request has at least as many relevant products as exact targets
    for (const [qid, judged] of Object.entries(byName.composed.qrels)) {
      expect(Object.keys(byName['composed-meaning'].qrels[qid]).length).toBeGreaterThanOrEqual(Object.keys(judged).length);
    }
    const manifest = JSON.parse(readFileSync(path.join(dir, 'catalog', 'manifest.json'), 'utf8'));
    for (const run of runs) {
      expect(run.set.scoredQueries).toBeGreaterThan(0);
      expect(run.catalog.split).toBe('test');
      expect(run.catalog.dataHash).toBe(`sha256:${String(manifest.dataHash.test).replace(/^sha256:/, '')}`);
      expect(run.models.length).toBeGreaterThan(0);
      for (const v of run.variants) {
        for (const a of v.aggregates) {
          expect(a.mean).toBeGreaterThanOrEqual(0);
          expect(a.mean).toBeLessThanOrEqual(1);
          expect(a.lower).toBeLessThanOrEqual(a.mean);
          expect(a.upper).toBeGreaterThanOrEqual(a.mean);
        }
      }
    }
    // exact search is its own judge: recall 1; the approximate index answers the same on 200 products
    expect(byName.index.variants.find((v) => v.name === 'exact')!.aggregates[0].mean).toBe(1);
    // the fill-in-the-blank random baseline ranks 4 candidates
    expect(byName.outfits.queries.every((q) => q.retrieved === 4)).toBe(true);
    // image queries never retrieve themselves
    for (const [qid, docs] of Object.entries(byName.image.rankings['fashion-image'])) expect(docs.map((d) => d.id)).not.toContain(qid.replace(/^iq-/, ''));

    // exports parse back to the recorded numbers; the TREC files re-evaluate to the same values
    const text = byName.text;
    const out = path.join(dir, 'out', 'text');
    expect(parseQueriesCsv(readFileSync(path.join(out, 'queries.csv'), 'utf8'))).toEqual(text.queries);
    expect(parseJsonLines(readFileSync(path.join(out, 'run.jsonl'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(text)));
    const qrels = parseQrels(readFileSync(path.join(out, 'qrels.txt'), 'utf8'));
    for (const v of text.variants) {
      const trec = parseRun(readFileSync(path.join(out, `${v.name}.run`), 'utf8'));
      const again = evaluateRun(text.settings.metrics.map(parseMetric), trec.ranked, qrels, text.settings.threshold);
      expect(again.queries.map((q) => q.values)).toEqual(text.queries.filter((q) => q.variant === v.name).map((q) => q.values));
    }

    const html = readFileSync(path.join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link/);

    const md = readFileSync(readme, 'utf8');
    expect(md).not.toContain('stale');
    expect(md).toContain('## Training');
    expect(md).toContain('| Variant | MRR | MAP | NDCG@10 | P@50 | R@50 | P@10 (colour+category) |');
    expect(md).toContain('Relative gain of fashion-text over fashion-text-gru');
    expect(md).toContain('| Variant | seen vocabulary | unseen vocabulary | literal | unseen colour | unseen category | unseen both | one typo per word | in a sentence | exclusion | price |');
    expect(md).toContain('| Requests | Queries | Distribution | sum | fusion |');
    expect(md).toContain('| Variant | all | colour | shade | pattern | material | two changes |');
    expect(md).toMatch(/\| held-out family \| \d+ \| fashion-image \|/);
    expect(md).toMatch(/\| in-distribution family \| \d+ \| fashion-image \|/);
    expect(md).toContain('Recall of HNSW top-10 vs exact top-10');
    expect(md).toContain('Judged on the test split of the catalogue.');

    // the search service ran the text, composed and real-shot sets as separate runs, exported beside the towers'
    const { serviceRuns } = result;
    expect(serviceRuns.map((r) => [r.set.name, r.variants.map((v) => v.name)])).toEqual([
      ['text', ['search-lexical-only', 'search-no-understanding', 'search-no-rerank', 'search']],
      ['composed', ['search-no-understanding', 'search']],
      ['composed-meaning', ['search-no-understanding', 'search']],
      ['realshot', ['search']],
      ['realshot-indist', ['search']],
    ]);
    for (const run of serviceRuns) {
      expect(run.set.scoredQueries).toBe(byName[run.set.name].set.scoredQueries);
      for (const v of run.variants) expect(v.aggregates.every((a) => a.mean >= 0 && a.mean <= 1)).toBe(true);
      expect(existsSync(path.join(dir, 'out', `${run.set.name}-search`, 'search.run'))).toBe(true);
    }
    // every composed and real-shot query got a ranking from the service
    for (const run of serviceRuns.slice(1)) {
      const rankings = Object.values(run.rankings.search);
      expect(rankings).toHaveLength(run.set.queries);
      expect(rankings.every((docs) => docs.length > 0)).toBe(true);
    }
    expect(md).toContain('### Search service');
    expect(md).toContain('| Requests | Queries | Distribution | search-no-understanding | search |');

    const listed = await new FileEvaluationRunStore(path.join(dir, 'runs')).list({ limit: 20, offset: 0 });
    expect(listed.total).toBe(13);
    expect(listed.items.every((r) => r.catalog.split === 'test')).toBe(true);
  });

  it('evaluates the validation split on its own products and records the split', async () => {
    const readme = path.join(dir, 'README-validation.md');
    writeFileSync(readme, `# Models\n\n${METRICS_START}\ntest tables\n${METRICS_END}\n`);
    const args = argv(['--split', 'validation', '--set', 'composed-meaning,realshot-indist', '--write-models-readme', '--readme', readme]);
    const { runs, serviceRuns, gallery } = await runEvalCommand(parseEvalArgs(args), args, quiet().io);
    expect(gallery).toMatchObject({ products: 200, reused: false });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'catalog', 'manifest.json'), 'utf8'));
    expect(runs.map((r) => r.set.name)).toEqual(['composed-meaning', 'realshot-indist']);
    for (const run of [...runs, ...serviceRuns]) {
      expect(run.catalog).toMatchObject({ split: 'validation', dataHash: `sha256:${String(manifest.dataHash.validation).replace(/^sha256:/, '')}` });
      for (const id of Object.keys(run.qrels)) expect(id).toMatch(/-validation-/);
      for (const docs of Object.values(run.rankings[run.variants[0].name])) for (const d of docs) expect(d.id).toMatch(/^p-validation-/);
    }
    const md = readFileSync(readme, 'utf8');
    // the validation tables go to their own section; the test tables stay
    expect(md).toContain(`${METRICS_START}\ntest tables\n${METRICS_END}`);
    expect(md).toContain('<!-- metrics-validation:start -->');
    expect(md).toContain('Judged on the validation split of the catalogue.');
    expect(md).toMatch(/\| in-distribution family \| \d+ \| fashion-image \|/);
  });

  it('reuses the ingested gallery on a second run', async () => {
    const args = argv(['--set', 'realshot']);
    const { gallery, runs } = await runEvalCommand(parseEvalArgs(args), args, quiet().io);
    expect(gallery.reused).toBe(true);
    expect(runs[0].set.name).toBe('realshot');
    expect(existsSync(path.join(dir, 'out', 'realshot', 'fashion-image.run'))).toBe(true);
  });
});
