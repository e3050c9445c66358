/**
 * Catalogue-scale benchmark: the real server (src/main.ts) on the demo catalogue (10,000 products)
 * and on the full catalogue (350,000 products, `npm run seed:full`), measured in one run, side by
 * side: text search, text + filter + 2 facets, image search by product and composed search (image by
 * product + modifier), each at concurrency 1 and 16; plus ingest throughput, restart time (spawn to
 * /readyz 200 on a store that already holds the catalogue) and resident memory after the load.
 *
 *   npm run bench:scale -- [--full-data-dir data/bench-scale/full] [--full-catalog-dir data/catalog]
 *       [--full-limit 0] [--demo-data-dir data/bench-scale/demo] [--demo-catalog-dir seed/demo]
 *       [--ingest-sample 20000] [--requests 160] [--requests-c1 40] [--warmup 16]
 *       [--catalogs demo,full] [--scenarios text,text-filter-facets,image,composed]
 *       [--models-dir models] [--ready-timeout-s 3600]
 *
 * Each catalogue's store lives in its data dir and is reused between runs: the server re-ingests
 * only when the store does not hold the complete catalogue under the same models (its own check,
 * reported by `ingestStatus.reused`). Per catalogue the server starts twice: the first start ingests
 * when needed (timed from the server's own "catalogue ingested" log line); the second start is the
 * restart that is timed, and serves the load. Ingest throughput: the full catalogue's ingest when
 * this run did it completely, otherwise a fresh ingest of the first `--ingest-sample` products of
 * the full catalogue into a temporary data dir (the report says which).
 *
 * Every catalogue gets the same text queries (the demo's `queries/text-test.jsonl`); image and
 * composed searches use products (and `queries/composed-test.jsonl`) of the catalogue itself.
 * `--full-limit N` serves the first N products of the full catalogue (a quick check of the script);
 * its store defaults to `data/bench-scale/full-limit-N`, so the complete store is never shrunk.
 *
 * Writes bench/results/scale.json and bench/results/scale.md and prints the tables.
 */
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  ROOT,
  residentMemoryMb,
  runLoad,
  serviceAndIngest,
  startServer,
  type IngestStatus,
  type LoadResult,
  type RunningServer,
  type ServiceInfo,
} from './http-load';
import { argumentReaders, benchCommand, markdownTable, readJsonl, writeResults } from './support';

const CONCURRENCIES = [1, 16] as const;
const PAGE_SIZE = 20;

type Scenario = 'text' | 'text-filter-facets' | 'image' | 'composed';
const ALL_SCENARIOS: Scenario[] = ['text', 'text-filter-facets', 'image', 'composed'];
const SCENARIO_LABEL: Record<Scenario, string> = {
  text: 'text',
  'text-filter-facets': 'text + filter + 2 facets',
  image: 'image by product',
  composed: 'composed (image by product + modifier)',
};
type CatalogName = 'demo' | 'full';

/** The filter and facets of the `text-filter-facets` scenario. */
const FILTER = { inStock: true, attributes: [{ attribute: 'gender', anyOf: ['women'] }] };
const FACETS = ['color', 'brand'];

