/**
 * Soak test: the real server under mixed traffic for a fixed time, then bursts of simultaneous
 * connections. It stops by itself and exits non-zero when a criterion fails.
 *
 *   npm run soak -- [--duration 600] [--concurrency 32] [--burst 256] [--burst-rounds 5]
 *       [--warmup S] [--out data/soak] [--catalog-dir seed/demo] [--catalog-limit 0]
 *       [--models-dir models] [--request-timeout-s 30] [--healthz-max-ms 1000]
 *       [--max-rss-growth 0.10] [--ready-timeout-s 3600]
 *
 * What it does:
 * 1. starts `src/main.ts` (main -> startApplication: the real ONNX models of --models-dir, the embedded
 *    store) in a child process, so the load generator never shares the server's event loop, on
 *    127.0.0.1 with a temporary DATA_DIR, CATALOG_DIR = IMAGE_DIR = the demo catalogue, LOG_LEVEL=warn
 *    and RATE_LIMIT_IMAGE_SEARCH=0, RATE_LIMIT_CATALOG_WRITE=0 (one loopback client would otherwise
 *    meet the per-client limits meant for many clients); every other setting is the default;
 * 2. waits for /readyz (the catalogue ingested), creates a `catalog` key with the keys CLI
 *    (`src/cli/keys.ts create --role catalog`, the same DATA_DIR);
 * 3. warms up (--warmup seconds; default a tenth of --duration, at most 60 s), then runs --duration
 *    seconds of mixed traffic at --concurrency over keep-alive connections:
 *      text      search(text, filter, facets) with the demo text queries and varied filters;
 *      image-id  search(image: { productId });
 *      image-b64 search(image: { base64 }) with catalogue pictures;
 *      composed  search(image: { productId }, modifier) with the demo composed queries;
 *      upsert    upsertProducts of 4 products (catalog key) from a fixed pool of 64 ids, their image a
 *                server path under IMAGE_DIR or base64 bytes, so the catalogue size stays constant;
 *      events    recordSearchEvents: impressions and a click on results of earlier searches;
 *    no search pages with `after` (a write between pages answers STALE_CURSOR by design);
 * 4. meanwhile samples the server's resident memory every 5 s from /metrics
 *    (`process_resident_memory_bytes`) and probes /healthz once a second on a new connection, as a
 *    liveness probe does;
 * 5. sends --burst-rounds bursts of --burst simultaneous requests, each on a new connection;
 * 6. checks the server still answers, stops it with SIGTERM and expects a clean exit (code 0).
 *
 * Criteria (each one failing makes the exit code 1):
 * - zero errors during warm-up and the measured run (any GraphQL error, non-200 status, dropped
 *   connection or request slower than --request-timeout-s);
 * - resident memory growth after warm-up below --max-rss-growth: the median of the samples in the
 *   last tenth of the run against the median of those in the first tenth after warm-up;
 * - every /healthz probe answered 200 within --healthz-max-ms;
 * - every burst answer a result or a coded OVERLOADED, no dropped connection, no time-out, at
 *   least one result;
 * - the server process alive until SIGTERM, then exiting 0; no error-level line in its log.
 *
 * Writes soak.json (everything measured) and soak.md (the tables) to --out and prints the tables.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, seededRandom } from './support';

const ROOT = path.resolve(__dirname, '..');

// ---- options ----------------------------------------------------------------------------------

interface Options {
  durationS: number;
  concurrency: number;
  burst: number;
  burstRounds: number;
  warmupS: number;
  out: string;
  catalogDir: string;
  catalogLimit: number;
  modelsDir: string;
  requestTimeoutMs: number;
  healthzMaxMs: number;
  maxRssGrowth: number;
  readyTimeoutMs: number;
}

function parseArgs(argv: string[]): Options {
  const problems: string[] = [];
  const values = new Map<string, string>();
  const known = [
    '--duration',
    '--concurrency',
    '--burst',
    '--burst-rounds',
    '--warmup',
    '--out',
    '--catalog-dir',
    '--catalog-limit',
    '--models-dir',
    '--request-timeout-s',
    '--healthz-max-ms',
    '--max-rss-growth',
    '--ready-timeout-s',
  ];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    if (!known.includes(flag)) {
      problems.push(`unknown argument ${argv[i]} (known: ${known.join(', ')})`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`${flag} needs a value`);
    else values.set(flag, value);
  }
  const num = (flag: string, fallback: number, min: number, max: number, integer = true): number => {
    const raw = values.get(flag);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      problems.push(`${flag} expects ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${raw}`);
      return fallback;
    }
    return n;
  };
  const durationS = num('--duration', 600, 10, 86_400);
  const options: Options = {
    durationS,
    concurrency: num('--concurrency', 32, 1, 1024),
    burst: num('--burst', 256, 1, 4096),
    burstRounds: num('--burst-rounds', 5, 0, 100),
    warmupS: num('--warmup', Math.max(5, Math.min(60, Math.round(durationS / 10))), 0, 3600),
    out: path.resolve(values.get('--out') ?? path.join(ROOT, 'data/soak')),
    catalogDir: path.resolve(values.get('--catalog-dir') ?? path.join(ROOT, 'seed/demo')),
    catalogLimit: num('--catalog-limit', 0, 0, 10_000_000),
    modelsDir: path.resolve(values.get('--models-dir') ?? path.join(ROOT, 'models')),
    requestTimeoutMs: num('--request-timeout-s', 30, 1, 600) * 1000,
    healthzMaxMs: num('--healthz-max-ms', 1000, 1, 60_000),
    maxRssGrowth: num('--max-rss-growth', 0.1, 0, 10, false),
    readyTimeoutMs: num('--ready-timeout-s', 3600, 10, 86_400) * 1000,
  };
  if (!existsSync(path.join(options.catalogDir, 'products.jsonl'))) problems.push(`no products.jsonl in ${options.catalogDir}; build it (npm run seed:demo) or pass --catalog-dir`);
  if (!existsSync(path.join(options.modelsDir, 'manifest.json'))) problems.push(`no manifest.json in ${options.modelsDir}; train the models (npm run train) or pass --models-dir`);
  if (problems.length) {
    console.error(`soak: ${problems.join('; ')}`);
    process.exit(2);
  }
  return options;
}

// ---- workload ---------------------------------------------------------------------------------

interface CatalogProduct {
  id: string;
  title: string;
  description?: string;
  brand?: string;
  price: number;
  currency?: string;
  inStock?: boolean;
  styleId?: string;
  attributes: Record<string, string[]>;
  image: string;
}

interface Workload {
  products: CatalogProduct[];
  texts: string[];
  composed: { productId: string; modifier: string }[];
  /** Catalogue pictures, base64, by product index in `pictures`. */
  pictures: { product: CatalogProduct; base64: string }[];
  colors: string[];
  categories: string[];
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function buildWorkload(catalogDir: string, limit: number): Workload {
  let products = readJsonl<CatalogProduct>(path.join(catalogDir, 'products.jsonl'));
  if (limit > 0) products = products.slice(0, limit);
  const ids = new Set(products.map((p) => p.id));
  const textFile = path.join(catalogDir, 'queries/text-test.jsonl');
  let texts = existsSync(textFile) ? readJsonl<{ text: string }>(textFile).map((q) => q.text) : [];
  if (texts.length === 0) texts = products.slice(0, 500).map((p) => [p.attributes.color?.[0], p.attributes.category?.[0]].filter(Boolean).join(' '));
  const composedFile = path.join(catalogDir, 'queries/composed-test.jsonl');
  let composed = existsSync(composedFile)
    ? readJsonl<{ referenceId: string; modifier: string }>(composedFile)
        .filter((q) => ids.has(q.referenceId))
        .map((q) => ({ productId: q.referenceId, modifier: q.modifier }))
    : [];
  if (composed.length === 0) composed = products.slice(0, 500).map((p) => ({ productId: p.id, modifier: 'same but in blue' }));
  const step = Math.max(1, Math.floor(products.length / 256));
  const pictures = products
    .filter((_, i) => i % step === 0)
    .slice(0, 256)
    .map((p) => ({ product: p, base64: readFileSync(path.join(catalogDir, p.image)).toString('base64') }));
  const distinct = (name: string) => [...new Set(products.flatMap((p) => p.attributes[name] ?? []))].sort();
  return { products, texts, composed, pictures, colors: distinct('color'), categories: distinct('category') };
}

