/**
 * Filtered k-NN benchmark: the embedded store (HNSW + exact re-scoring, exact scoring for small
 * filtered subsets) against LanceDB's flat filtered search and a plain brute-force scan, on the
 * same seeded random vectors, payloads and filters (keeping ~5% and ~50% of the products).
 *
 *   npm run bench:knn -- [--n 20000] [--dims 128,512] [--queries 100] [--k 10] [--seed 1]
 *
 * Writes bench/results/knn.json and prints a markdown table: recall@k against brute force and
 * latency p50/p95 per query, plus ingest and graph build times. Engines: the embedded store as
 * configured (auto: exact scoring within its budget, else HNSW), forced exact, forced HNSW,
 * LanceDB without a vector index (flat, prefiltered), and a plain JavaScript scan.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import type { Filter } from '../src/domain/filter';
import type { Product } from '../src/domain/product';
import { DEFAULT_EXACT_BUDGET, EmbeddedStore } from '../src/stores/embedded/embedded.store';
import { DEFAULT_HNSW } from '../src/stores/embedded/vector-space';
import { seededRandom } from './support';

interface Args {
  n: number;
  dims: number[];
  queries: number;
  k: number;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { n: 20_000, dims: [128, 512], queries: 100, k: 10, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    const num = (what: string) => {
      const x = Number(value);
      if (!Number.isInteger(x) || x < 1) throw new Error(`${flag} needs a positive integer, got ${JSON.stringify(value)}`);
      return x;
    };
    if (flag === '--n') args.n = num('n');
    else if (flag === '--queries') args.queries = num('queries');
    else if (flag === '--k') args.k = num('k');
    else if (flag === '--seed') args.seed = num('seed');
    else if (flag === '--dims') {
      args.dims = String(value).split(',').map(Number);
      if (args.dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`--dims needs a comma-separated list of positive integers, got ${JSON.stringify(value)}`);
    } else throw new Error(`unknown flag ${flag}; known: --n --dims --queries --k --seed`);
  }
  return args;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function unit(rand: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let s = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = gaussian(rand);
    s += v[i] * v[i];
  }
  const norm = Math.sqrt(s);
  for (let i = 0; i < dim; i++) v[i] /= norm;
  return v;
}

interface Dataset {
  ids: string[];
  vectors: Float32Array[];
  sel5: boolean[];
  sel50: boolean[];
  queries: Float32Array[];
}

function dataset(n: number, dim: number, queries: number, seed: number): Dataset {
  const rand = seededRandom(seed * 1000 + dim);
  const ids = Array.from({ length: n }, (_, i) => `p${String(i).padStart(7, '0')}`);
  return {
    ids,
    vectors: ids.map(() => unit(rand, dim)),
    sel5: ids.map(() => rand() < 0.05),
    sel50: ids.map(() => rand() < 0.5),
    queries: Array.from({ length: queries }, () => unit(rand, dim)),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface Row {
  dim: number;
  filter: string;
  engine: string;
  recall: number;
  p50ms: number;
  p95ms: number;
}

type FilterName = 'none' | '5%' | '50%';

async function measure(queries: Float32Array[], truth: string[][], k: number, run: (q: Float32Array) => Promise<string[]>) {
  await run(queries[0]); // warm-up
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < queries.length; i++) {
    const t0 = performance.now();
    const got = await run(queries[i]);
    times.push(performance.now() - t0);
    const want = new Set(truth[i]);
    found += got.slice(0, k).filter((id) => want.has(id)).length;
  }
  times.sort((a, b) => a - b);
  const denominator = truth.reduce((s, t) => s + t.length, 0);
  return { recall: denominator === 0 ? 1 : found / denominator, p50ms: percentile(times, 0.5), p95ms: percentile(times, 0.95) };
}

function bruteForce(data: Dataset, keep: (i: number) => boolean, q: Float32Array, k: number): string[] {
  const scored: { i: number; s: number }[] = [];
  const dim = q.length;
  for (let i = 0; i < data.vectors.length; i++) {
    if (!keep(i)) continue;
    const v = data.vectors[i];
    let s = 0;
    for (let j = 0; j < dim; j++) s += q[j] * v[j];
    scored.push({ i, s });
  }
  scored.sort((a, b) => b.s - a.s);
  return scored.slice(0, k).map((x) => data.ids[x.i]);
}

async function benchDimension(args: Args, dim: number, work: string): Promise<{ rows: Row[]; ingestS: number; graphS: number; lanceIngestS: number }> {
  const { n, k } = args;
  process.stderr.write(`[${dim}-d] generating ${n} vectors\n`);
  const data = dataset(n, dim, args.queries, args.seed);

  const filters: Record<FilterName, { keep: (i: number) => boolean; store?: Filter; lance?: string }> = {
    none: { keep: () => true },
    '5%': { keep: (i) => data.sel5[i], store: { must: [{ kind: 'match', key: 'sel5', value: 'in' }] }, lance: "sel5 = 'in'" },
    '50%': { keep: (i) => data.sel50[i], store: { must: [{ kind: 'match', key: 'sel50', value: 'in' }] }, lance: "sel50 = 'in'" },
  };

  process.stderr.write(`[${dim}-d] embedded store: ingest\n`);
  const store = new EmbeddedStore({ directory: join(work, `embedded-${dim}`) });
  await store.open({ image: dim });
  let t0 = performance.now();
  const product = (i: number): Product => ({
    id: data.ids[i],
    title: `Product ${i}`,
    description: '',
    brand: `brand-${i % 50}`,
    price: i % 200,
    currency: 'EUR',
    inStock: i % 3 !== 0,
    imageUrl: '',
    attributes: { sel5: [data.sel5[i] ? 'in' : 'out'], sel50: [data.sel50[i] ? 'in' : 'out'], category: [`c${i % 20}`] },
  });
  for (let start = 0; start < n; start += 1000) {
    const items = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) items.push({ product: product(i), vectors: { image: data.vectors[i] } });
    await store.upsert(items);
  }
  const ingestS = (performance.now() - t0) / 1000;
  process.stderr.write(`[${dim}-d] embedded store: building the HNSW graph\n`);
  t0 = performance.now();
  await store.flushIndex();
  const graphS = (performance.now() - t0) / 1000;

  process.stderr.write(`[${dim}-d] LanceDB: ingest\n`);
  t0 = performance.now();
  const db = await lancedb.connect(join(work, `lance-${dim}`));
  const table = await db.createTable(
    'products',
    data.ids.map((id, i) => ({ id, vector: Array.from(data.vectors[i]), sel5: data.sel5[i] ? 'in' : 'out', sel50: data.sel50[i] ? 'in' : 'out' })),
  );
  const lanceIngestS = (performance.now() - t0) / 1000;

  const rows: Row[] = [];
  const truths = new Map<FilterName, string[][]>();
  const embeddedRun = (s: EmbeddedStore, f: (typeof filters)[FilterName], exact: boolean) => async (q: Float32Array) =>
    (await s.search({ dense: [{ space: 'image', vector: q }], filter: f.store, limit: k, exact })).map((h) => h.id);
  for (const [name, f] of Object.entries(filters) as [FilterName, (typeof filters)[FilterName]][]) {
    process.stderr.write(`[${dim}-d] filter ${name}: queries\n`);
    const truth = data.queries.map((q) => bruteForce(data, f.keep, q, k));
    truths.set(name, truth);
    const add = (engine: string, r: { recall: number; p50ms: number; p95ms: number }) => rows.push({ dim, filter: name, engine, ...r });
    add('embedded (auto)', await measure(data.queries, truth, k, embeddedRun(store, f, false)));
    add('embedded (exact)', await measure(data.queries, truth, k, embeddedRun(store, f, true)));
    add('lancedb (flat)', await measure(data.queries, truth, k, async (q) => {
      let query = table.vectorSearch(Array.from(q)).distanceType('cosine').select(['id', '_distance']).limit(k);
      if (f.lance) query = query.where(f.lance);
      return ((await query.toArray()) as { id: string }[]).map((r) => r.id);
    }));
    add('brute force (js)', await measure(data.queries, truth, k, async (q) => bruteForce(data, f.keep, q, k)));
  }
  await store.close();
  table.close();
  db.close();

  // The same store reopened (graph loaded from its checkpoint) with exact scoring disabled: the HNSW path alone.
  const graphOnly = new EmbeddedStore({ directory: join(work, `embedded-${dim}`), exactBudget: 0 });
  await graphOnly.open({ image: dim });
  for (const [name, f] of Object.entries(filters) as [FilterName, (typeof filters)[FilterName]][]) {
    const r = await measure(data.queries, truths.get(name)!, k, embeddedRun(graphOnly, f, false));
    rows.splice(rows.findIndex((x) => x.dim === dim && x.filter === name && x.engine === 'embedded (exact)') + 1, 0, { dim, filter: name, engine: 'embedded (hnsw only)', ...r });
  }
  await graphOnly.close();
  return { rows, ingestS, graphS, lanceIngestS };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'knn-bench-'));
  const results: { dim: number; ingestS: number; graphS: number; lanceIngestS: number }[] = [];
  const rows: Row[] = [];
  try {
    for (const dim of args.dims) {
      const r = await benchDimension(args, dim, work);
      rows.push(...r.rows);
      results.push({ dim, ingestS: r.ingestS, graphS: r.graphS, lanceIngestS: r.lanceIngestS });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const report = {
    benchmark: 'knn',
    date: new Date().toISOString(),
    data: { kind: 'seeded random unit vectors (Gaussian)', n: args.n, dims: args.dims, queries: args.queries, k: args.k, seed: args.seed, filters: { '5%': 'sel5 = in', '50%': 'sel50 = in' } },
    environment: { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length },
    embedded: { hnsw: DEFAULT_HNSW, exactBudget: DEFAULT_EXACT_BUDGET },
    build: results,
    rows,
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'knn.json'), `${JSON.stringify(report, null, 2)}\n`);

  const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const lines = [
    `Filtered k-NN, N = ${args.n}, ${args.queries} queries, k = ${args.k}, seed ${args.seed} (${report.environment.cores} cores, Node ${process.version})`,
    '',
    `| dim | filter | engine | recall@${args.k} | p50 ms | p95 ms | p50 vs lancedb |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const lance = rows.find((x) => x.dim === r.dim && x.filter === r.filter && x.engine === 'lancedb (flat)')!;
    lines.push(`| ${r.dim} | ${r.filter} | ${r.engine} | ${fmt(r.recall, 3)} | ${fmt(r.p50ms)} | ${fmt(r.p95ms)} | ${fmt(r.p50ms / lance.p50ms, 3)}x |`);
  }
  lines.push('', '| dim | embedded ingest s | HNSW build s | lancedb ingest s |', '| --- | --- | --- | --- |');
  for (const b of results) lines.push(`| ${b.dim} | ${fmt(b.ingestS)} | ${fmt(b.graphS)} | ${fmt(b.lanceIngestS)} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