interface Options {
  catalogs: CatalogName[];
  demoCatalogDir: string;
  demoDataDir: string;
  fullCatalogDir: string;
  fullDataDir: string;
  fullLimit: number;
  ingestSample: number;
  requests: number;
  requestsC1: number;
  warmup: number;
  scenarios: Scenario[];
  modelsDir: string;
  readyTimeoutMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    catalogs: ['demo', 'full'],
    demoCatalogDir: path.join(ROOT, 'seed/demo'),
    demoDataDir: path.join(ROOT, 'data/bench-scale/demo'),
    fullCatalogDir: path.join(ROOT, 'data/catalog'),
    fullDataDir: '',
    fullLimit: 0,
    ingestSample: 20_000,
    requests: 160,
    requestsC1: 40,
    warmup: 16,
    scenarios: ALL_SCENARIOS,
    modelsDir: path.join(ROOT, 'models'),
    readyTimeoutMs: 3_600_000,
  };
  const problems: string[] = [];
  const { int, list } = argumentReaders(problems);
  type DirOption = 'demoCatalogDir' | 'demoDataDir' | 'fullCatalogDir' | 'fullDataDir' | 'modelsDir';
  const dirs: Record<string, DirOption> = {
    '--demo-catalog-dir': 'demoCatalogDir',
    '--demo-data-dir': 'demoDataDir',
    '--full-catalog-dir': 'fullCatalogDir',
    '--full-data-dir': 'fullDataDir',
    '--models-dir': 'modelsDir',
  };
  type IntOption = 'fullLimit' | 'ingestSample' | 'requests' | 'requestsC1' | 'warmup';
  const ints: Record<string, [IntOption, number, number]> = {
    '--full-limit': ['fullLimit', 0, 10_000_000],
    '--ingest-sample': ['ingestSample', 0, 10_000_000],
    '--requests': ['requests', 16, 100_000],
    '--requests-c1': ['requestsC1', 1, 100_000],
    '--warmup': ['warmup', 0, 10_000],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [arg, value] = [argv[i], argv[i + 1]];
    if (arg in dirs) options[dirs[arg]] = path.resolve(ROOT, value ?? '');
    else if (arg in ints) options[ints[arg][0]] = int(arg, value, ints[arg][1], ints[arg][2]);
    else if (arg === '--ready-timeout-s') options.readyTimeoutMs = int(arg, value, 1, 86_400) * 1000;
    else if (arg === '--catalogs') options.catalogs = list(arg, value, ['demo', 'full'] as const) ?? options.catalogs;
    else if (arg === '--scenarios') options.scenarios = list(arg, value, ALL_SCENARIOS) ?? options.scenarios;
    else {
      problems.push(`unknown argument ${arg}`);
      i--;
    }
  }
  if (!options.fullDataDir) {
    options.fullDataDir = path.join(ROOT, options.fullLimit > 0 ? `data/bench-scale/full-limit-${options.fullLimit}` : 'data/bench-scale/full');
  }
  for (const [name, dir] of [
    ['demo', options.demoCatalogDir],
    ['full', options.fullCatalogDir],
  ] as const) {
    if (!existsSync(path.join(dir, 'products.jsonl'))) {
      problems.push(`no products.jsonl in ${dir}; build the ${name} catalogue (npm run seed:${name}) or pass --${name}-catalog-dir`);
    }
  }
  if (!existsSync(path.join(options.demoCatalogDir, 'queries/text-test.jsonl'))) problems.push(`no queries/text-test.jsonl in ${options.demoCatalogDir}`);
  if (!existsSync(path.join(options.modelsDir, 'manifest.json'))) problems.push(`no manifest.json in ${options.modelsDir}; pass --models-dir`);
  if (problems.length > 0) {
    console.error(`scale bench: ${problems.join('; ')}`);
    process.exit(2);
  }
  return options;
}

// ---- workload ---------------------------------------------------------------------------------

interface Workload {
  texts: string[];
  productIds: string[];
  composed: { productId: string; modifier: string }[];
}