const KINDS = ['text', 'image-id', 'image-b64', 'composed', 'upsert', 'events'] as const;
type Kind = (typeof KINDS)[number];
/** Share of each kind in the mixed traffic (sums to 100). */
const MIX: Record<Kind, number> = { text: 35, 'image-id': 15, 'image-b64': 12, composed: 15, upsert: 8, events: 15 };
const UPSERT_POOL = 64;
const UPSERT_BATCH = 4;

const SEARCH_QUERY = `query SoakSearch($input: SearchInput!) {
  search(input: $input) { searchId mode totalCount edges { score node { id } } facets { attribute values { value count } } }
}`;
const UPSERT_QUERY = `mutation SoakUpsert($products: [ProductInput!]!) { upsertProducts(products: $products) { upserted products { id } } }`;
const EVENTS_QUERY = `mutation SoakEvents($events: [SearchEventInput!]!) { recordSearchEvents(events: $events) { recorded } }`;

interface Call {
  kind: Kind;
  body: string;
  headers: Record<string, string>;
  /** Checks the data of a successful answer; a returned string is an error code. */
  check(data: any): string | null;
}

/** Results of recent searches, which event recording refers to. */
interface RecentSearch {
  searchId: string;
  productIds: string[];
}

class Traffic {
  private readonly random: () => number;
  private readonly recent: RecentSearch[] = [];
  private upserts = 0;

