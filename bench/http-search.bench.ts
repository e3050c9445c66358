/**
 * HTTP search benchmark: latency (p50/p95) and throughput of text, image and composed searches
 * over loopback HTTP, at concurrency 1 and 16, with the encoders' micro-batcher on and off.
 *
 * It starts the real server (src/main.ts) twice on 127.0.0.1, once per micro-batcher setting
 * (MICRO_BATCH=true|false), sharing one temporary DATA_DIR so that the second start reuses the
 * index built by the first. Every request count is bounded. The per-client limit on image searches
 * is off (RATE_LIMIT_IMAGE_SEARCH=0); everything else is the server's default.
 *
 *   npm run bench:http -- [--requests 160] [--requests-c1 40] [--warmup 16]
 *       [--catalog-dir seed/demo] [--catalog-limit 0] [--models-dir models] [--data-dir DIR]
 *       [--scenarios text,image,composed] [--batcher on,off] [--ready-timeout-s 300]
 *
 * Scenarios:
 * - text: `search(input: { text })` with the demo text queries (the server's text sources: dense
 *   spaces and lexical BM25, fused);
 * - image: `search(input: { image: { base64 } })` with catalogue pictures (decode + image tower);
 * - composed: `search(input: { image: { productId }, modifier })` (text tower + fusion network).
 *
 * Writes bench/results/http-search.json and bench/results/http-search.md and prints the table.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runLoad, serviceAndIngest, startServer, type RunningServer, type ServiceInfo } from './http-load';
import { argumentReaders, benchCommand, markdownTable, readJsonl, writeResults } from './support';

type Scenario = 'text' | 'image' | 'composed';
const ALL_SCENARIOS: Scenario[] = ['text', 'image', 'composed'];
const CONCURRENCIES = [1, 16];

interface Options {
  requests: number;
  requestsC1: number;
  warmup: number;
  catalogDir: string;
  catalogLimit: number;
  modelsDir: string;
  dataDir: string | null;
  scenarios: Scenario[];
  batcher: boolean[];
  readyTimeoutMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    requests: 160,
    requestsC1: 40,
    warmup: 16,
    catalogDir: path.join(ROOT, 'seed/demo'),
    catalogLimit: 0,
    modelsDir: path.join(ROOT, 'models'),
    dataDir: null,
    scenarios: ALL_SCENARIOS,
    batcher: [true, false],
    readyTimeoutMs: 300_000,
  };
  const problems: string[] = [];
  const { int, list } = argumentReaders(problems);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    switch (arg) {
      case '--requests':
        options.requests = int(arg, value, 16, 100_000);
        i++;
        break;
      case '--requests-c1':
        options.requestsC1 = int(arg, value, 1, 100_000);
        i++;
        break;
      case '--warmup':
        options.warmup = int(arg, value, 0, 10_000);
        i++;
        break;
      case '--catalog-limit':
        options.catalogLimit = int(arg, value, 0, 10_000_000);
        i++;
        break;
      case '--catalog-dir':
        options.catalogDir = path.resolve(value ?? '');
        i++;
        break;
      case '--models-dir':
        options.modelsDir = path.resolve(value ?? '');
        i++;
        break;
      case '--data-dir':
        options.dataDir = path.resolve(value ?? '');
        i++;
        break;
      case '--ready-timeout-s':
        options.readyTimeoutMs = int(arg, value, 1, 3600) * 1000;
        i++;
        break;
      case '--scenarios':
        options.scenarios = list(arg, value, ALL_SCENARIOS) ?? options.scenarios;
        i++;
        break;
      case '--batcher':
        options.batcher = list(arg, value, ['on', 'off'] as const)?.map((n) => n === 'on') ?? options.batcher;
        i++;
        break;
      default:
        problems.push(`unknown argument ${arg}`);
    }
  }
  if (!existsSync(path.join(options.catalogDir, 'products.jsonl'))) {
    problems.push(`no products.jsonl in ${options.catalogDir}; build the demo catalogue (npm run seed:demo) or pass --catalog-dir`);
  }
  if (!existsSync(path.join(options.modelsDir, 'manifest.json'))) {
    problems.push(`no manifest.json in ${options.modelsDir}; train and export the models (npm run train) or pass --models-dir`);
  }
  if (problems.length > 0) {
    console.error(`http-search bench: ${problems.join('; ')}`);
    process.exit(2);
  }
  return options;
}

// ---- workload ---------------------------------------------------------------------------------

interface CatalogProduct {
  id: string;
  image: string;
  attributes: Record<string, string[]>;
}

interface Workload {
  texts: string[];
  images: string[];
  composed: { productId: string; modifier: string }[];
}

function buildWorkload(catalogDir: string, catalogLimit: number, size: number): Workload {
  let products = readJsonl<CatalogProduct>(path.join(catalogDir, 'products.jsonl'));
  if (catalogLimit > 0) products = products.slice(0, catalogLimit);
  const ids = new Set(products.map((p) => p.id));

  const textFile = path.join(catalogDir, 'queries/text-test.jsonl');
  let texts = existsSync(textFile) ? readJsonl<{ text: string }>(textFile).map((q) => q.text) : [];
  if (texts.length === 0) {
    texts = products.map((p) => [p.attributes.color?.[0], p.attributes.pattern?.[0], p.attributes.category?.[0]].filter(Boolean).join(' '));
  }

  const step = Math.max(1, Math.floor(products.length / size));
  const sample = products.filter((_, i) => i % step === 0).slice(0, size);
  const images = sample.map((p) => readFileSync(path.join(catalogDir, p.image)).toString('base64'));

  const composedFile = path.join(catalogDir, 'queries/composed-test.jsonl');
  let composed = existsSync(composedFile)
    ? readJsonl<{ referenceId: string; modifier: string }>(composedFile)
        .filter((q) => ids.has(q.referenceId))
        .map((q) => ({ productId: q.referenceId, modifier: q.modifier }))
    : [];
  if (composed.length === 0) composed = sample.map((p) => ({ productId: p.id, modifier: 'same but in blue' }));

  return { texts: texts.slice(0, size), images, composed: composed.slice(0, size) };
}

const SEARCH = `query BenchSearch($input: SearchInput!) {
  search(input: $input) { searchId totalCount edges { score node { id } } }
}`;

function requestBody(scenario: Scenario, workload: Workload, i: number): string {
  let input: Record<string, unknown>;
  if (scenario === 'text') input = { text: workload.texts[i % workload.texts.length], first: 20 };
  else if (scenario === 'image') input = { image: { base64: workload.images[i % workload.images.length] }, first: 20 };
  else {
    const q = workload.composed[i % workload.composed.length];
    input = { image: { productId: q.productId }, modifier: q.modifier, first: 20 };
  }
  return JSON.stringify({ query: SEARCH, operationName: 'BenchSearch', variables: { input } });
}

// ---- measurement ------------------------------------------------------------------------------

interface Measurement {
  scenario: Scenario;
  microBatch: boolean;
  concurrency: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  throughputRps: number;
}

async function measure(
  port: number,
  scenario: Scenario,
  microBatch: boolean,
  concurrency: number,
  requests: number,
  workload: Workload,
  offset: number,
): Promise<Measurement> {
  const r = await runLoad(port, concurrency, requests, (i) => requestBody(scenario, workload, offset + i));
  if (r.errors > 0) console.error(`  ${scenario} c=${concurrency}: ${r.errors} failed requests, first: ${r.firstError}`);
  return { scenario, microBatch, concurrency, requests: r.requests, errors: r.errors, p50Ms: r.p50Ms, p95Ms: r.p95Ms, meanMs: r.meanMs, throughputRps: r.throughputRps };
}

function resultsTable(results: Measurement[]): string {
  return markdownTable(
    ['scenario', 'micro-batcher', 'concurrency', 'requests', 'errors', 'p50 ms', 'p95 ms', 'throughput req/s'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    results.map((r) => [r.scenario, r.microBatch ? 'on' : 'off', String(r.concurrency), String(r.requests), String(r.errors), r.p50Ms.toFixed(1), r.p95Ms.toFixed(1), r.throughputRps.toFixed(1)]),
  );
}

function speedups(results: Measurement[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const scenario of ALL_SCENARIOS) {
    for (const concurrency of CONCURRENCIES) {
      const on = results.find((r) => r.scenario === scenario && r.concurrency === concurrency && r.microBatch);
      const off = results.find((r) => r.scenario === scenario && r.concurrency === concurrency && !r.microBatch);
      if (on && off && off.throughputRps > 0) out[`${scenario}@c${concurrency}`] = Math.round((on.throughputRps / off.throughputRps) * 100) / 100;
    }
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const workload = buildWorkload(options.catalogDir, options.catalogLimit, 256);
  const ownDataDir = options.dataDir === null;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'bench-http-'));
  const catalogHash = createHash('sha256').update(readFileSync(path.join(options.catalogDir, 'products.jsonl'))).digest('hex');
  const results: Measurement[] = [];
  let service: ServiceInfo | null = null;
  let ingest: unknown = null;
  const startups: { microBatch: boolean; readySeconds: number }[] = [];

  try {
    for (const microBatch of options.batcher) {
      console.error(`starting the server (micro-batcher ${microBatch ? 'on' : 'off'}, DATA_DIR ${dataDir})...`);
      const server: RunningServer = await startServer({
        env: {
          DATA_DIR: dataDir,
          CATALOG_DIR: options.catalogDir,
          CATALOG_LIMIT: String(options.catalogLimit),
          MODELS_DIR: options.modelsDir,
          MICRO_BATCH: microBatch ? 'true' : 'false',
          // The per-client limit on searches with an uploaded image (300 a minute by default) would
          // refuse most of this one client's image requests; the benchmark measures the search.
          RATE_LIMIT_IMAGE_SEARCH: '0',
        },
        readyTimeoutMs: options.readyTimeoutMs,
      });
      startups.push({ microBatch, readySeconds: server.readySeconds });
      try {
        ({ service, ingest } = await serviceAndIngest(server.port));
        let offset = 0;
        for (const scenario of options.scenarios) {
          // Warm-up: first model runs, caches, JIT.
          await measure(server.port, scenario, microBatch, Math.min(16, Math.max(1, options.warmup)), options.warmup, workload, offset);
          offset += options.warmup;
          for (const concurrency of CONCURRENCIES) {
            const requests = concurrency === 1 ? options.requestsC1 : options.requests;
            const m = await measure(server.port, scenario, microBatch, concurrency, requests, workload, offset);
            offset += requests;
            results.push(m);
            console.error(
              `  ${scenario.padEnd(8)} batcher=${microBatch ? 'on ' : 'off'} c=${String(concurrency).padStart(2)}: p50 ${m.p50Ms.toFixed(1)} ms, p95 ${m.p95Ms.toFixed(1)} ms, ${m.throughputRps.toFixed(1)} req/s`,
            );
          }
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  const report = {
    benchmark: 'http-search',
    date: new Date().toISOString(),
    command: benchCommand('bench:http'),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` },
    service,
    ingest,
    catalog: { dir: path.relative(ROOT, options.catalogDir) || '.', productsSha256: catalogHash, limit: options.catalogLimit },
    modelsDir: path.relative(ROOT, options.modelsDir) || '.',
    settings: { requests: options.requests, requestsC1: options.requestsC1, warmup: options.warmup, pageSize: 20, concurrencies: CONCURRENCIES },
    startups,
    results,
    microBatchSpeedup: speedups(results),
  };
  const models = service?.models.map((m) => `${m.name}@${m.version}`).join(', ') ?? 'unknown';
  const markdown = [
    `HTTP search over loopback (${report.machine.cpus} CPUs, ${report.machine.cpuModel}, Node ${process.version}).`,
    `Index ${service?.index ?? 'unknown'}; models ${models}; catalogue ${report.catalog.dir} (${service?.productCount ?? '?'} products, products.jsonl sha256 ${catalogHash.slice(0, 12)}).`,
    '',
    resultsTable(results),
    '',
    `Throughput with / without the micro-batcher: ${Object.entries(report.microBatchSpeedup).map(([k, v]) => `${k} ×${v}`).join(', ') || 'n/a'}.`,
  ].join('\n');
  writeResults('http-search', report, markdown);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
