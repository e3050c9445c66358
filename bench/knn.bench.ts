/**
 * Filtered k-NN benchmark: the embedded store (HNSW + exact re-scoring, exact scoring for small
 * filtered subsets) against LanceDB's flat filtered search and a plain brute-force scan, on the
 * same vectors, payloads and filters.
 *
 *   npm run bench:knn -- [--n 20000] [--dims 128,512] [--queries 100] [--k 10] [--seed 1]
 *   npm run bench:knn -- --vectors-from DATA_DIR [--queries 100] [--k 10] [--seed 1]
 *
 * Without `--vectors-from`: seeded random unit vectors (Gaussian), with filters keeping ~5% and ~50%
 * of the products.
 *
 * With `--vectors-from DATA_DIR`: the image vectors an embedded store holds (e.g. the server's
 * DATA_DIR after ingesting the full catalogue, `npm run bench:scale`), read through the store from a
 * copy of it (the directory itself is only read). `--queries` products drawn at random (seeded) are
 * held out: their vectors are the queries and they are deleted from the copy. Filters come from the
 * products' attributes: the category whose share is closest to 10%, and in stock. The embedded
 * engines search the copy with the HNSW graph the server built; `--n` and `--dims` do not apply.
 *
 * Writes bench/results/knn.json (knn-real.json with `--vectors-from`) and prints a markdown table:
 * recall@k against brute force and latency p50/p95 per query, plus ingest and graph build times.
 * Engines: the embedded store as configured (auto: exact scoring within its budget, else HNSW),
 * forced exact, forced HNSW, LanceDB without a vector index (flat, prefiltered), and a plain
 * JavaScript scan.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import Database from 'better-sqlite3';
import type { Filter } from '../src/domain/filter';
import type { Product } from '../src/domain/product';
import { DEFAULT_EXACT_BUDGET, EmbeddedStore } from '../src/stores/embedded/embedded.store';
import { DEFAULT_HNSW } from '../src/stores/embedded/vector-space';
import { benchCommand, percentile, seededRandom, writeResults } from './support';

interface Args {
  n: number;
  dims: number[];
  queries: number;
  k: number;
  seed: number;
  vectorsFrom: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { n: 20_000, dims: [128, 512], queries: 100, k: 10, seed: 1, vectorsFrom: null };
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
    else if (flag === '--vectors-from') {
      args.vectorsFrom = resolve(String(value));
      if (!existsSync(args.vectorsFrom)) throw new Error(`--vectors-from: no directory ${args.vectorsFrom}`);
    } else if (flag === '--dims') {
      args.dims = String(value).split(',').map(Number);
      if (args.dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`--dims needs a comma-separated list of positive integers, got ${JSON.stringify(value)}`);
    } else throw new Error(`unknown flag ${flag}; known: --n --dims --queries --k --seed --vectors-from`);
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

/** A filter of the benchmark: by index in the dataset, in the store's terms and in LanceDB's. */
interface FilterSpec {
  name: string;
  keep: (i: number) => boolean;
  store?: Filter;
  lance?: string;
}

interface Dataset {
  ids: string[];
  vectors: Float32Array[];
  queries: Float32Array[];
  filters: FilterSpec[];
  /** Payload columns of product i: LanceDB's rows, and the attributes of generated products. */
  columns: (i: number) => Record<string, string | boolean>;
}

function dataset(n: number, dim: number, queries: number, seed: number): Dataset {
  const rand = seededRandom(seed * 1000 + dim);
  const ids = Array.from({ length: n }, (_, i) => `p${String(i).padStart(7, '0')}`);
  const vectors = ids.map(() => unit(rand, dim));
  const sel5 = ids.map(() => rand() < 0.05);
  const sel50 = ids.map(() => rand() < 0.5);
  return {
    ids,
    vectors,
    queries: Array.from({ length: queries }, () => unit(rand, dim)),
    filters: [
      { name: 'none', keep: () => true },
      { name: '5%', keep: (i) => sel5[i], store: { must: [{ kind: 'match', key: 'sel5', value: 'in' }] }, lance: "sel5 = 'in'" },
      { name: '50%', keep: (i) => sel50[i], store: { must: [{ kind: 'match', key: 'sel50', value: 'in' }] }, lance: "sel50 = 'in'" },
    ],
    columns: (i) => ({ sel5: sel5[i] ? 'in' : 'out', sel50: sel50[i] ? 'in' : 'out' }),
  };
}