/** Ids of the first `limit` products (0: all) of a catalogue, read line by line. */
async function catalogIds(catalogDir: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  const lines = createInterface({ input: createReadStream(path.join(catalogDir, 'products.jsonl')), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    ids.push((JSON.parse(line) as { id: string }).id);
    if (limit > 0 && ids.length >= limit) break;
  }
  lines.close();
  return ids;
}

async function buildWorkload(textQueriesFile: string, catalogDir: string, limit: number, size: number): Promise<Workload> {
  const ids = await catalogIds(catalogDir, limit);
  const idSet = new Set(ids);
  const texts = readJsonl<{ text: string }>(textQueriesFile).map((q) => q.text).slice(0, size);
  const step = Math.max(1, Math.floor(ids.length / size));
  const productIds = ids.filter((_, i) => i % step === 0).slice(0, size);
  const composedFile = path.join(catalogDir, 'queries/composed-test.jsonl');
  let composed = existsSync(composedFile)
    ? readJsonl<{ referenceId: string; modifier: string }>(composedFile)
        .filter((q) => idSet.has(q.referenceId))
        .map((q) => ({ productId: q.referenceId, modifier: q.modifier }))
    : [];
  if (composed.length === 0) composed = productIds.map((productId) => ({ productId, modifier: 'same but in blue' }));
  return { texts, productIds, composed: composed.slice(0, size) };
}

const SEARCH = `query BenchSearch($input: SearchInput!) {
  search(input: $input) { searchId totalCount edges { score node { id } } facets { attribute values { value count } } }
}`;

function requestBody(scenario: Scenario, workload: Workload, i: number): string {
  const text = workload.texts[i % workload.texts.length];
  let input: Record<string, unknown>;
  if (scenario === 'text') input = { text };
  else if (scenario === 'text-filter-facets') input = { text, filter: FILTER, facets: FACETS };
  else if (scenario === 'image') input = { image: { productId: workload.productIds[i % workload.productIds.length] } };
  else {
    const q = workload.composed[i % workload.composed.length];
    input = { image: { productId: q.productId }, modifier: q.modifier };
  }
  return JSON.stringify({ query: SEARCH, operationName: 'BenchSearch', variables: { input: { ...input, first: PAGE_SIZE } } });
}

// ---- starts -----------------------------------------------------------------------------------

/** What the server's log says of the catalogue ingest of one start. */
interface IngestLog {
  products: number;
  skipped: number;
  seconds: number;
  resumed: boolean;
}

/** Starts the server with info logging, following the ingest it runs (if any) from its log lines. */
async function startAndIngest(env: Record<string, string>, readyTimeoutMs: number, label: string): Promise<{ server: RunningServer; ingestLog: IngestLog | null }> {
  let ingestLog: IngestLog | null = null;
  let resumed = false;
  let lastProgress = 0;
  const server = await startServer({
    env: { ...env, LOG_LEVEL: 'info' },
    readyTimeoutMs,
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      let entry: Record<string, any>;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'ingesting catalogue') {
        resumed = Boolean(entry.resume);
        console.error(`  ${label}: ingesting ${entry.products} products${resumed ? ' (resuming)' : ''}...`);
      } else if (entry.msg === 'ingest progress' && Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        console.error(`  ${label}: ${entry.processed}/${entry.total} (${entry.perSecond}/s)`);
      } else if (entry.msg === 'catalogue ingested') {
        ingestLog = { products: entry.products, skipped: entry.skipped, seconds: entry.seconds, resumed };
      }
    },
  });
  return { server, ingestLog };
}

interface IngestResult {
  source: 'full catalogue, this run' | 'sample of the full catalogue';
  products: number;
  seconds: number;
  productsPerSecond: number;
  /** Spawn to /readyz 200, model load included. */
  readySeconds: number;
}

function ingestResult(source: IngestResult['source'], log: IngestLog, readySeconds: number): IngestResult {
  const encoded = log.products - log.skipped;
  return { source, products: encoded, seconds: log.seconds, productsPerSecond: Math.round((encoded / Math.max(log.seconds, 0.001)) * 10) / 10, readySeconds };
}

interface Measurement extends LoadResult {
  scenario: Scenario;
}

interface CatalogRun {
  catalog: CatalogName;
  catalogDir: string;
  dataDir: string;
  limit: number;
  service: ServiceInfo;
  ingest: IngestStatus;
  /** The first start: spawn to ready, ingest included when it ran. */
  firstStartSeconds: number;
  ingestLog: IngestLog | null;
  restartSeconds: number;
  memoryAtReady: { rssMb: number; peakMb: number } | null;
  memoryAfterLoad: { rssMb: number; peakMb: number } | null;
  results: Measurement[];
}

