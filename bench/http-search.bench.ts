/**
 * HTTP search benchmark: latency (p50/p95) and throughput of text, image and composed searches
 * over loopback HTTP, at concurrency 1 and 16, with the encoders' micro-batcher on and off.
 *
 * It starts the real server (src/main.ts) twice on 127.0.0.1, once per micro-batcher setting
 * (MICRO_BATCH=true|false), sharing one temporary DATA_DIR so that the second start reuses the
 * index built by the first. Every request count is bounded.
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
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from './support';

/** The part of the `serviceInfo` query the report records. */
interface ServiceInfo {
  index: string;
  store: string;
  productCount: number;
  models: { name: string; version: string; role: string }[];
}

const ROOT = path.resolve(__dirname, '..');
const RESULTS_DIR = path.join(__dirname, 'results');

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
  const int = (name: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} expects an integer from ${min} to ${max}, got ${value ?? 'nothing'}`);
      return min;
    }
    return n;
  };
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
      case '--scenarios': {
        const names = (value ?? '').split(',').filter(Boolean);
        const bad = names.filter((n) => !(ALL_SCENARIOS as string[]).includes(n));
        if (names.length === 0 || bad.length > 0) problems.push(`--scenarios expects a list of ${ALL_SCENARIOS.join(', ')}, got ${value ?? 'nothing'}`);
        else options.scenarios = names as Scenario[];
        i++;
        break;
      }
      case '--batcher': {
        const names = (value ?? '').split(',').filter(Boolean);
        if (names.length === 0 || names.some((n) => n !== 'on' && n !== 'off')) problems.push(`--batcher expects on, off or on,off, got ${value ?? 'nothing'}`);
        else options.batcher = names.map((n) => n === 'on');
        i++;
        break;
      }
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

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
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

// ---- HTTP -------------------------------------------------------------------------------------

function post(agent: http.Agent, port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function graphqlOnce(agent: http.Agent, port: number, body: string): Promise<any> {
  const { status, text } = await post(agent, port, body);
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
  }
  if (parsed.errors?.length) {
    throw new Error(`HTTP ${status}: ${parsed.errors.map((e: any) => `${e.extensions?.code ?? 'ERROR'} ${e.message}`).join('; ')}`);
  }
  return parsed.data;
}

function getStatus(port: number, pathname: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

async function startServer(options: Options, dataDir: string, microBatch: boolean): Promise<RunningServer> {
  const port = await freePort();
  const log: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      CATALOG_DIR: options.catalogDir,
      CATALOG_LIMIT: String(options.catalogLimit),
      MODELS_DIR: options.modelsDir,
      MICRO_BATCH: microBatch ? 'true' : 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 200) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });

  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`the server exited with code ${exited}:\n${log.join('').slice(-4000)}`);
    if ((await getStatus(port, '/readyz')) === 200) return { port, stop };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`the server was not ready within ${options.readyTimeoutMs / 1000} s:\n${log.join('').slice(-4000)}`);
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
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
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= requests) return;
      const body = requestBody(scenario, workload, offset + i);
      const started = performance.now();
      try {
        await graphqlOnce(agent, port, body);
        latencies.push(performance.now() - started);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  if (errors > 0) console.error(`  ${scenario} c=${concurrency}: ${errors} failed requests, first: ${firstError}`);
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    scenario,
    microBatch,
    concurrency,
    requests: latencies.length,
    errors,
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    meanMs: round(latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length)),
    throughputRps: round(latencies.length / seconds),
  };
}

function markdownTable(results: Measurement[]): string {
  const lines = [
    '| scenario | micro-batcher | concurrency | requests | errors | p50 ms | p95 ms | throughput req/s |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.scenario} | ${r.microBatch ? 'on' : 'off'} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.throughputRps.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
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
      const t0 = performance.now();
      console.error(`starting the server (micro-batcher ${microBatch ? 'on' : 'off'}, DATA_DIR ${dataDir})...`);
      const server = await startServer(options, dataDir, microBatch);
      startups.push({ microBatch, readySeconds: Math.round((performance.now() - t0) / 100) / 10 });
      try {
        const agent = new http.Agent({ keepAlive: true });
        const info = await graphqlOnce(
          agent,
          server.port,
          JSON.stringify({
            query: '{ serviceInfo { index store productCount models { name version role } } ingestStatus { state catalogHash processed total reused } }',
          }),
        );
        agent.destroy();
        service = info.serviceInfo as ServiceInfo;
        ingest = info.ingestStatus;
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
    command: ['npm run bench:http', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
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
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, 'http-search.json'), `${JSON.stringify(report, null, 2)}\n`);
  const models = service?.models.map((m) => `${m.name}@${m.version}`).join(', ') ?? 'unknown';
  const markdown = [
    `HTTP search over loopback (${report.machine.cpus} CPUs, ${report.machine.cpuModel}, Node ${process.version}).`,
    `Index ${service?.index ?? 'unknown'}; models ${models}; catalogue ${report.catalog.dir} (${service?.productCount ?? '?'} products, products.jsonl sha256 ${catalogHash.slice(0, 12)}).`,
    '',
    markdownTable(results),
    '',
    `Throughput with / without the micro-batcher: ${Object.entries(report.microBatchSpeedup).map(([k, v]) => `${k} ×${v}`).join(', ') || 'n/a'}.`,
  ].join('\n');
  writeFileSync(path.join(RESULTS_DIR, 'http-search.md'), `${markdown}\n`);
  console.log(markdown);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