/**
 * Copies an embedded store directory: its database through SQLite's online backup (consistent; the
 * source is only read) and the store's other files (graph files and their checkpoints) as they are.
 * The other SQLite databases and JSON files of a server DATA_DIR (events, keys, ingest state) stay.
 */
async function copyStore(from: string, to: string): Promise<void> {
  mkdirSync(to, { recursive: true });
  const database = new EmbeddedStore({ directory: from }).databaseFile;
  for (const name of readdirSync(from)) {
    const file = join(from, name);
    if (!statSync(file).isFile() || /\.sqlite(-wal|-shm|-journal)?$/.test(name) || (name.endsWith('.json') && !name.includes('.hnsw'))) continue;
    copyFileSync(file, join(to, name));
  }
  const source = new Database(database, { readonly: true, fileMustExist: true });
  try {
    await source.backup(join(to, database.slice(from.length + 1)));
  } finally {
    source.close();
  }
}

/**
 * The image vectors and attributes of an open store's products, with `queries` products (a seeded
 * sample) held out: deleted from the store, their vectors the queries.
 */
async function storeDataset(store: EmbeddedStore, queries: number, seed: number): Promise<Dataset> {
  const all: { id: string; vector: Float32Array; category: string; inStock: boolean }[] = [];
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<EmbeddedStore['scroll']>> = await store.scroll({ after, limit: 10_000, withVectors: true });
    for (const { product, vectors } of page.items) {
      if (vectors.image) all.push({ id: product.id, vector: new Float32Array(vectors.image), category: product.attributes.category?.[0] ?? '', inStock: product.inStock });
    }
    after = page.next;
  } while (after);
  if (all.length <= queries) throw new Error(`the store holds ${all.length} image vectors, not more than --queries ${queries}`);

  const rand = seededRandom(seed);
  const held = new Set<number>();
  while (held.size < queries) held.add(Math.floor(rand() * all.length));
  await store.delete([...held].map((i) => all[i].id));
  const kept = all.filter((_, i) => !held.has(i));

  const counts = new Map<string, number>();
  for (const p of kept) if (p.category) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
  const distance = (count: number) => Math.abs(count / kept.length - 0.1);
  const [category] = [...counts].sort((a, b) => distance(a[1]) - distance(b[1]) || a[0].localeCompare(b[0]))[0];
  const share = (keep: (i: number) => boolean) => `${((100 * kept.filter((_, i) => keep(i)).length) / kept.length).toFixed(1)}%`;
  const inCategory = (i: number) => kept[i].category === category;
  const inStock = (i: number) => kept[i].inStock;
  return {
    ids: kept.map((p) => p.id),
    vectors: kept.map((p) => p.vector),
    queries: [...held].map((i) => all[i].vector),
    filters: [
      { name: 'none', keep: () => true },
      { name: `category = ${category} (${share(inCategory)})`, keep: inCategory, store: { must: [{ kind: 'match', key: 'category', value: category }] }, lance: `category = '${category}'` },
      { name: `in stock (${share(inStock)})`, keep: inStock, store: { must: [{ kind: 'match', key: 'inStock', value: true }] }, lance: 'inStock = true' },
    ],
    columns: (i) => ({ category: kept[i].category, inStock: kept[i].inStock }),
  };
}

interface Row {
  dim: number;
  filter: string;
  engine: string;
  recall: number;
  p50ms: number;
  p95ms: number;
}

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
  return { recall: denominator === 0 ? 1 : found / denominator, p50ms: percentile(times, 50), p95ms: percentile(times, 95) };
}

/** Every kept vector scored; the k best kept in a sorted array (no sort of all scores). */
function bruteForce(data: Dataset, keep: (i: number) => boolean, q: Float32Array, k: number): string[] {
  const best: { i: number; s: number }[] = [];
  const dim = q.length;
  for (let i = 0; i < data.vectors.length; i++) {
    if (!keep(i)) continue;
    const v = data.vectors[i];
    let s = 0;
    for (let j = 0; j < dim; j++) s += q[j] * v[j];
    if (best.length === k && s <= best[k - 1].s) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].s < s) at--;
    best.splice(at, 0, { i, s });
    if (best.length > k) best.pop();
  }
  return best.map((x) => data.ids[x.i]);
}