async function runCatalog(options: Options, catalog: CatalogName, textQueriesFile: string): Promise<CatalogRun> {
  const catalogDir = catalog === 'demo' ? options.demoCatalogDir : options.fullCatalogDir;
  const dataDir = catalog === 'demo' ? options.demoDataDir : options.fullDataDir;
  const limit = catalog === 'demo' ? 0 : options.fullLimit;
  mkdirSync(dataDir, { recursive: true });
  const env = { DATA_DIR: dataDir, CATALOG_DIR: catalogDir, CATALOG_LIMIT: String(limit), MODELS_DIR: options.modelsDir, MICRO_BATCH: 'true' };

  console.error(`${catalog}: first start (DATA_DIR ${shown(dataDir)}), ingesting unless the store holds the catalogue...`);
  const first = await startAndIngest(env, options.readyTimeoutMs, catalog);
  let service: ServiceInfo;
  let ingest: IngestStatus;
  try {
    ({ service, ingest } = await serviceAndIngest(first.server.port));
  } finally {
    await first.server.stop();
  }
  console.error(`  ${catalog}: ${service.productCount} products (${ingest.reused ? 'store reused' : 'ingested in this run'}), first start ${first.server.readySeconds} s`);
  if (ingest.state !== 'COMPLETE' || service.productCount < ingest.total) {
    throw new Error(`${catalog}: the store holds ${service.productCount} products of ${ingest.total} (ingest ${ingest.state})`);
  }

  console.error(`${catalog}: restart (timed) and load...`);
  const workload = await buildWorkload(textQueriesFile, catalogDir, limit, 256);
  const server = await startServer({ env, readyTimeoutMs: options.readyTimeoutMs });
  const results: Measurement[] = [];
  let memoryAtReady: CatalogRun['memoryAtReady'] = null;
  let memoryAfterLoad: CatalogRun['memoryAfterLoad'] = null;
  try {
    memoryAtReady = residentMemoryMb(server.pid);
    let offset = 0;
    for (const scenario of options.scenarios) {
      const body = (base: number) => (i: number) => requestBody(scenario, workload, base + i);
      // Warm-up: first model runs, caches, JIT.
      if (options.warmup > 0) await runLoad(server.port, Math.min(16, options.warmup), options.warmup, body(offset));
      offset += options.warmup;
      for (const concurrency of CONCURRENCIES) {
        const requests = concurrency === 1 ? options.requestsC1 : options.requests;
        const r = await runLoad(server.port, concurrency, requests, body(offset));
        offset += requests;
        results.push({ scenario, ...r });
        if (r.errors > 0) console.error(`  ${scenario} c=${concurrency}: ${r.errors} failed requests, first: ${r.firstError}`);
        console.error(
          `  ${catalog.padEnd(4)} ${scenario.padEnd(18)} c=${String(concurrency).padStart(2)}: p50 ${r.p50Ms.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms, ${r.throughputRps.toFixed(1)} req/s`,
        );
      }
    }
    memoryAfterLoad = residentMemoryMb(server.pid);
  } finally {
    await server.stop();
  }
  return {
    catalog,
    catalogDir,
    dataDir,
    limit,
    service,
    ingest,
    firstStartSeconds: first.server.readySeconds,
    ingestLog: first.ingestLog,
    restartSeconds: server.readySeconds,
    memoryAtReady,
    memoryAfterLoad,
    results,
  };
}

/** A fresh ingest of the first `sample` products of the full catalogue into a temporary data dir. */
async function sampleIngest(options: Options): Promise<IngestResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-scale-ingest-'));
  console.error(`ingest sample: ${options.ingestSample} products of the full catalogue into ${dataDir}...`);
  try {
    const env = { DATA_DIR: dataDir, CATALOG_DIR: options.fullCatalogDir, CATALOG_LIMIT: String(options.ingestSample), MODELS_DIR: options.modelsDir, MICRO_BATCH: 'true' };
    const { server, ingestLog } = await startAndIngest(env, options.readyTimeoutMs, 'sample');
    await server.stop();
    if (!ingestLog) throw new Error('the sample ingest wrote no "catalogue ingested" log line');
    return ingestResult('sample of the full catalogue', ingestLog, server.readySeconds);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- report -----------------------------------------------------------------------------------

/** A path relative to the repository when inside it, else as it is. */
const shown = (p: string) => (p.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, p) : p);
const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