  constructor(
    private readonly w: Workload,
    private readonly catalogKey: string,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  kind(): Kind {
    let r = this.random() * 100;
    for (const k of KINDS) {
      r -= MIX[k];
      if (r < 0) return k === 'events' && this.recent.length === 0 ? 'text' : k;
    }
    return 'text';
  }

  remember(data: any): void {
    const s = data?.search;
    if (!s?.searchId || !Array.isArray(s.edges) || s.edges.length === 0) return;
    this.recent.push({ searchId: s.searchId, productIds: s.edges.map((e: any) => e.node.id) });
    if (this.recent.length > 200) this.recent.shift();
  }

  private filter(): Record<string, unknown> | undefined {
    const r = this.random();
    const color = () => ({ attributes: [{ attribute: 'color', anyOf: [this.pick(this.w.colors), this.pick(this.w.colors)] }] });
    if (r < 0.2) return undefined;
    if (r < 0.4) return color();
    if (r < 0.55) return { price: { min: Math.floor(this.random() * 40), max: 60 + Math.floor(this.random() * 200) } };
    if (r < 0.7) return { inStock: true };
    if (r < 0.85) return { and: [{ inStock: true }, { not: { attributes: [{ attribute: 'category', anyOf: [this.pick(this.w.categories)] }] } }] };
    return { or: [color(), { price: { max: 50 } }] };
  }

  private search(kind: Kind, input: Record<string, unknown>): Call {
    return {
      kind,
      body: JSON.stringify({ query: SEARCH_QUERY, operationName: 'SoakSearch', variables: { input } }),
      headers: {},
      check: (data) => (data?.search && Array.isArray(data.search.edges) && typeof data.search.totalCount === 'number' ? null : 'BAD_ANSWER'),
    };
  }

  next(kind: Kind = this.kind()): Call {
    const first = 10 + Math.floor(this.random() * 20);
    switch (kind) {
      case 'text':
        return this.search(kind, { text: this.pick(this.w.texts), filter: this.filter(), facets: ['color', 'category', 'brand'], first });
      case 'image-id':
        return this.search(kind, { image: { productId: this.pick(this.w.pictures).product.id }, first, ...(this.random() < 0.5 ? { filter: this.filter() } : {}) });
      case 'image-b64':
        return this.search(kind, { image: { base64: this.pick(this.w.pictures).base64 }, first });
      case 'composed': {
        const q = this.pick(this.w.composed);
        return this.search(kind, { image: { productId: q.productId }, modifier: q.modifier, first });
      }
      case 'upsert': {
        const products = Array.from({ length: UPSERT_BATCH }, () => {
          const n = this.upserts++;
          const picture = this.pick(this.w.pictures);
          const p = picture.product;
          return {
            id: `soak-${n % UPSERT_POOL}`,
            title: `${p.title} (soak ${n})`,
            description: p.description ?? null,
            brand: p.brand ?? null,
            price: Math.round((p.price + (n % 7)) * 100) / 100,
            currency: p.currency ?? 'EUR',
            inStock: n % 3 !== 0,
            styleId: `soak-style-${n % 16}`,
            attributes: Object.entries(p.attributes).map(([name, values]) => ({ name, values })),
            image: n % 2 === 0 ? { path: p.image } : { base64: picture.base64 },
          };
        });
        return {
          kind,
          body: JSON.stringify({ query: UPSERT_QUERY, operationName: 'SoakUpsert', variables: { products } }),
          headers: { authorization: `Bearer ${this.catalogKey}` },
          check: (data) => (data?.upsertProducts?.upserted === products.length ? null : 'BAD_ANSWER'),
        };
      }
      case 'events': {
        const s = this.pick(this.recent);
        const n = 1 + Math.floor(this.random() * Math.min(5, s.productIds.length));
        const events = s.productIds.slice(0, n).map((productId, i) => ({ searchId: s.searchId, type: 'IMPRESSION', productId, position: i + 1 }));
        const click = Math.floor(this.random() * n);
        events.push({ searchId: s.searchId, type: 'CLICK', productId: s.productIds[click], position: click + 1 });
        return {
          kind,
          body: JSON.stringify({ query: EVENTS_QUERY, operationName: 'SoakEvents', variables: { events } }),
          headers: {},
          check: (data) => (data?.recordSearchEvents?.recorded === events.length ? null : 'BAD_ANSWER'),
        };
      }
    }
  }
}

// ---- HTTP -------------------------------------------------------------------------------------

interface Answer {
  status: number;
  /** 'ok', or the code of what went wrong: an error code, HTTP_<status>, TIMEOUT, NETWORK_<code>. */
  outcome: string;
  ms: number;
  data?: any;
}

function request(port: number, method: string, pathname: string, options: { agent: http.Agent | false; body?: string; headers?: Record<string, string>; timeoutMs: number }) {
  return new Promise<{ status: number; text: string; ms: number } | { failure: string; ms: number }>((resolve) => {
    const started = performance.now();
    let settled = false;
    const done = (v: { status: number; text: string; ms: number } | { failure: string; ms: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const headers: Record<string, string | number> = { ...(options.headers ?? {}) };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, agent: options.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', (e: NodeJS.ErrnoException) => done({ failure: `NETWORK_${e.code ?? 'ERROR'}`, ms: performance.now() - started }));
    });
    const timer = setTimeout(() => {
      done({ failure: 'TIMEOUT', ms: performance.now() - started });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done({ failure: `NETWORK_${e.code ?? 'ERROR'}`, ms: performance.now() - started }));
    req.end(options.body);
  });
}

async function graphql(port: number, agent: http.Agent | false, call: Pick<Call, 'body' | 'headers' | 'check'>, timeoutMs: number): Promise<Answer> {
  const r = await request(port, 'POST', '/graphql', { agent, body: call.body, headers: call.headers, timeoutMs });
  if ('failure' in r) return { status: 0, outcome: r.failure, ms: r.ms };
  let json: any;
  try {
    json = JSON.parse(r.text);
  } catch {
    return { status: r.status, outcome: `HTTP_${r.status}_NOT_JSON`, ms: r.ms };
  }
  const errors: any[] = Array.isArray(json?.errors) ? json.errors : [];
  if (errors.length > 0) {
    const codes = [...new Set(errors.map((e) => (typeof e?.extensions?.code === 'string' ? e.extensions.code : 'NO_CODE')))];
    return { status: r.status, outcome: codes.join('+'), ms: r.ms };
  }
  if (r.status !== 200) return { status: r.status, outcome: `HTTP_${r.status}`, ms: r.ms };
  const problem = call.check(json.data);
  return { status: r.status, outcome: problem ?? 'ok', ms: r.ms, data: json.data };
}

// ---- the server process -----------------------------------------------------------------------

interface ServerProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  /** Null while running. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logLines(): { level: string; msg: string; line: string }[];
  tail(): string;
}

const SERVER_SETTINGS = (options: Options, dataDir: string, port: number): Record<string, string> => ({
  HOST: '127.0.0.1',
  PORT: String(port),
  DATA_DIR: dataDir,
  CATALOG_DIR: options.catalogDir,
  CATALOG_LIMIT: String(options.catalogLimit),
  IMAGE_DIR: options.catalogDir,
  MODELS_DIR: options.modelsDir,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_IMAGE_SEARCH: '0',
  RATE_LIMIT_CATALOG_WRITE: '0',
});

async function startServer(options: Options, dataDir: string): Promise<ServerProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, ...SERVER_SETTINGS(options, dataDir, port) };
  // Every other setting at its default, whatever the calling shell exports.
  for (const name of ['MICRO_BATCH', 'MAX_IN_FLIGHT', 'STORE', 'MODEL_ADAPTER', 'SEARCH_UNDERSTANDING', 'IMAGE_URL_ALLOW_PRIVATE', 'AUTH_SEARCH_REQUIRES_KEY', 'METRICS_REQUIRE_KEY']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  const lines: { level: string; msg: string; line: string }[] = [];
  let tail = '';
  const onChunk = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-8000);
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        const parsed = JSON.parse(line);
        lines.push({ level: String(parsed.level ?? 'unknown'), msg: String(parsed.msg ?? ''), line: line.slice(0, 2000) });
      } catch {
        lines.push({ level: 'unstructured', msg: line.slice(0, 300), line: line.slice(0, 2000) });
      }
    }
  };
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  return { port, pid: child.pid ?? -1, child, exit: () => exit, exited, logLines: () => lines, tail: () => tail };
}

async function waitReady(server: ServerProcess, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let lastReport = 0;
  while (performance.now() - started < timeoutMs) {
    const exit = server.exit();
    if (exit) throw new Error(`the server exited (code ${exit.code}, signal ${exit.signal}) before it was ready:\n${server.tail()}`);
    const r = await request(server.port, 'GET', '/readyz', { agent: false, timeoutMs: 5000 });
    if (!('failure' in r)) {
      if (r.status === 200) return (performance.now() - started) / 1000;
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        const checks = (() => {
          try {
            return JSON.stringify(JSON.parse(r.text).checks);
          } catch {
            return r.text.slice(0, 200);
          }
        })();
        console.error(`  waiting for /readyz (${Math.round((performance.now() - started) / 1000)} s): ${checks}`);
      }
    }
    await sleep(1000);
  }
  throw new Error(`the server was not ready within ${timeoutMs / 1000} s:\n${server.tail()}`);
}

function createCatalogKey(dataDir: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/keys.ts'), 'create', '--role', 'catalog', '--name', 'soak'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  const key = r.stdout.trim();
  if (r.status !== 0 || !key.startsWith('fsk_')) throw new Error(`npm run keys -- create --role catalog failed (exit ${r.status}): ${r.stderr}`);
  return key;
}

// ---- measurement ------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function median(values: number[]): number | null {
  return percentile([...values].sort((a, b) => a - b), 50);
}

const round = (n: number | null, digits = 1): number | null => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);

class KindStats {
  readonly latencies: number[] = [];
  readonly outcomes = new Map<string, number>();
  readonly firstErrors: string[] = [];

  add(a: Answer, kind: string): void {
    this.outcomes.set(a.outcome, (this.outcomes.get(a.outcome) ?? 0) + 1);
    if (a.outcome === 'ok') this.latencies.push(a.ms);
    else if (this.firstErrors.length < 5) this.firstErrors.push(`${kind}: ${a.outcome} (HTTP ${a.status}, ${Math.round(a.ms)} ms)`);
  }

  get count(): number {
    let n = 0;
    for (const v of this.outcomes.values()) n += v;
    return n;
  }

  get errors(): number {
    return this.count - (this.outcomes.get('ok') ?? 0);
  }

  summary(seconds: number) {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      requests: this.count,
      errors: this.errors,
      errorsByCode: Object.fromEntries([...this.outcomes].filter(([k]) => k !== 'ok')),
      perSecond: round(this.count / seconds, 2),
      p50Ms: round(percentile(sorted, 50)),
      p95Ms: round(percentile(sorted, 95)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted.length ? sorted[sorted.length - 1] : null),
      firstErrors: this.firstErrors,
    };
  }
}

/** Runs mixed traffic at `concurrency` until `until` (performance.now() ms); stops early when `abort()` says so. */
async function runTraffic(port: number, traffic: Traffic, concurrency: number, until: number, timeoutMs: number, abort: () => boolean) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const stats = new Map<Kind, KindStats>(KINDS.map((k) => [k, new KindStats()]));
  const all = new KindStats();
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < until && !abort()) {
      const call = traffic.next();
      const answer = await graphql(port, agent, call, timeoutMs);
      stats.get(call.kind)!.add(answer, call.kind);
      all.add(answer, call.kind);
      if (answer.outcome === 'ok' && call.kind !== 'upsert' && call.kind !== 'events') traffic.remember(answer.data);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: round(seconds, 1) as number,
    total: all.summary(seconds),
    kinds: Object.fromEntries(KINDS.map((k) => [k, stats.get(k)!.summary(seconds)])) as Record<Kind, ReturnType<KindStats['summary']>>,
  };
}

