/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 *
 * Evaluation end to end through GraphQL: the application of src/main.ts with the trained models
 * (models/manifest.json) on the demo catalogue (seed/demo). Both must exist: this suite fails,
 * rather than skips, without them. `evaluate` queues a background job; the helper below waits for
 * it and reads the recorded run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKeyStore } from '../../../src/auth/api-key.store';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { parseQueriesCsv } from '../../../src/evaluation/exports';
import { evaluateRun, parseMetric } from '../../../src/evaluation/metrics';
import { parseQrels, parseRun } from '../../../src/evaluation/trec-format';
import { startApplication, type Application } from '../../../src/main';

const ROOT = path.resolve(__dirname, '../../..');
const MODELS = path.join(ROOT, 'models');
const CATALOG = path.join(ROOT, 'seed/demo');
jest.setTimeout(600_000);

/** An analyst key: evaluations and analytics need one. */
let analystKey = '';

function gql(app: Application, query: string, variables: Record<string, unknown> = {}) {
  return new Promise<{ data?: any; errors?: any[] }>((resolve, reject) => {
    const req = request(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${analystKey}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query, variables }));
  });
}

/** Queues an evaluation, waits for its job to succeed and answers its run's `fields` (as `{ data: { evaluate } }`). */
async function evaluateAndWait(app: Application, input: Record<string, unknown>, fields: string): Promise<{ data?: any; errors?: any[] }> {
  const queued = await gql(app, `mutation($i: EvaluateInput!) { evaluate(input: $i) { id state } }`, { i: input });
  if (queued.errors) return queued;
  const id = queued.data.evaluate.id;
  for (;;) {
    const polled = await gql(app, `query($id: ID!) { evaluationJob(id: $id) { state error { message code } } }`, { id });
    const job = polled.data.evaluationJob;
    if (job.state === 'SUCCEEDED') break;
    if (job.state !== 'QUEUED' && job.state !== 'RUNNING') throw new Error(`evaluation job ${id} ended ${job.state}: ${JSON.stringify(job.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const run = await gql(app, `query($id: ID!) { evaluationRun(id: $id) { ${fields} } }`, { id });
  return { data: run.data && { evaluate: run.data.evaluationRun }, errors: run.errors };
}

const RUN_FIELDS = `
  id createdAt set queryCount scoredQueryCount skippedQueries dataHash catalogSource
  models { name version }
  settings { metrics relevanceThreshold depth bootstrapSamples permutationSamples confidenceLevel seed }
  variants { name description models { name version } metrics { metric mean lower upper level } segments { name queryCount metrics { metric mean } } }
  comparisons { baseline variant metric baselineMean variantMean meanDifference relativeGain differenceLower differenceUpper permutationPValue tTestPValue t degreesOfFreedom queryCount }
  queryResults { variant queries { queryId retrieved relevant metrics { metric value } } }
`;

describe('evaluate through GraphQL (trained models, demo catalogue)', () => {
  let dir: string;
  let app: Application;
  let manifest: { models: { name: string; version: string; role: string }[] };

  beforeAll(async () => {
    for (const [file, fix] of [
      [path.join(MODELS, 'manifest.json'), 'train and export the models (training/, see models/README.md)'],
      [path.join(CATALOG, 'products.jsonl'), 'generate the demo catalogue (npm run seed:demo)'],
      [path.join(CATALOG, 'queries', 'text-test.qrels'), 'generate the demo catalogue (npm run seed:demo)'],
    ]) {
      if (!existsSync(file)) throw new Error(`${file} is missing: ${fix}`);
    }
    manifest = JSON.parse(readFileSync(path.join(MODELS, 'manifest.json'), 'utf8'));
    dir = mkdtempSync(path.join(tmpdir(), 'eval-graphql-'));
    const config = loadConfig({ PORT: '0', DATA_DIR: path.join(dir, 'data'), CATALOG_DIR: CATALOG, MODELS_DIR: MODELS, LOG_LEVEL: 'silent' });
    app = await startApplication(config, createLogger('silent'));
    const keys = new ApiKeyStore(ApiKeyStore.fileIn(path.join(dir, 'data')));
    analystKey = keys.create({ roles: ['analyst'] }).key;
    keys.close();
    await app.ready;
  });

  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compares the text towers with intervals, paired tests and per-query rows, recording model versions and data hash', async () => {
    const r = await evaluateAndWait(app, { set: 'text', limitQueries: 60, bootstrapSamples: 300, permutationSamples: 1000, seed: 7 }, RUN_FIELDS);
    expect(r.errors).toBeUndefined();
    const run = r.data.evaluate;
    const textModels = manifest.models.filter((m) => m.role === 'text').map((m) => m.name);
    expect(run.variants.map((v: any) => v.name).sort()).toEqual([...textModels].sort());
    expect(run.variants.at(-1).name).toBe('fashion-text');
    expect(run.queryCount).toBe(60);
    expect(run.settings).toMatchObject({ metrics: ['mrr', 'map', 'ndcg@10', 'p@50', 'r@50', 'p@10'], seed: 7, bootstrapSamples: 300 });
    for (const m of run.models) expect(manifest.models).toContainEqual(expect.objectContaining({ name: m.name, version: m.version }));
    const seedManifest = path.join(CATALOG, 'manifest.json');
    if (existsSync(seedManifest)) {
      const hash = String(JSON.parse(readFileSync(seedManifest, 'utf8')).dataHash.test).replace(/^sha256:/, '');
      expect(run.dataHash).toBe(`sha256:${hash}`);
    } else {
      expect(run.dataHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    for (const v of run.variants) {
      for (const a of v.metrics) {
        expect(a.lower).toBeLessThanOrEqual(a.mean);
        expect(a.upper).toBeGreaterThanOrEqual(a.mean);
        expect(a.level).toBe(0.95);
      }
      expect(v.segments[0].name).toBe('colour+category');
    }
    expect(run.comparisons).toHaveLength((run.variants.length - 1) * 6);
    for (const c of run.comparisons) {
      expect(c.permutationPValue).toBeGreaterThan(0);
      expect(c.permutationPValue).toBeLessThanOrEqual(1);
      expect(c.queryCount).toBe(run.scoredQueryCount);
    }
    // the trained tower ranks relevant products far above chance (about 0.02 here)
    const trained = run.variants.find((v: any) => v.name === 'fashion-text');
    expect(trained.metrics.find((m: any) => m.metric === 'mrr').mean).toBeGreaterThan(0.1);
    // per-query rows average to the aggregate
    const rows = run.queryResults.find((q: any) => q.variant === 'fashion-text').queries;
    const mean = rows.reduce((s: number, q: any) => s + q.metrics[0].value, 0) / rows.length;
    expect(mean).toBeCloseTo(trained.metrics[0].mean, 12);
  });

  it('lists runs and serves exports that re-evaluate to the recorded numbers', async () => {
    const created = await evaluateAndWait(app, { set: 'composed', limitQueries: 40, bootstrapSamples: 200, permutationSamples: 500 }, 'id variants { name }');
    expect(created.errors).toBeUndefined();
    expect(created.data.evaluate.variants.map((v: any) => v.name)).toEqual(['image-only', 'text-only', 'sum', 'fusion']);
    const id = created.data.evaluate.id;
    const list = await gql(app, `{ evaluationRuns(limit: 10) { totalCount items { id set variants { name } } } }`);
    expect(list.data.evaluationRuns.totalCount).toBeGreaterThanOrEqual(2);
    expect(list.data.evaluationRuns.items[0]).toMatchObject({ id, set: 'composed' });

    const one = await gql(app, `query($id: ID!) { evaluationRun(id: $id) { settings { metrics } queryResults { variant queries { queryId metrics { metric value } } } exports { csv trecQrels trecRuns { variant content } jsonLines } } }`, { id });
    expect(one.errors).toBeUndefined();
    const run = one.data.evaluationRun;
    const qrels = parseQrels(run.exports.trecQrels);
    const specs = run.settings.metrics.map(parseMetric);
    for (const { variant, content } of run.exports.trecRuns) {
      const again = evaluateRun(specs, parseRun(content).ranked, qrels);
      const recorded = run.queryResults.find((q: any) => q.variant === variant).queries;
      expect(again.queries.map((q) => q.queryId)).toEqual(recorded.map((q: any) => q.queryId));
      again.queries.forEach((q, i) => expect(Object.entries(q.values)).toEqual(recorded[i].metrics.map((m: any) => [m.metric, m.value])));
    }
    expect(parseQueriesCsv(run.exports.csv)).toHaveLength(4 * 40);
    expect(run.exports.jsonLines.split('\n')[0]).toContain('"type":"run"');
    expect((await gql(app, `{ evaluationRun(id: "ev-none") { id } }`)).data.evaluationRun).toBeNull();
  });

  it('evaluates the composed requests judged by meaning and the in-distribution photo family of the demo', async () => {
    const meaning = await evaluateAndWait(
      app,
      { set: 'composed-meaning', variants: ['sum', 'fusion'], bootstrapSamples: 50, permutationSamples: 50 },
      'queryCount scoredQueryCount settings { metrics } variants { name metrics { metric mean } segments { name queryCount } }',
    );
    expect(meaning.errors).toBeUndefined();
    const run = meaning.data.evaluate;
    const composedRows = readFileSync(path.join(CATALOG, 'queries', 'composed-test.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(run.queryCount).toBe(composedRows.length);
    expect(run.scoredQueryCount).toBe(composedRows.length);
    expect(run.settings.metrics).toEqual(['p@10', 'ndcg@10', 'r@50']);
    const segments = Object.fromEntries(run.variants[0].segments.map((s: any) => [s.name, s.queryCount]));
    const count = (keep: (r: any) => boolean) => composedRows.filter(keep).length;
    expect(segments).toEqual({
      colour: count((r) => r.kind === 'color'),
      shade: count((r) => r.kind === 'shade'),
      pattern: count((r) => r.kind === 'pattern'),
      material: count((r) => r.kind === 'material'),
      'two changes': count((r) => r.kind === 'two-attribute'),
      sibling: count((r) => r.target === 'sibling'),
      'cross-style': count((r) => r.target === 'cross-style'),
    });
    // fusion finds products with the asked values far above chance
    expect(run.variants.find((v: any) => v.name === 'fusion').metrics.find((m: any) => m.metric === 'p@10').mean).toBeGreaterThan(0.3);

    const photos = await evaluateAndWait(app, { set: 'realshot-indist', bootstrapSamples: 50, permutationSamples: 50 }, 'queryCount variants { name metrics { metric mean } }');
    expect(photos.errors).toBeUndefined();
    expect(photos.data.evaluate.queryCount).toBe(300);
    expect(photos.data.evaluate.variants.map((v: any) => v.name)).toEqual(['fashion-image']);
    expect(photos.data.evaluate.variants[0].metrics.find((m: any) => m.metric === 'r@50').mean).toBeGreaterThan(0.5);
  });

  it('evaluates uploaded TREC qrels and reports bad input as BAD_USER_INPUT', async () => {
    const lines = readFileSync(path.join(CATALOG, 'queries', 'text-test.qrels'), 'utf8').split('\n');
    const firstTwo = new Set(lines.filter(Boolean).map((l) => l.split(/\s+/)[0]).slice(0, 1));
    const qrels = lines.filter((l) => l && firstTwo.has(l.split(/\s+/)[0])).join('\n');
    const r = await evaluateAndWait(app, { set: 'text', qrels, variants: ['fashion-text'], metrics: ['mrr', 'ndcg@10'], bootstrapSamples: 50, permutationSamples: 50 }, 'set queryCount variants { name }');
    expect(r.errors).toBeUndefined();
    expect(r.data.evaluate).toMatchObject({ set: 'text+qrels', queryCount: 1, variants: [{ name: 'fashion-text' }] });
    // refused at once, before anything is queued (the last one is over the API's cap)
    for (const input of [{ set: 'nope' }, { set: 'text', metrics: ['ndcg'] }, { set: 'text', variants: ['fashion-nope'] }, { set: 'text', bootstrapSamples: 20_000 }]) {
      const bad = await gql(app, `mutation($i: EvaluateInput!) { evaluate(input: $i) { id } }`, { i: input });
      expect(bad.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('computes search analytics from recorded searches and clicks', async () => {
    const s = await gql(app, `{ search(input: { text: "red dress", first: 5 }) { searchId edges { node { id } } } }`);
    const { searchId, edges } = s.data.search;
    const recorded = await gql(app, `mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }`, {
      e: [{ searchId, type: 'CLICK', productId: edges[1].node.id, position: 2 }],
    });
    expect(recorded.errors).toBeUndefined();
    const today = new Date().toISOString().slice(0, 10);
    const a = await gql(app, `query($d: String) { searchAnalytics(from: $d, to: $d) { searches clicks clickThroughRate meanReciprocalRank topQueries { query searches clicks } perDay { day searches clicks } } }`, { d: today });
    expect(a.errors).toBeUndefined();
    expect(a.data.searchAnalytics.clicks).toBe(1);
    expect(a.data.searchAnalytics.topQueries).toContainEqual({ query: 'red dress', searches: 1, clicks: 1 });
    expect(a.data.searchAnalytics.perDay).toEqual([{ day: today, searches: a.data.searchAnalytics.searches, clicks: 1 }]);
    const bad = await gql(app, `{ searchAnalytics(from: "yesterday") { searches } }`);
    expect(bad.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