function searchTable(runs: CatalogRun[], scenarios: Scenario[]): string {
  const demo = runs.find((r) => r.catalog === 'demo');
  const full = runs.find((r) => r.catalog === 'full');
  const count = (r: CatalogRun | undefined) => (r ? r.service.productCount.toLocaleString('en-US') : '-');
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    for (const concurrency of CONCURRENCIES) {
      const d = demo?.results.find((m) => m.scenario === scenario && m.concurrency === concurrency);
      const f = full?.results.find((m) => m.scenario === scenario && m.concurrency === concurrency);
      const errors = (d?.errors ?? 0) + (f?.errors ?? 0);
      rows.push([
        SCENARIO_LABEL[scenario],
        String(concurrency),
        fmt(d?.p50Ms),
        fmt(d?.p95Ms),
        fmt(d?.throughputRps),
        fmt(f?.p50Ms),
        fmt(f?.p95Ms),
        fmt(f?.throughputRps),
        d && f && d.p50Ms > 0 ? `${fmt(f.p50Ms / d.p50Ms, 2)}x` : '-',
        String(errors),
      ]);
    }
  }
  return markdownTable(
    ['search', 'concurrency', `${count(demo)}: p50 ms`, 'p95 ms', 'req/s', `${count(full)}: p50 ms`, 'p95 ms', 'req/s', 'p50 full / demo', 'errors'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
}

function serverTable(runs: CatalogRun[]): string {
  return markdownTable(
    ['catalogue', 'products', 'first start s', 'store', 'restart to ready s', 'RSS at ready MB', 'RSS after load MB', 'peak RSS MB'],
    ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r'],
    runs.map((r) => [
      `${r.catalog} (${shown(r.catalogDir)}${r.limit ? `, first ${r.limit}` : ''})`,
      r.service.productCount.toLocaleString('en-US'),
      fmt(r.firstStartSeconds),
      r.ingest.reused ? 'reused' : r.ingestLog?.resumed ? `ingest resumed (${r.ingestLog.skipped} already stored)` : 'ingested',
      fmt(r.restartSeconds),
      fmt(r.memoryAtReady?.rssMb, 0),
      fmt(r.memoryAfterLoad?.rssMb, 0),
      fmt(r.memoryAfterLoad?.peakMb, 0),
    ]),
  );
}

interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The issue's targets at 350,000 products, with the numbers measured "before" for image and composed. */
function targets(runs: CatalogRun[]): Target[] {
  const demo = runs.find((r) => r.catalog === 'demo');
  const full = runs.find((r) => r.catalog === 'full');
  if (!full) return [];
  const m = (run: CatalogRun | undefined, s: Scenario, c: number) => run?.results.find((x) => x.scenario === s && x.concurrency === c);
  const out: Target[] = [];
  const add = (target: string, value: number | undefined, bound: number | undefined, cmp: 'le' | 'ge', measured: string) =>
    out.push({ target, measured, met: value === undefined || bound === undefined ? null : cmp === 'le' ? value <= bound : value >= bound });
  const text1 = m(full, 'text', 1)?.p50Ms;
  const demoText1 = m(demo, 'text', 1)?.p50Ms;
  add('text p50 at c1 <= 1.5x demo', text1, demoText1 === undefined ? undefined : 1.5 * demoText1, 'le', `${fmt(text1)} ms vs 1.5 x ${fmt(demoText1)} ms`);
  add('text p50 at c1 <= 10 ms', text1, 10, 'le', `${fmt(text1)} ms`);
  add('text throughput at c16 >= 120 req/s (before: 12)', m(full, 'text', 16)?.throughputRps, 120, 'ge', `${fmt(m(full, 'text', 16)?.throughputRps)} req/s`);
  add('text + filter + 2 facets p50 at c1 <= 15 ms (before: 97.1)', m(full, 'text-filter-facets', 1)?.p50Ms, 15, 'le', `${fmt(m(full, 'text-filter-facets', 1)?.p50Ms)} ms`);
  add('image by product p50 at c1 <= 7.0 ms (before)', m(full, 'image', 1)?.p50Ms, 7.0, 'le', `${fmt(m(full, 'image', 1)?.p50Ms)} ms`);
  add('image by product at c16 >= 281 req/s (before)', m(full, 'image', 16)?.throughputRps, 281, 'ge', `${fmt(m(full, 'image', 16)?.throughputRps)} req/s`);
  add('composed p50 at c1 <= 16.2 ms (before)', m(full, 'composed', 1)?.p50Ms, 16.2, 'le', `${fmt(m(full, 'composed', 1)?.p50Ms)} ms`);
  add('composed at c16 >= 215 req/s (before)', m(full, 'composed', 16)?.throughputRps, 215, 'ge', `${fmt(m(full, 'composed', 16)?.throughputRps)} req/s`);
  add('restart on the full catalogue ready < 20 s (before: 41)', full.restartSeconds, 20, 'le', `${fmt(full.restartSeconds)} s`);
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const loadAtStart = os.loadavg();
  const textQueriesFile = path.join(options.demoCatalogDir, 'queries/text-test.jsonl');
  const runs: CatalogRun[] = [];
  for (const catalog of options.catalogs) runs.push(await runCatalog(options, catalog, textQueriesFile));

  const full = runs.find((r) => r.catalog === 'full');
  let ingest: IngestResult | null = null;
  if (full?.ingestLog && full.limit === 0 && !full.ingest.reused && full.ingestLog.skipped === 0) ingest = ingestResult('full catalogue, this run', full.ingestLog, full.firstStartSeconds);
  else if (options.ingestSample > 0 && options.catalogs.includes('full')) ingest = await sampleIngest(options);

  const command = benchCommand('bench:scale');
  const service = runs[0]?.service;
  const report = {
    benchmark: 'scale',
    date: new Date().toISOString(),
    command,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` },
    /** 1, 5 and 15-minute load averages of the machine when the run started and ended (other jobs included). */
    loadAverage: { start: loadAtStart, end: os.loadavg() },
    index: service?.index,
    models: service?.models,
    settings: {
      requests: options.requests,
      requestsC1: options.requestsC1,
      warmup: options.warmup,
      pageSize: PAGE_SIZE,
      concurrencies: CONCURRENCIES,
      textQueries: path.relative(ROOT, textQueriesFile),
      filter: FILTER,
      facets: FACETS,
      microBatch: true,
    },
    catalogs: runs.map(({ results, ...rest }) => ({ ...rest, catalogDir: shown(rest.catalogDir), dataDir: shown(rest.dataDir), results })),
    ingest,
    targets: targets(runs),
  };

  const models = service?.models.map((m) => `${m.name}@${m.version}`).join(', ') ?? 'unknown';
  const ingestLine = ingest
    ? `Ingest: ${ingest.products.toLocaleString('en-US')} products in ${fmt(ingest.seconds)} s, ${fmt(ingest.productsPerSecond, 0)} products/s (${ingest.source}; spawn to ready ${fmt(ingest.readySeconds)} s).`
    : 'Ingest: not measured.';
  const tgt = report.targets;
  const markdown = [
    `Catalogue scale over loopback HTTP (${report.machine.cpus} CPUs, ${report.machine.cpuModel}, Node ${process.version}); index ${service?.index ?? 'unknown'}; models ${models}.`,
    `Load average (1 min) of the machine: ${fmt(loadAtStart[0], 2)} at the start, ${fmt(report.loadAverage.end[0], 2)} at the end.`,
    `Page size ${PAGE_SIZE}; per row ${options.requestsC1} requests at concurrency 1 and ${options.requests} at 16, after ${options.warmup} warm-up requests per search; micro-batcher on.`,
    `Text queries: ${path.relative(ROOT, textQueriesFile)} on both catalogues; filter ${JSON.stringify(FILTER)}, facets ${JSON.stringify(FACETS)}.`,
    '',
    searchTable(runs, options.scenarios),
    '',
    serverTable(runs),
    '',
    ingestLine,
    ...(tgt.length
      ? ['', markdownTable(['target (350,000 products)', 'measured', 'met'], ['l', 'r', 'l'], tgt.map((t) => [t.target, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'no']))]
      : []),
  ].join('\n');
  writeResults('scale', report, markdown);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