interface RssSample {
  t: number;
  phase: string;
  rssBytes: number;
  cpuSeconds: number | null;
}

async function sampleMetrics(port: number): Promise<{ rssBytes: number; cpuSeconds: number | null; text: string } | null> {
  const r = await request(port, 'GET', '/metrics', { agent: false, timeoutMs: 10_000 });
  if ('failure' in r || r.status !== 200) return null;
  const value = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(r.text);
    return m ? Number(m[1]) : null;
  };
  const rss = value('process_resident_memory_bytes');
  return rss === null ? null : { rssBytes: rss, cpuSeconds: value('process_cpu_seconds_total'), text: r.text };
}

/** Probes /healthz once a second (a new connection each time, as a liveness probe) and samples /metrics every 5 s, until stopped. */
function startMonitors(server: ServerProcess, t0: number, phase: () => string) {
  const probes: { t: number; phase: string; ms: number; ok: boolean; outcome: string }[] = [];
  const rss: RssSample[] = [];
  let running = true;
  const healthz = (async () => {
    while (running) {
      const next = performance.now() + 1000;
      const r = await request(server.port, 'GET', '/healthz', { agent: false, timeoutMs: 10_000 });
      const ok = !('failure' in r) && r.status === 200;
      probes.push({ t: (performance.now() - t0) / 1000, phase: phase(), ms: r.ms, ok, outcome: 'failure' in r ? r.failure : `HTTP_${r.status}` });
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  const metrics = (async () => {
    while (running) {
      const next = performance.now() + 5000;
      const m = await sampleMetrics(server.port);
      if (m) rss.push({ t: (performance.now() - t0) / 1000, phase: phase(), rssBytes: m.rssBytes, cpuSeconds: m.cpuSeconds });
      while (running && performance.now() < next) await sleep(Math.min(250, next - performance.now()));
    }
  })();
  return {
    probes,
    rss,
    async stop() {
      running = false;
      await Promise.all([healthz, metrics]);
    },
  };
}

function probeSummary(probes: { phase: string; ms: number; ok: boolean; outcome: string }[], phase: string) {
  const of = probes.filter((p) => p.phase === phase);
  const sorted = of.map((p) => p.ms).sort((a, b) => a - b);
  return {
    probes: of.length,
    failed: of.filter((p) => !p.ok).length,
    failures: [...new Set(of.filter((p) => !p.ok).map((p) => p.outcome))],
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    worstMs: round(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

/** `rounds` bursts of `size` simultaneous requests, each on a new connection. */
async function runBursts(port: number, traffic: Traffic, size: number, rounds: number, timeoutMs: number) {
  const results: {
    round: number;
    requests: number;
    seconds: number;
    results: number;
    overloaded503: number;
    overloadedOther: number;
    other: Record<string, number>;
    p50Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
  }[] = [];
  const readKinds: Kind[] = ['text', 'image-id', 'image-b64', 'composed'];
  for (let index = 1; index <= rounds; index++) {
    const calls = Array.from({ length: size }, (_, i) => traffic.next(readKinds[i % readKinds.length]));
    const started = performance.now();
    const answers = await Promise.all(calls.map((c) => graphql(port, false, c, timeoutMs)));
    const seconds = (performance.now() - started) / 1000;
    const other: Record<string, number> = {};
    let ok = 0;
    let shed = 0;
    let overloadedOther = 0;
    for (const a of answers) {
      if (a.outcome === 'ok') ok++;
      else if (a.outcome === 'OVERLOADED' && a.status === 503) shed++;
      else if (a.outcome === 'OVERLOADED') overloadedOther++;
      else other[`${a.outcome} (HTTP ${a.status})`] = (other[`${a.outcome} (HTTP ${a.status})`] ?? 0) + 1;
    }
    const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
    results.push({
      round: index,
      requests: size,
      seconds: round1(seconds),
      results: ok,
      overloaded503: shed,
      overloadedOther,
      other,
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1] ?? null),
    });
    console.error(`  burst ${index}/${rounds}: ${ok} results, ${shed} OVERLOADED (503), ${overloadedOther} OVERLOADED (other), ${Object.values(other).reduce((s, v) => s + v, 0)} other in ${seconds.toFixed(1)} s`);
    await sleep(2000);
  }
  return results;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

// ---- main -------------------------------------------------------------------------------------

interface Criterion {
  name: string;
  passed: boolean;
  detail: string;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const command = ['npm run soak', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const workload = buildWorkload(options.catalogDir, options.catalogLimit);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'soak-'));
  const loadAtStart = os.loadavg();
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  let phase = 'start-up';
  console.error(`soak: ${command}\n  starting the server (DATA_DIR ${dataDir}; catalogue ${path.relative(ROOT, options.catalogDir)})...`);
  const server = await startServer(options, dataDir);
  const criteria: Criterion[] = [];
  let report: Record<string, unknown> = {};
  try {
    const readySeconds = await waitReady(server, options.readyTimeoutMs);
    console.error(`  ready after ${readySeconds.toFixed(0)} s`);
    const catalogKey = createCatalogKey(dataDir);
    const infoAnswer = await graphql(
      server.port,
      false,
      {
        body: JSON.stringify({ query: '{ serviceInfo { index store productCount models { name version role } } ingestStatus { state catalogHash processed total } }' }),
        headers: {},
        check: () => null,
      },
      30_000,
    );
    const monitors = startMonitors(server, t0, () => phase);
    const serverDied = () => server.exit() !== null;
    const traffic = new Traffic(workload, catalogKey, 14);

    phase = 'warm-up';
    console.error(`  warm-up: ${options.warmupS} s at concurrency ${options.concurrency}`);
    const warmup = await runTraffic(server.port, traffic, options.concurrency, performance.now() + options.warmupS * 1000, options.requestTimeoutMs, serverDied);
    const cpuAtMain = (await sampleMetrics(server.port))?.cpuSeconds ?? null;

    phase = 'run';
    const mainStart = (performance.now() - t0) / 1000;
    console.error(`  run: ${options.durationS} s at concurrency ${options.concurrency}`);
    const run = await runTraffic(server.port, traffic, options.concurrency, performance.now() + options.durationS * 1000, options.requestTimeoutMs, serverDied);
    const mainEnd = (performance.now() - t0) / 1000;
    const cpuAfterMain = (await sampleMetrics(server.port))?.cpuSeconds ?? null;

    phase = 'burst';
    const bursts = serverDied() ? [] : await runBursts(server.port, traffic, options.burst, options.burstRounds, options.requestTimeoutMs);
    phase = 'after';
    const afterBurst = await sampleMetrics(server.port);
    // The server keeps serving after the bursts.
    const recovery = new KindStats();
    if (!serverDied()) {
      const agent = new http.Agent({ keepAlive: true });
      for (let i = 0; i < 10; i++) {
        const call = traffic.next(KINDS[i % 4]);
        recovery.add(await graphql(server.port, agent, call, options.requestTimeoutMs), call.kind);
      }
      agent.destroy();
    }
    await monitors.stop();
    const aliveBeforeStop = !serverDied();

    // Graceful stop.
    const stopStarted = performance.now();
    if (aliveBeforeStop) server.child.kill('SIGTERM');
    const killer = setTimeout(() => server.child.kill('SIGKILL'), 60_000);
    const exit = await server.exited;
    clearTimeout(killer);
    const stopSeconds = (performance.now() - stopStarted) / 1000;

    // Memory: the median of the samples in the first and in the last tenth of the measured run.
    const window = Math.max(5, options.durationS / 10);
    const runRss = monitors.rss.filter((s) => s.phase === 'run');
    const baseline = median(runRss.filter((s) => s.t <= mainStart + window).map((s) => s.rssBytes));
    const final = median(runRss.filter((s) => s.t >= mainEnd - window).map((s) => s.rssBytes));
    const growth = baseline !== null && final !== null ? final / baseline - 1 : null;
    const mib = (b: number | null | undefined) => (b == null ? null : Math.round(b / 1048576));
    const memory = {
      sampleEverySeconds: 5,
      windowSeconds: window,
      samples: monitors.rss.length,
      startOfRunMiB: mib(baseline),
      endOfRunMiB: mib(final),
      growth: growth === null ? null : Math.round(growth * 10000) / 10000,
      peakDuringRunMiB: mib(runRss.length ? Math.max(...runRss.map((s) => s.rssBytes)) : null),
      endOfWarmupMiB: mib(monitors.rss.filter((s) => s.phase === 'warm-up').at(-1)?.rssBytes),
      afterBurstMiB: mib(afterBurst?.rssBytes),
      series: monitors.rss.map((s) => ({ t: round1(s.t), phase: s.phase, rssMiB: mib(s.rssBytes) })),
    };
    const cpuCores = cpuAtMain !== null && cpuAfterMain !== null ? Math.round(((cpuAfterMain - cpuAtMain) / run.seconds) * 100) / 100 : null;
    const healthz = {
      'warm-up': probeSummary(monitors.probes, 'warm-up'),
      run: probeSummary(monitors.probes, 'run'),
      burst: probeSummary(monitors.probes, 'burst'),
    };
    const logs = server.logLines();
    const byLevel: Record<string, number> = {};
    for (const l of logs) byLevel[l.level] = (byLevel[l.level] ?? 0) + 1;
    const burstTotals = bursts.reduce(
      (s, b) => ({
        requests: s.requests + b.requests,
        results: s.results + b.results,
        overloaded503: s.overloaded503 + b.overloaded503,
        overloadedOther: s.overloadedOther + b.overloadedOther,
        other: s.other + Object.values(b.other).reduce((x, y) => x + y, 0),
      }),
      { requests: 0, results: 0, overloaded503: 0, overloadedOther: 0, other: 0 },
    );

    criteria.push(
      { name: 'no errors during warm-up', passed: warmup.total.errors === 0, detail: `${warmup.total.errors} of ${warmup.total.requests}${warmup.total.errors ? `: ${JSON.stringify(warmup.total.errorsByCode)}` : ''}` },
      { name: 'no errors during the run', passed: run.total.errors === 0 && run.total.requests > 0, detail: `${run.total.errors} of ${run.total.requests}${run.total.errors ? `: ${JSON.stringify(run.total.errorsByCode)}` : ''}` },
      {
        name: `resident memory growth after warm-up < ${Math.round(options.maxRssGrowth * 100)}%`,
        passed: growth !== null && growth < options.maxRssGrowth,
        detail: growth === null ? 'not measured' : `${memory.startOfRunMiB} MiB -> ${memory.endOfRunMiB} MiB (${(growth * 100).toFixed(1)}%)`,
      },
      ...(['warm-up', 'run', 'burst'] as const).map((p) => ({
        name: `/healthz answered within ${options.healthzMaxMs} ms (${p})`,
        passed: healthz[p].failed === 0 && (healthz[p].worstMs ?? 0) <= options.healthzMaxMs && (healthz[p].probes > 0 || (p === 'burst' && options.burstRounds === 0)),
        detail: `${healthz[p].probes} probes, ${healthz[p].failed} failed, worst ${healthz[p].worstMs} ms`,
      })),
      {
        name: 'burst answered with results or OVERLOADED only',
        passed: options.burstRounds === 0 || (burstTotals.other === 0 && burstTotals.results > 0 && bursts.length === options.burstRounds),
        detail: `${burstTotals.results} results, ${burstTotals.overloaded503} OVERLOADED (503), ${burstTotals.overloadedOther} OVERLOADED (other), ${burstTotals.other} other of ${burstTotals.requests}`,
      },
      { name: 'serves again after the bursts', passed: recovery.count === 10 && recovery.errors === 0, detail: `${recovery.count - recovery.errors} of 10 requests answered` },
      { name: 'server process alive until SIGTERM', passed: aliveBeforeStop, detail: aliveBeforeStop ? 'alive' : `exited early: code ${exit.code}, signal ${exit.signal}` },
      { name: 'clean exit on SIGTERM', passed: aliveBeforeStop && exit.code === 0, detail: `code ${exit.code}, signal ${exit.signal}, after ${stopSeconds.toFixed(1)} s` },
      { name: 'no error-level log lines', passed: (byLevel.error ?? 0) === 0, detail: `${byLevel.error ?? 0} error, ${byLevel.warn ?? 0} warn` },
    );

    const catalogHash = createHash('sha256').update(readFileSync(path.join(options.catalogDir, 'products.jsonl'))).digest('hex');
    report = {
      benchmark: 'soak',
      command,
      startedAt,
      finishedAt: new Date().toISOString(),
      passed: criteria.every((c) => c.passed),
      criteria,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 1073741824),
        node: process.version,
        loadAverageAtStart: loadAtStart.map((l) => round1(l)),
        loadAverageAtEnd: os.loadavg().map((l) => round1(l)),
      },
      server: {
        settings: SERVER_SETTINGS(options, '<temporary>', 0),
        readySeconds: round1(readySeconds),
        service: infoAnswer.data?.serviceInfo ?? null,
        ingest: infoAnswer.data?.ingestStatus ?? null,
        catalog: { dir: path.relative(ROOT, options.catalogDir), productsSha256: catalogHash, limit: options.catalogLimit },
        cpuCoresUsedDuringRun: cpuCores,
        exit: { ...exit, stopSeconds: round1(stopSeconds) },
        logLevels: byLevel,
        firstLogLines: logs.slice(0, 20).map((l) => l.line),
      },
      settings: {
        durationS: options.durationS,
        warmupS: options.warmupS,
        concurrency: options.concurrency,
        burst: options.burst,
        burstRounds: options.burstRounds,
        requestTimeoutS: options.requestTimeoutMs / 1000,
        mix: MIX,
        upsert: { batch: UPSERT_BATCH, pool: UPSERT_POOL },
      },
      warmup,
      run,
      memory,
      healthz,
      bursts,
      burstTotals,
      recovery: recovery.summary(1),
    };
  } catch (error) {
    criteria.push({ name: 'the soak ran to its end', passed: false, detail: (error as Error).message.slice(0, 2000) });
    report = { benchmark: 'soak', command, startedAt, passed: false, criteria, serverLogTail: server.tail() };
    if (!server.exit()) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  mkdirSync(options.out, { recursive: true });
  writeFileSync(path.join(options.out, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report, criteria);
  writeFileSync(path.join(options.out, 'soak.md'), `${markdown}\n`);
  console.log(markdown);
  console.error(`soak: ${criteria.every((c) => c.passed) ? 'PASSED' : 'FAILED'}; wrote ${path.join(options.out, 'soak.json')} and soak.md`);
  process.exit(criteria.every((c) => c.passed) ? 0 : 1);
}

function renderMarkdown(report: any, criteria: Criterion[]): string {
  const lines: string[] = [];
  lines.push(`Command: \`${report.command}\` (${report.startedAt?.slice(0, 16).replace('T', ' ')} UTC): **${report.passed ? 'passed' : 'FAILED'}**.`);
  if (report.machine) {
    const m = report.machine;
    const s = report.server;
    const models = (s.service?.models ?? []).map((x: any) => `${x.name}@${x.version}`).join(', ');
    lines.push(
      `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(' / ')}, at end ${m.loadAverageAtEnd.join(' / ')}.  `,
      `Server: \`src/main.ts\` in a child process, index ${s.service?.index ?? '?'}, models ${models || '?'}, ${s.service?.productCount ?? '?'} products (${s.catalog.dir}, products.jsonl sha256 ${s.catalog.productsSha256.slice(0, 12)}), ready after ${s.readySeconds} s; ` +
        `RATE_LIMIT_IMAGE_SEARCH=0, RATE_LIMIT_CATALOG_WRITE=0, everything else default (MAX_IN_FLIGHT 64, micro-batcher on).  `,
      `Load: ${report.settings.warmupS} s warm-up, then ${report.settings.durationS} s at concurrency ${report.settings.concurrency} (${report.run.total.requests} requests, ${report.run.total.perSecond} req/s; server CPU ${report.server.cpuCoresUsedDuringRun ?? '?'} cores); mix ${Object.entries(report.settings.mix)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ')}.`,
      '',
      '| kind | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const row = (name: string, k: any) =>
      `| ${name} | ${k.requests} | ${k.errors}${k.errors ? ` (${Object.entries(k.errorsByCode).map(([c, n]) => `${c} ${n}`).join(', ')})` : ''} | ${k.perSecond} | ${k.p50Ms ?? '-'} | ${k.p95Ms ?? '-'} | ${k.p99Ms ?? '-'} | ${k.maxMs ?? '-'} |`;
    for (const [name, k] of Object.entries(report.run.kinds)) lines.push(row(name, k));
    lines.push(row('**all**', report.run.total));
    lines.push(
      '',
      `Resident memory (median of 5-s samples over the first and the last ${report.memory.windowSeconds} s of the run): ${report.memory.startOfRunMiB} MiB -> ${report.memory.endOfRunMiB} MiB, growth ${report.memory.growth === null ? '?' : `${(report.memory.growth * 100).toFixed(1)}%`}; peak ${report.memory.peakDuringRunMiB} MiB; after the bursts ${report.memory.afterBurstMiB} MiB.`,
      '',
      '| /healthz (1 probe a second, new connection) | probes | failed | p50 ms | p99 ms | worst ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...Object.entries(report.healthz).map(([p, h]: [string, any]) => `| ${p} | ${h.probes} | ${h.failed} | ${h.p50Ms ?? '-'} | ${h.p99Ms ?? '-'} | ${h.worstMs ?? '-'} |`),
      '',
      `Bursts: ${report.settings.burstRounds} rounds of ${report.settings.burst} simultaneous requests, each on a new connection (text, image by id, uploaded image, composed in turn):`,
      '',
      '| round | requests | results | OVERLOADED (503) | OVERLOADED (other) | other | p50 ms | p99 ms | max ms | seconds |',
      '| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
      ...report.bursts.map(
        (b: any) =>
          `| ${b.round} | ${b.requests} | ${b.results} | ${b.overloaded503} | ${b.overloadedOther} | ${Object.keys(b.other).length ? Object.entries(b.other).map(([c, n]) => `${c} ${n}`).join(', ') : '0'} | ${b.p50Ms} | ${b.p99Ms} | ${b.maxMs} | ${b.seconds} |`,
      ),
      '',
    );
  }
  lines.push('| criterion | result | detail |', '| --- | --- | --- |', ...criteria.map((c) => `| ${c.name} | ${c.passed ? 'pass' : '**FAIL**'} | ${c.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`));
  return lines.join('\n');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
