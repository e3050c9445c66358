/**
 * `npm run learn:demo -- [--searches N] [--seed N] [--work DIR] [--no-tables] [--write-models-readme]`
 *
 * Shows the learning loop end to end on the demo catalogue, through the public API only:
 * 1. copies models/ to <work>/models and starts the server on it (embedded store in <work>/data);
 * 2. simulated shoppers (src/learning/shopper-simulation.ts) send N text searches over GraphQL, most
 *    with made-up words the models have never seen ("bloomcore" for floral dresses), and record
 *    their clicks with recordSearchEvents (position-biased, with noise);
 * 3. trains a query-side candidate from the recorded log
 *    (`python3 -m training.train --events <work>/data --from <work>/models`);
 * 4. promotes it with the held-out-session evaluation of `npm run promote` (stored as an evaluation
 *    run the server lists);
 * 5. swaps it in with the reloadModels mutation while other clients keep searching, counting failed
 *    requests;
 * 6. measures P@10 by meaning (the products the words stand for) on the held-out sessions' queries,
 *    before (the pages those sessions were served) and after (the same queries now), and, unless
 *    --no-tables, the ordinary text tables of `npm run eval -- --set text` with the models before and
 *    after.
 * Writes <work>/learning-report.json and .md; --write-models-readme puts the table into
 * models/README.md (section "learning-loop").
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ApiKeyStore } from '../auth/api-key.store';
import { loadConfig } from '../config/config';
import { createLogger } from '../config/logger';
import Database from 'better-sqlite3';
import {
  clicksOnPage,
  DEFAULT_CLICK_MODEL,
  matches,
  NEW_WORDS,
  ordinaryTastes,
  planSearches,
  precisionAt,
  wordsInCatalogue,
  type CatalogueProduct,
  type PlannedSearch,
  catalogueWording,
  type Taste,
} from '../learning/shopper-simulation';
import { startApplication } from '../main';
import { seededRandom } from '../evaluation/statistics';
import { parseEvalArgs, runEvalCommand } from './eval';
import type { PromotionDecision } from '../learning/promotion';
import { promote } from './promote';
import { replaceMetricsSection } from '../evaluation/models-readme';

const ROOT = path.resolve(__dirname, '..', '..');
const CATALOG = path.join(ROOT, 'seed', 'demo');
const PAGE = 20;
const CONCURRENCY = 4;

type HeldOutScores = ReturnType<typeof scoreBy>;

export interface LearningReport {
  command: string;
  visits: number;
  searches: number;
  clicks: number;
  trafficSeconds: number;
  training: { seconds: number; counts: Record<string, number | string | null>; bestEpoch: number; validationMrr: number | null; history: unknown[] };
  promotion: { run: string; candidate: string; current: string; decision: PromotionDecision };
  /** Gains over the baseline towers (not trained on these clicks) on the held-out judgements. */
  baselines: { run: string; baseline: string; variant: string; metric: string; baselineMean: number; variantMean: number; relativeGain: number | null; p: number }[];
  reload: { changed: boolean; concurrentSearches: number; failed: number };
  heldOut: { sessions: number; before: HeldOutScores; after: HeldOutScores };
  tables: Record<string, Record<string, number>> | null;
}

export interface LearningDemoArgs {
  visits: number;
  maxSearches: number;
  seed: number;
  work: string;
  tables: boolean;
  writeReadme: boolean;
  newShare: number;
}

export function parseArgs(argv: string[]): LearningDemoArgs {
  const a: LearningDemoArgs = { visits: 12000, maxSearches: 20000, seed: 7, work: path.join(ROOT, 'data', 'learning'), tables: true, writeReadme: false, newShare: 0.7 };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${f} needs a value`);
      return x;
    };
    if (f === '--visits') a.visits = Number(v());
    else if (f === '--max-searches') a.maxSearches = Number(v());
    else if (f === '--seed') a.seed = Number(v());
    else if (f === '--work') a.work = path.resolve(v());
    else if (f === '--new-share') a.newShare = Number(v());
    else if (f === '--no-tables') a.tables = false;
    else if (f === '--write-models-readme') a.writeReadme = true;
    else throw new Error(`unexpected argument "${f}"`);
  }
  if (!Number.isInteger(a.visits) || a.visits < 100) throw new Error('--visits must be an integer of at least 100');
  if (!Number.isInteger(a.maxSearches) || a.maxSearches < 100 || a.maxSearches > 20000) throw new Error('--max-searches must be an integer from 100 to 20000');
  return a;
}

class Client {
  constructor(
    private readonly url: string,
    private readonly key: string | null,
  ) {}

  async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.key ? { authorization: `Bearer ${this.key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) throw new Error(`${body.errors[0].extensions?.code ?? res.status}: ${body.errors[0].message}`);
    return body.data as T;
  }
}