/** A generated dataset in a new embedded store: products with the dataset's columns as attributes. */
async function buildStore(data: Dataset, dim: number, directory: string): Promise<{ store: EmbeddedStore; ingestS: number; graphS: number }> {
  const store = new EmbeddedStore({ directory });
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
    attributes: { ...Object.fromEntries(Object.entries(data.columns(i)).map(([key, value]) => [key, [String(value)]])), category: [`c${i % 20}`] },
  });
  const n = data.ids.length;
  for (let start = 0; start < n; start += 1000) {
    const items = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) items.push({ product: product(i), vectors: { image: data.vectors[i] } });
    await store.upsert(items);
  }
  const ingestS = (performance.now() - t0) / 1000;
  process.stderr.write(`[${dim}-d] embedded store: building the HNSW graph\n`);
  t0 = performance.now();
  await store.flushIndex();
  return { store, ingestS, graphS: (performance.now() - t0) / 1000 };
}

/**
 * Every engine on every filter of `data`; `store` is open on `directory` and is closed here, then
 * reopened with exact scoring disabled (graph loaded from its checkpoint): the HNSW path alone.
 */
async function benchEngines(data: Dataset, dim: number, k: number, store: EmbeddedStore, directory: string, work: string): Promise<{ rows: Row[]; lanceIngestS: number }> {
  process.stderr.write(`[${dim}-d] LanceDB: ingest\n`);
  const t0 = performance.now();
  const db = await lancedb.connect(join(work, `lance-${dim}`));
  const lanceRows = (from: number, to: number) =>
    data.ids.slice(from, to).map((id, j) => ({ id, vector: Array.from(data.vectors[from + j]), ...data.columns(from + j) }));
  const BATCH = 50_000;
  const table = await db.createTable('products', lanceRows(0, BATCH));
  for (let from = BATCH; from < data.ids.length; from += BATCH) await table.add(lanceRows(from, from + BATCH));
  const lanceIngestS = (performance.now() - t0) / 1000;

  const rows: Row[] = [];
  const truths = new Map<string, string[][]>();
  const embeddedRun = (s: EmbeddedStore, f: FilterSpec, exact: boolean) => async (q: Float32Array) =>
    (await s.search({ dense: [{ space: 'image', vector: q }], filter: f.store, limit: k, exact })).map((h) => h.id);
  for (const f of data.filters) {
    process.stderr.write(`[${dim}-d] filter ${f.name}: queries\n`);
    const truth = data.queries.map((q) => bruteForce(data, f.keep, q, k));
    truths.set(f.name, truth);
    const add = (engine: string, r: { recall: number; p50ms: number; p95ms: number }) => rows.push({ dim, filter: f.name, engine, ...r });
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

  const graphOnly = new EmbeddedStore({ directory, exactBudget: 0 });
  await graphOnly.open({ image: dim });
  for (const f of data.filters) {
    const r = await measure(data.queries, truths.get(f.name)!, k, embeddedRun(graphOnly, f, false));
    rows.splice(rows.findIndex((x) => x.dim === dim && x.filter === f.name && x.engine === 'embedded (exact)') + 1, 0, { dim, filter: f.name, engine: 'embedded (hnsw only)', ...r });
  }
  await graphOnly.close();
  return { rows, lanceIngestS };
}

interface Build {
  dim: number;
  ingestS: number | null;
  graphS: number | null;
  lanceIngestS: number;
}

async function benchDimension(args: Args, dim: number, work: string): Promise<{ rows: Row[]; build: Build }> {
  process.stderr.write(`[${dim}-d] generating ${args.n} vectors\n`);
  const data = dataset(args.n, dim, args.queries, args.seed);
  process.stderr.write(`[${dim}-d] embedded store: ingest\n`);
  const directory = join(work, `embedded-${dim}`);
  const { store, ingestS, graphS } = await buildStore(data, dim, directory);
  const { rows, lanceIngestS } = await benchEngines(data, dim, args.k, store, directory, work);
  return { rows, build: { dim, ingestS, graphS, lanceIngestS } };
}

async function benchStoreVectors(args: Args, from: string, work: string): Promise<{ rows: Row[]; build: Build; data: Record<string, unknown> }> {
  const directory = join(work, 'embedded-copy');
  process.stderr.write(`copying the store at ${from}\n`);
  let t0 = performance.now();
  await copyStore(from, directory);
  const copyS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const store = new EmbeddedStore({ directory });
  await store.open({});
  const openS = (performance.now() - t0) / 1000;
  const data = await storeDataset(store, args.queries, args.seed);
  const dim = data.vectors[0].length;
  process.stderr.write(`${data.ids.length} image vectors of dimension ${dim}, ${data.queries.length} held out as queries; store copied in ${copyS.toFixed(1)} s, opened in ${openS.toFixed(1)} s\n`);
  const { rows, lanceIngestS } = await benchEngines(data, dim, args.k, store, directory, work);
  const description = {
    kind: 'image vectors of an embedded store',
    from,
    n: data.ids.length,
    dim,
    queries: `${data.queries.length} products held out (seed ${args.seed}), their image vectors`,
    k: args.k,
    filters: data.filters.map((f) => f.name),
    storeCopyS: copyS,
    storeOpenS: openS,
  };
  return { rows, build: { dim, ingestS: null, graphS: null, lanceIngestS }, data: description };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'knn-bench-'));
  const builds: Build[] = [];
  const rows: Row[] = [];
  let data: Record<string, unknown> = {
    kind: 'seeded random unit vectors (Gaussian)',
    n: args.n,
    dims: args.dims,
    queries: args.queries,
    k: args.k,
    seed: args.seed,
    filters: { '5%': 'sel5 = in', '50%': 'sel50 = in' },
  };
  try {
    if (args.vectorsFrom) {
      const r = await benchStoreVectors(args, args.vectorsFrom, work);
      rows.push(...r.rows);
      builds.push(r.build);
      data = r.data;
    } else {
      for (const dim of args.dims) {
        const r = await benchDimension(args, dim, work);
        rows.push(...r.rows);
        builds.push(r.build);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const report = {
    benchmark: 'knn',
    date: new Date().toISOString(),
    command: benchCommand('bench:knn'),
    data,
    environment: { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length },
    embedded: { hnsw: DEFAULT_HNSW, exactBudget: DEFAULT_EXACT_BUDGET },
    build: builds,
    rows,
  };
  writeResults(args.vectorsFrom ? 'knn-real' : 'knn', report);

  const fmt = (x: number | null, d = 2) => (x !== null && Number.isFinite(x) ? x.toFixed(d) : '-');
  const n = args.vectorsFrom ? (data.n as number) : args.n;
  const lines = [
    `Filtered k-NN, N = ${n}${args.vectorsFrom ? ` real image vectors from ${args.vectorsFrom}` : ''}, ${args.queries} queries, k = ${args.k}, seed ${args.seed} (${report.environment.cores} cores, Node ${process.version})`,
    '',
    `| dim | filter | engine | recall@${args.k} | p50 ms | p95 ms | p50 vs lancedb |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const lance = rows.find((x) => x.dim === r.dim && x.filter === r.filter && x.engine === 'lancedb (flat)')!;
    lines.push(`| ${r.dim} | ${r.filter} | ${r.engine} | ${fmt(r.recall, 3)} | ${fmt(r.p50ms)} | ${fmt(r.p95ms)} | ${fmt(r.p50ms / lance.p50ms, 3)}x |`);
  }
  lines.push('', '| dim | embedded ingest s | HNSW build s | lancedb ingest s |', '| --- | --- | --- | --- |');
  for (const b of builds) lines.push(`| ${b.dim} | ${fmt(b.ingestS)} | ${fmt(b.graphS)} | ${fmt(b.lanceIngestS)} |`);
  if (args.vectorsFrom) lines.push('', `The embedded store is a copy of the ingested one (graph built by the server): copied in ${fmt(data.storeCopyS as number, 1)} s, opened in ${fmt(data.storeOpenS as number, 1)} s.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