const SEARCH = `query($input: SearchInput!) { search(input: $input) { searchId edges { node { id } } pageInfo { endCursor hasNextPage } } }`;
type SearchPage = { search: { searchId: string; edges: { node: { id: string } }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };

/** Runs a command; its output goes to `log` line by line, and its last lines into the error when it fails. */
async function run(command: string, args: string[], log: (line: string) => void): Promise<number> {
  const started = Date.now();
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim() || /UserWarning|_jit_pass|npm warn/.test(line)) continue;
        log(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`))));
  });
  return (Date.now() - started) / 1000;
}

async function readCatalogue(): Promise<CatalogueProduct[]> {
  const text = await fs.readFile(path.join(CATALOG, 'products.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CatalogueProduct);
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Runs the whole loop (see the file's comment) and returns its report; writes it under `args.work`. */
export async function runLearningDemo(args: LearningDemoArgs, log: (line: string) => void = () => undefined): Promise<LearningReport> {
  const products = await readCatalogue();
  const byId = new Map(products.map((p) => [p.id, p]));
  const clash = wordsInCatalogue(NEW_WORDS, products);
  if (clash.length) throw new Error(`new words found in the catalogue's text: ${clash.join(', ')}`);
  const random = seededRandom(args.seed);
  const ordinary = ordinaryTastes(products, 24, random);
  const plan = planSearches(args.visits, NEW_WORDS, ordinary, args.newShare, random);

  await fs.rm(args.work, { recursive: true, force: true });
  const modelsDir = path.join(args.work, 'models');
  const dataDir = path.join(args.work, 'data');
  await fs.cp(path.join(ROOT, 'models'), modelsDir, { recursive: true });
  await fs.mkdir(dataDir, { recursive: true });
  const keys = new ApiKeyStore(ApiKeyStore.fileIn(dataDir));
  const admin = keys.create({ roles: ['admin'], name: 'learn-demo' }).key;
  keys.close();

  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, MODELS_DIR: modelsDir, CATALOG_DIR: CATALOG, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', PLAYGROUND: 'false' });
  const app = await startApplication(config, createLogger('warn'));
  try {
    await app.ready;
    const client = new Client(app.url, admin);
    log(`server ready at ${app.url}; ${args.visits} simulated visits (${Math.round(args.newShare * 100)}% for new words), at most ${args.maxSearches} searches`);

    // 2. traffic: one visit per planned search, capped at --max-searches searches in all
    const started = Date.now();
    const pending: { searchId: string; type: 'CLICK'; productId: string; position: number }[] = [];
    let clicks = 0;
    let searches = 0;
    const flush = async () => {
      while (pending.length) {
        const events = pending.splice(0, 500);
        await client.gql(`mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }`, { e: events });
      }
    };
    /** Searches `text` (page 1, then page 2 when nothing was clicked and the shopper goes on); returns the clicks. */
    const visitPages = async (text: string, sessionId: string, taste: Taste, random: () => number, onFirst?: (page: SearchPage['search']) => void): Promise<number> => {
      const rel = (id: string) => matches(byId.get(id)!, taste.conditions);
      let n = 0;
      for (let pageNo = 0, after: string | null = null; pageNo < 2 && searches < args.maxSearches; pageNo++) {
        searches++;
        const page: SearchPage['search'] = (await client.gql<SearchPage>(SEARCH, { input: { text, first: PAGE, sessionId, ...(after ? { after } : {}) } })).search;
        if (pageNo === 0) onFirst?.(page);
        const ids = page.edges.map((e) => e.node.id);
        const clicked = clicksOnPage(ids.map(rel), pageNo * PAGE + 1, DEFAULT_CLICK_MODEL, random);
        for (const position of clicked) pending.push({ searchId: page.searchId, type: 'CLICK', productId: ids[position - pageNo * PAGE - 1], position });
        n += clicked.length;
        if (clicked.length || !page.pageInfo.hasNextPage || random() >= DEFAULT_CLICK_MODEL.nextPage) break;
        after = page.pageInfo.endCursor;
      }
      return n;
    };
    const first = new Map<number, { searchId: string; ids: string[] }>();
    await pool(plan, CONCURRENCY, async (s: PlannedSearch, i) => {
      if (searches >= args.maxSearches) return;
      const sessionId = `visit-${args.seed}-${i}`;
      // each visit draws from its own generator, so concurrency does not change what shoppers do
      const random = seededRandom((args.seed * 1_000_003 + i) >>> 0);
      let n = await visitPages(s.text, sessionId, s.taste, random, (page) => first.set(i, { searchId: page.searchId, ids: page.edges.map((e) => e.node.id) }));
      if (n === 0 && s.taste.kind === 'new-word' && searches < args.maxSearches && random() < DEFAULT_CLICK_MODEL.reword) {
        n += await visitPages(catalogueWording(s.taste), sessionId, s.taste, random);
      }
      clicks += n;
      if (pending.length >= 500) await flush();
      if ((i + 1) % 2000 === 0) log(`${i + 1} visits, ${searches} searches, ${clicks} clicks`);
    });
    await flush();
    const trafficSeconds = (Date.now() - started) / 1000;
    log(`traffic recorded in ${trafficSeconds.toFixed(0)} s: ${first.size} visits, ${searches} searches, ${clicks} clicks`);

    // 3. train
    const candidate = path.join(args.work, 'candidate');
    const trainSeconds = await run('/usr/bin/python3', ['-m', 'training.train', '--events', dataDir, '--from', modelsDir, '--catalog', CATALOG, '--out', candidate], log);
    const report = JSON.parse(await fs.readFile(path.join(candidate, 'training-report.json'), 'utf8'));
    const heldOutFrom: string = report.counts.heldOutFrom;

    // 4. promote
    const promotion = await promote({ candidateDir: candidate, modelsDir, eventsDir: dataDir, catalogDir: CATALOG, dataDir: path.join(ROOT, 'data', 'eval'), runsDir: null, force: false, dryRun: false }, log);

    // 6a. before: the pages the held-out sessions were served (their first page, first 10)
    const heldOut = heldOutVisits(plan, first, dataDir, heldOutFrom);
    const before = scoreBy(heldOut, (i) => first.get(i)!.ids, byId);

    // 5. reload under load
    const load = { ok: 0, failed: 0, stop: false };
    const background = (async () => {
      const anon = new Client(app.url, null);
      let j = 0;
      while (!load.stop) {
        const s = plan[j++ % plan.length];
        await anon.gql(SEARCH, { input: { text: s.text, first: 10 } }).then(
          () => load.ok++,
          () => load.failed++,
        );
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const reload = await client.gql<{ reloadModels: { changed: boolean; models: { role: string; name: string; version: string }[] } }>(
      'mutation { reloadModels { changed models { role name version } } }',
    );
    await new Promise((r) => setTimeout(r, 500));
    load.stop = true;
    await background;
    log(`reloadModels: changed=${reload.reloadModels.changed}; concurrent searches: ${load.ok} answered, ${load.failed} failed`);

    // 6b. after: the same queries now
    const now = new Map<string, string[]>();
    for (const text of new Set(heldOut.map((h) => h.search.text))) {
      now.set(text, (await client.gql<SearchPage>(SEARCH, { input: { text, first: 10 } })).search.edges.map((e) => e.node.id));
    }
    const after = scoreBy(heldOut, (i) => now.get(plan[i].text)!, byId);

    const result: LearningReport = {
      command: `npm run learn:demo -- --visits ${args.visits} --max-searches ${args.maxSearches} --seed ${args.seed}`,
      visits: first.size,
      searches,
      clicks,
      trafficSeconds,
      training: { seconds: trainSeconds, counts: report.counts, bestEpoch: report.bestEpoch, validationMrr: report.validationMrr, history: report.history },
      promotion: { run: promotion.run.id, candidate: promotion.candidate, current: promotion.current, decision: promotion.decision },
      baselines: promotion.baselineRuns.flatMap((run) =>
        run.comparisons
          .filter((c) => ['mrr', 'map', 'ndcg@10'].includes(c.metric))
          .map((c) => ({ run: run.id, baseline: c.baseline, variant: c.variant, metric: c.metric, baselineMean: c.baselineMean, variantMean: c.variantMean, relativeGain: c.relativeGain, p: c.permutationP })),
      ),
      reload: { changed: reload.reloadModels.changed, concurrentSearches: load.ok, failed: load.failed },
      heldOut: { sessions: heldOut.length, before, after },
      tables: args.tables ? await textTables(args.work, modelsDir, log) : null,
    };
    await fs.writeFile(path.join(args.work, 'learning-report.json'), JSON.stringify(result, null, 2) + '\n');
    await fs.writeFile(path.join(args.work, 'learning-report.md'), markdown(result));
    return result;
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[learn:demo] ${line}\n`);
  const result = await runLearningDemo(args, log);
  const md = markdown(result);
  process.stdout.write(md);
  if (args.writeReadme) {
    const readme = path.join(ROOT, 'models', 'README.md');
    await fs.writeFile(readme, replaceMetricsSection(await fs.readFile(readme, 'utf8'), md, 'learning-loop'));
    log(`table written to ${readme}`);
  }
}

interface HeldOut {
  index: number;
  search: PlannedSearch;
}

/** The visits whose first search the log holds from `from` on (the held-out part training never read). */
function heldOutVisits(plan: PlannedSearch[], first: Map<number, { searchId: string; ids: string[] }>, dataDir: string, from: string): HeldOut[] {
  const db = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true });
  try {
    const late = new Set((db.prepare(`SELECT search_id FROM searches WHERE created_at >= ?`).all(from) as { search_id: string }[]).map((r) => r.search_id));
    return [...first].filter(([, f]) => late.has(f.searchId)).map(([index]) => ({ index, search: plan[index] }));
  } finally {
    db.close();
  }
}

function scoreBy(heldOut: HeldOut[], ranking: (i: number) => string[], byId: Map<string, CatalogueProduct>) {
  const by = (kind: Taste['kind'] | 'all', withNoun?: boolean) => {
    const rows = heldOut.filter((h) => (kind === 'all' || h.search.taste.kind === kind) && (withNoun === undefined || h.search.text.includes(h.search.taste.noun) === withNoun));
    return { sessions: rows.length, p10: mean(rows.map((h) => precisionAt(ranking(h.index), 10, (id) => matches(byId.get(id)!, h.search.taste.conditions)))) };
  };
  const perWord = Object.fromEntries(NEW_WORDS.map((t) => [t.word, mean(heldOut.filter((h) => h.search.taste.word === t.word).map((h) => precisionAt(ranking(h.index), 10, (id) => matches(byId.get(id)!, t.conditions))))]));
  return { newWords: by('new-word'), newWordAlone: by('new-word', false), newWordWithGarment: by('new-word', true), ordinary: by('ordinary'), perWord };
}

async function textTables(work: string, modelsAfter: string, log: (l: string) => void) {
  const sink = { log: { write: () => true }, out: { write: () => true } } as unknown as Parameters<typeof runEvalCommand>[2];
  const tables: Record<string, Record<string, number>> = {};
  for (const [label, models] of [
    ['before', path.join(ROOT, 'models')],
    ['after', modelsAfter],
  ] as const) {
    log(`text tables with the models ${label} (npm run eval -- --set text --models ${models})`);
    const argv = ['--set', 'text', '--models', models, '--out', path.join(work, `eval-${label}`), '--runs', path.join(work, `runs-${label}`)];
    const result = await runEvalCommand(parseEvalArgs(argv), argv, sink);
    const rows: Record<string, number> = {};
    const defaultText = (JSON.parse(await fs.readFile(path.join(models, 'manifest.json'), 'utf8')) as { defaults: { text: string } }).defaults.text;
    for (const run of [...result.runs, ...result.serviceRuns]) {
      for (const v of run.variants) {
        if (v.name !== 'search' && v.name !== defaultText) continue;
        const tower = v.name === 'search' ? 'search' : 'text tower';
        rows[`${tower}: all`] = v.aggregates.find((a) => a.metric === 'p@10')!.mean;
        for (const s of v.segments) rows[`${tower}: ${s.segment}`] = s.aggregates.find((a) => a.metric === 'p@10')!.mean;
      }
    }
    tables[label] = rows;
  }
  return tables;
}

const PAPER_GAINS: Record<string, string> = { mrr: '+7.8%', map: '+15.8%', 'ndcg@10': '+8.8% (NDCG)' };

function baselineLines(r: LearningReport): string[] {
  if (r.baselines.length === 0) return [];
  const pct = (g: number | null) => (g === null ? '-' : `${g >= 0 ? '+' : ''}${(100 * g).toFixed(1)}%`);
  return [
    'Against the baseline towers on the same held-out judgements (click-derived relevance; the baselines and the current tower were trained on the seed catalogue only, the candidate also on these clicks), with the paper\'s gains of its triplet-tuned encoder over the GRU:',
    '',
    '| baseline | tower | metric | baseline | tower | gain | p | paper |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.baselines.map((b) => `| ${b.baseline} | ${b.variant} | ${b.metric} | ${fmt(b.baselineMean)} | ${fmt(b.variantMean)} | ${pct(b.relativeGain)} | ${b.p.toFixed(4)} | ${b.baseline.includes('gru') ? PAPER_GAINS[b.metric] ?? '' : ''} |`),
    '',
  ];
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '-';
}

function markdown(r: LearningReport): string {
  const b = r.heldOut.before;
  const a = r.heldOut.after;
  const lines = [
    `Command: \`${r.command}\` (demo catalogue, this machine). ${r.visits} simulated visits made ${r.searches} searches and ${r.clicks} clicks, recorded through GraphQL in ${Math.round(r.trafficSeconds)} s.`,
    '',
    `Training: ${r.training.counts.triplets} triplets from ${r.training.counts.sessionsWithClicks} clicked sessions and ${r.training.counts.queries} distinct queries; ` +
      `${r.training.counts.validationSessions} validation and ${r.training.counts.heldOutSessions} held-out sessions; best epoch ${r.training.bestEpoch}; ${Math.round(r.training.seconds)} s for the whole training command on this machine's CPU.`,
    '',
    `Promotion (evaluation run \`${r.promotion.run}\`, held-out sessions judged by their clicks): ` +
      r.promotion.decision.comparisons.map((c: any) => `${c.metric} ${fmt(c.current)} -> ${fmt(c.candidate)} (p = ${c.p.toFixed(4)})`).join(', ') +
      `; ${r.promotion.decision.promote ? 'promoted' : 'refused'}.`,
    '',
    ...baselineLines(r),
    `Swap: reloadModels under concurrent searches: ${r.reload.concurrentSearches} searches answered, ${r.reload.failed} failed.`,
    '',
    '| held-out sessions | sessions | P@10 before | P@10 after |',
    '| --- | --- | --- | --- |',
    `| new words (all) | ${b.newWords.sessions} | ${fmt(b.newWords.p10)} | ${fmt(a.newWords.p10)} |`,
    `| new word alone | ${b.newWordAlone.sessions} | ${fmt(b.newWordAlone.p10)} | ${fmt(a.newWordAlone.p10)} |`,
    `| new word + garment word | ${b.newWordWithGarment.sessions} | ${fmt(b.newWordWithGarment.p10)} | ${fmt(a.newWordWithGarment.p10)} |`,
    `| ordinary queries | ${b.ordinary.sessions} | ${fmt(b.ordinary.p10)} | ${fmt(a.ordinary.p10)} |`,
    ...Object.keys(b.perWord).map((w) => `| "${w}" | | ${fmt(b.perWord[w])} | ${fmt(a.perWord[w])} |`),
    '',
  ];
  if (r.tables) {
    lines.push('Ordinary text tables (`npm run eval -- --set text`, test split of the demo catalogue), P@10 with the models before and after:', '');
    lines.push('| row | before | after | change |', '| --- | --- | --- | --- |');
    for (const k of Object.keys(r.tables.before)) {
      const x = r.tables.before[k];
      const y = r.tables.after[k];
      lines.push(`| ${k} | ${fmt(x)} | ${fmt(y)} | ${y === undefined ? '-' : (y - x >= 0 ? '+' : '') + (y - x).toFixed(3)} |`);
    }
    lines.push('');
  }
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`learn:demo: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
