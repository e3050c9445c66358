/**
 * Lexical top-k benchmark: the embedded store's lexical index (postings with block-max MaxScore
 * pruning) against the FTS5 path it replaced, FTS5 with a bounded `ORDER BY rank LIMIT k`, the same
 * postings scored exhaustively, and the npm engines minisearch, flexsearch and @orama/orama, all on
 * the same catalogue texts and sampled queries.
 *
 *   npm run bench:lexical -- [--catalog data/catalog] [--n 350000] [--queries 1000] [--k 10]
 *                            [--library-queries 100] [--seed 1]
 *                            [--engines index,exhaustive,fts5-all,fts5-rank,minisearch,flexsearch,orama]
 *
 * Reads only title, description, brand, inStock and category from products.jsonl (no images, no
 * encoders). Every engine gets the same analyzed terms (src/stores/bm25.ts `lexicalDocument`), so
 * the analyzer's cost is outside every timing; queries are the validation split's text queries
 * (queries/text-validation.jsonl), sampled with the seed. Each query runs once per engine and filter
 * (none; in stock, most of the catalogue; the category closest to 5% of it), after 50 warm-up queries.
 * The npm engines score every match of every query (hundreds of milliseconds a query at 350,000
 * products), so they run the first `--library-queries` of the same sample.
 *
 * Reports per engine: top-k latency p50/p95, how many top-k lists equal the exhaustive BM25 top k
 * (same products in the same order) and the mean overlap with it, build time, memory held (heap and
 * array buffers after a forced GC), and for the lexical index its rebuild from the terms SQLite
 * stores (what `EmbeddedStore.open` does) and a whole store open. Writes bench/results/lexical.json
 * and prints markdown tables.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { create, insertMultiple, search as oramaSearch } from '@orama/orama';
import FlexSearch from 'flexsearch';
import MiniSearch from 'minisearch';
import type { Product } from '../src/domain/product';
import { FIELD_WEIGHTS, lexicalDocument, lexicalQuery, type LexicalDocument } from '../src/stores/bm25';
import { Bitset } from '../src/stores/embedded/bitset';
import { EmbeddedStore } from '../src/stores/embedded/embedded.store';
import { toFtsQuery } from '../src/stores/embedded/fts-query';
import { buildLexicalIndex, LexicalIndex, type SearchWork } from '../src/stores/embedded/lexical/lexical-index';
import { StoreDatabase, type RowToWrite } from '../src/stores/embedded/store-database';
import { seededRandom } from './support';

const ENGINES = ['index', 'exhaustive', 'fts5-all', 'fts5-rank', 'minisearch', 'flexsearch', 'orama'] as const;
type EngineName = (typeof ENGINES)[number];

const ENGINE_LABEL: Record<EngineName, string> = {
  index: 'lexical index, block-max MaxScore (new)',
  exhaustive: 'lexical index, every match scored',
  'fts5-all': 'FTS5 bm25(), every match ranked (old path, old formula)',
  'fts5-rank': 'FTS5 bm25(), ORDER BY rank LIMIT k (old formula)',
  minisearch: 'minisearch 7',
  flexsearch: 'flexsearch 0.8',
  orama: '@orama/orama 3',
};

interface Args {
  catalog: string;
  n: number;
  queries: number;
  libraryQueries: number;
  k: number;
  seed: number;
  engines: EngineName[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { catalog: 'data/catalog', n: 350_000, queries: 1000, libraryQueries: 100, k: 10, seed: 1, engines: [...ENGINES] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    const num = () => {
      const x = Number(value);
      if (!Number.isInteger(x) || x < 1) throw new Error(`${flag} needs a positive integer, got ${JSON.stringify(value)}`);
      return x;
    };
    if (flag === '--catalog') args.catalog = String(value);
    else if (flag === '--n') args.n = num();
    else if (flag === '--queries') args.queries = num();
    else if (flag === '--library-queries') args.libraryQueries = num();
    else if (flag === '--k') args.k = num();
    else if (flag === '--seed') args.seed = num();
    else if (flag === '--engines') {
      const names = String(value).split(',');
      const unknown = names.filter((e) => !(ENGINES as readonly string[]).includes(e));
      if (unknown.length) throw new Error(`unknown engine(s) ${unknown.join(', ')}; known: ${ENGINES.join(', ')}`);
      args.engines = names as EngineName[];
    } else throw new Error(`unknown flag ${flag}; known: --catalog --n --queries --library-queries --k --seed --engines`);
  }
  return args;
}

interface Item {
  slot: number;
  product: Product;
  document: LexicalDocument;
  inStock: boolean;
  category: string;
}

async function readCatalogue(file: string, n: number): Promise<{ items: Item[]; analyzeS: number }> {
  const items: Item[] = [];
  let analyzeMs = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const r = JSON.parse(line) as { id: string; title: string; description: string; brand: string; inStock: boolean; attributes?: Record<string, string[]> };
    const product: Product = { id: r.id, title: r.title, description: r.description, brand: r.brand, price: 0, currency: 'EUR', inStock: r.inStock, imageUrl: '', attributes: {} };
    const t = performance.now();
    const document = lexicalDocument(product);
    analyzeMs += performance.now() - t;
    items.push({ slot: items.length + 1, product, document, inStock: r.inStock, category: r.attributes?.category?.[0] ?? '' });
    if (items.length >= n) break;
  }
  lines.close();
  return { items, analyzeS: analyzeMs / 1000 };
}

interface Query {
  text: string;
  /** The query's index terms (a word of several terms as its compound term). */
  terms: string[];
  /** The terms of its words, space-separated, for the npm engines (which have no compound terms). */
  words: string;
  match: string | null;
}

function sampleQueries(file: string, count: number, rand: () => number): Query[] {
  const texts = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text);
  for (let i = texts.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [texts[i], texts[j]] = [texts[j], texts[i]];
  }
  const picked: string[] = [];
  while (picked.length < count) picked.push(...texts.slice(0, count - picked.length));
  return picked.map((text) => {
    const terms = lexicalQuery(text);
    return { text, terms, words: terms.join(' '), match: toFtsQuery(text) };
  });
}

interface FilterCase {
  name: string;
  bits: Bitset | undefined;
  count: number;
  /** The same filter for engines with their own filter language. */
  inStock?: boolean;
  category?: string;
}

type TopK = (q: Query, filter: FilterCase) => number[];

interface EngineRun {
  engine: EngineName;
  label: string;
  buildS: number;
  memoryMB: number | null;
  persistence: string;
  perFilter: {
    filter: string;
    queries: number;
    p50: number;
    p95: number;
    mean: number;
    identical: number;
    overlap: number;
    scoredPerQuery?: number;
    candidatesPerQuery?: number;
  }[];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function heldMemory(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const PERSISTENCE: Record<EngineName, string> = {
  index: 'rebuilt at open from the words SQLite stores; updated in place per write',
  exhaustive: 'as the index (same postings)',
  'fts5-all': 'SQLite file, transactional, incremental',
  'fts5-rank': 'SQLite file, transactional, incremental',
  minisearch: 'whole index to/from one JSON (toJSON / loadJSON); add/discard in memory',
  flexsearch: 'export/import of the whole index, or its database adapters (IndexedDB, Redis, SQLite, ...)',
  orama: 'whole index to/from one JSON (@orama/plugin-data-persistence); insert/remove in memory',
};

type Measure = (engine: EngineName, buildS: number, memoryMB: number | null, topK: TopK) => void;

const texts = (it: Item) => ({ title: it.document[0].flat().join(' '), description: it.document[1].flat().join(' '), brand: it.document[2].flat().join(' ') });

function measureMinisearch(items: Item[], k: number, measure: Measure): void {
  console.error('building minisearch ...');
  const before = heldMemory();
  const t = performance.now();
  const ms = new MiniSearch<{ id: number; title: string; description: string; brand: string }>({
    fields: ['title', 'description', 'brand'],
    tokenize: (text) => (text === '' ? [] : text.split(' ')),
    processTerm: (term) => term,
    searchOptions: { boost: { ...FIELD_WEIGHTS }, combineWith: 'OR' },
  });
  ms.addAll(items.map((it) => ({ id: it.slot, ...texts(it) })));
  const buildS = (performance.now() - t) / 1000;
  const memoryMB = (heldMemory() - before) / 1e6;
  measure('minisearch', buildS, memoryMB, (q, f) => {
    const bits = f.bits;
    const hits = bits ? ms.search(q.words, { filter: (r) => bits.has(r.id as number) }) : ms.search(q.words);
    return hits.slice(0, k).map((h) => h.id as number);
  });
}

function measureFlexsearch(items: Item[], k: number, measure: Measure): void {
  console.error('building flexsearch ...');
  const before = heldMemory();
  const t = performance.now();
  const fx = new FlexSearch.Index({ tokenize: 'strict', encode: (text: string) => (text === '' ? [] : text.split(' ')) });
  for (const it of items) {
    const d = texts(it);
    fx.add(it.slot, `${d.title} ${d.description} ${d.brand}`);
  }
  const buildS = (performance.now() - t) / 1000;
  const memoryMB = (heldMemory() - before) / 1e6;
  measure('flexsearch', buildS, memoryMB, (q, f) => {
    if (!f.bits) return (fx.search(q.words, { limit: k, suggest: true }) as number[]).slice(0, k);
    // No filter inside the index: every match comes back and is filtered here.
    const bits = f.bits;
    return (fx.search(q.words, { limit: items.length, suggest: true }) as number[]).filter((s) => bits.has(s)).slice(0, k);
  });
}

async function measureOrama(items: Item[], k: number, measure: Measure): Promise<void> {
  console.error('building orama ...');
  const before = heldMemory();
  const t = performance.now();
  const db = create({
    schema: { title: 'string', description: 'string', brand: 'string', inStock: 'boolean', category: 'enum' } as const,
    components: {
      tokenizer: {
        language: 'english',
        normalizationCache: new Map(),
        tokenize: (raw: string) => (raw === '' ? [] : raw.split(' ')),
      },
    },
  });
  for (let i = 0; i < items.length; i += 5000) {
    await insertMultiple(
      db,
      items.slice(i, i + 5000).map((it) => ({ id: String(it.slot), ...texts(it), inStock: it.inStock, category: it.category })),
    );
  }
  const buildS = (performance.now() - t) / 1000;
  const memoryMB = (heldMemory() - before) / 1e6;
  const boost = { title: FIELD_WEIGHTS.title, description: FIELD_WEIGHTS.description, brand: FIELD_WEIGHTS.brand };
  measure('orama', buildS, memoryMB, (q, f) => {
    if (!q.words) return [];
    const where = f.inStock !== undefined ? { inStock: f.inStock } : f.category !== undefined ? { category: { eq: f.category } } : undefined;
    const result = oramaSearch(db, { term: q.words, properties: ['title', 'description', 'brand'], boost, limit: k, threshold: 1, ...(where ? { where } : {}) });
    if (result instanceof Promise) throw new Error('orama answered asynchronously; the benchmark measures its synchronous search');
    return result.hits.map((h) => Number(h.id));
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const productsFile = join(args.catalog, 'products.jsonl');
  const queriesFile = join(args.catalog, 'queries', 'text-validation.jsonl');
  for (const f of [productsFile, queriesFile]) if (!existsSync(f)) throw new Error(`${f} is missing; build the catalogue first (npm run seed:full, or --catalog seed/demo)`);
  const started = new Date();
  const catalogHash = createHash('sha256').update(readFileSync(productsFile)).digest('hex');

  console.error(`reading and analysing up to ${args.n} products from ${productsFile} ...`);
  const { items, analyzeS } = await readCatalogue(productsFile, args.n);
  const slotBound = items.length + 1;
  const rand = seededRandom(args.seed);
  const queries = sampleQueries(queriesFile, args.queries, rand);
  const warmup = queries.slice(0, 50);

  // Filters: the products in stock (most of the catalogue), and the category closest to 5% of it.
  const inStock = new Bitset(slotBound);
  const byCategory = new Map<string, number>();
  for (const it of items) {
    if (it.inStock) inStock.add(it.slot);
    byCategory.set(it.category, (byCategory.get(it.category) ?? 0) + 1);
  }
  const [category] = [...byCategory].sort((a, b) => Math.abs(a[1] / items.length - 0.05) - Math.abs(b[1] / items.length - 0.05))[0];
  const inCategory = new Bitset(slotBound);
  for (const it of items) if (it.category === category) inCategory.add(it.slot);
  const filters: FilterCase[] = [
    { name: 'none', bits: undefined, count: items.length },
    { name: 'in stock', bits: inStock, count: inStock.count(), inStock: true },
    { name: `category = ${category}`, bits: inCategory, count: inCategory.count(), category },
  ];

  // The reference: our postings scored exhaustively.
  console.error('building the lexical index ...');
  const memBefore = heldMemory();
  let t = performance.now();
  const index = new LexicalIndex();
  for (let i = 0; i < items.length; i += 4096) index.update(items.slice(i, i + 4096).map((it) => ({ slot: it.slot, document: it.document })));
  index.trim();
  const indexBuildS = (performance.now() - t) / 1000;
  const indexMemoryMB = (heldMemory() - memBefore) / 1e6;
  const stats = index.stats();
  const reference = filters.map((f) => queries.map((q) => index.searchExhaustive(q.terms, args.k, f.bits).map((h) => h.slot)));

  const runs: EngineRun[] = [];
  const LIBRARIES: EngineName[] = ['minisearch', 'flexsearch', 'orama'];
  const measure = (engine: EngineName, buildS: number, memoryMB: number | null, topK: TopK, work?: () => SearchWork, resetWork?: () => void) => {
    console.error(`measuring ${engine} ...`);
    const count = LIBRARIES.includes(engine) ? Math.min(args.libraryQueries, queries.length) : queries.length;
    const run: EngineRun = { engine, label: ENGINE_LABEL[engine], buildS, memoryMB, persistence: PERSISTENCE[engine], perFilter: [] };
    filters.forEach((f, fi) => {
      heldMemory();
      for (const q of warmup) topK(q, f);
      resetWork?.();
      const times: number[] = [];
      let identical = 0;
      let overlap = 0;
      queries.slice(0, count).forEach((q, qi) => {
        const a = performance.now();
        const got = topK(q, f);
        times.push(performance.now() - a);
        const want = reference[fi][qi];
        if (got.length === want.length && got.every((s, i) => s === want[i])) identical++;
        const wantSet = new Set(want);
        overlap += want.length === 0 ? (got.length === 0 ? 1 : 0) : got.filter((s) => wantSet.has(s)).length / want.length;
      });
      const w = work?.();
      run.perFilter.push({
        filter: f.name,
        queries: count,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        mean: times.reduce((x, y) => x + y, 0) / times.length,
        identical,
        overlap: overlap / count,
        ...(w ? { scoredPerQuery: w.scored / count, candidatesPerQuery: w.candidates / count } : {}),
      });
      const last = run.perFilter[run.perFilter.length - 1];
      console.error(`  ${engine} / ${f.name}: p50 ${last.p50.toFixed(2)} ms, p95 ${last.p95.toFixed(2)} ms, ${identical} / ${count} identical`);
    });
    runs.push(run);
  };

  if (args.engines.includes('index')) {
    let work: SearchWork = { candidates: 0, scored: 0, rangesSkipped: 0, rangesVisited: 0 };
    measure(
      'index',
      indexBuildS,
      indexMemoryMB,
      (q, f) => index.search(q.terms, args.k, f.bits, work).map((h) => h.slot),
      () => work,
      () => (work = { candidates: 0, scored: 0, rangesSkipped: 0, rangesVisited: 0 }),
    );
  }
  if (args.engines.includes('exhaustive')) measure('exhaustive', indexBuildS, indexMemoryMB, (q, f) => index.searchExhaustive(q.terms, args.k, f.bits).map((h) => h.slot));

  const compoundQueries = queries.filter((q) => q.terms.some((term) => term.includes(' '))).length;

  // SQLite: the store's database file with its FTS5 table, written through the store's own code.
  const dir = mkdtempSync(join(tmpdir(), 'bench-lexical-'));
  let sqlite: { writeS: number; rebuildS: number; rebuildMemoryMB: number; storeOpenS: number; rebuildIdentical: boolean } | null = null;
  try {
    console.error('writing the products to SQLite (FTS5) ...');
    const db = new StoreDatabase(join(dir, 'catalog.sqlite'));
    t = performance.now();
    for (let i = 0; i < items.length; i += 5000) {
      const rows: RowToWrite[] = items.slice(i, i + 5000).map((it) => ({ product: it.product, vectors: [], slot: undefined, lexical: it.document }));
      db.writeBatch(rows);
    }
    const writeS = (performance.now() - t) / 1000;
    const before = heldMemory();
    t = performance.now();
    const rebuilt = buildLexicalIndex((add) => db.loadLexicalDocuments(add));
    const rebuildS = (performance.now() - t) / 1000;
    const rebuildMemoryMB = (heldMemory() - before) / 1e6;
    const rebuildIdentical = queries.slice(0, 100).every((q) => JSON.stringify(rebuilt.search(q.terms, args.k)) === JSON.stringify(index.search(q.terms, args.k)));

    if (args.engines.includes('fts5-all')) {
      measure('fts5-all', writeS, null, (q, f) => {
        const out: number[] = [];
        if (!q.match) return out;
        for (const { slot } of db.lexical(q.match)) {
          if (f.bits && !f.bits.has(slot)) continue;
          out.push(slot);
          if (out.length >= args.k) break;
        }
        return out;
      });
    }
    db.close();

    if (args.engines.includes('fts5-rank')) {
      const raw = new Database(join(dir, 'catalog.sqlite'));
      const weights = [FIELD_WEIGHTS.title, FIELD_WEIGHTS.description, FIELD_WEIGHTS.brand].map((w) => w.toFixed(1)).join(', ');
      raw.prepare(`INSERT INTO products_fts(products_fts, rank) VALUES ('rank', 'bm25(${weights})')`).run();
      const bounded = raw.prepare<[string, number], { slot: number }>('SELECT rowid AS slot FROM products_fts WHERE products_fts MATCH ? ORDER BY rank LIMIT ?');
      const ranked = raw.prepare<[string], { slot: number }>('SELECT rowid AS slot FROM products_fts WHERE products_fts MATCH ? ORDER BY rank');
      measure('fts5-rank', writeS, null, (q, f) => {
        if (!q.match) return [];
        // A filter cannot reach inside FTS5: with one, the ranked matches are walked as before.
        if (!f.bits) return bounded.all(q.match, args.k).map((r) => r.slot);
        const out: number[] = [];
        for (const { slot } of ranked.iterate(q.match)) {
          if (!f.bits.has(slot)) continue;
          out.push(slot);
          if (out.length >= args.k) break;
        }
        return out;
      });
      raw.close();
    }

    const store = new EmbeddedStore({ directory: dir });
    t = performance.now();
    await store.open({});
    const storeOpenS = (performance.now() - t) / 1000;
    await store.close();
    sqlite = { writeS, rebuildS, rebuildMemoryMB, storeOpenS, rebuildIdentical };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Each library is built in a function of its own, so that it is garbage before the next is measured.
  if (args.engines.includes('minisearch')) measureMinisearch(items, args.k, measure);
  if (args.engines.includes('flexsearch')) measureFlexsearch(items, args.k, measure);
  if (args.engines.includes('orama')) await measureOrama(items, args.k, measure);

  const report = {
    name: 'lexical',
    started: started.toISOString(),
    args,
    environment: { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function' },
    catalogue: { file: productsFile, sha256: catalogHash, products: items.length, analyzeS },
    queries: { file: queriesFile, count: queries.length, withCompoundTerm: compoundQueries },
    filters: filters.map((f) => ({ name: f.name, products: f.count })),
    index: { ...stats, buildS: indexBuildS, memoryMB: indexMemoryMB },
    sqlite,
    runs,
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'lexical.json'), `${JSON.stringify(report, null, 2)}\n`);

  const fmt = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(d));
  const lines: string[] = [];
  const given = process.argv.slice(2).join(' ');
  lines.push(`Command: \`npm run bench:lexical${given ? ` -- ${given}` : ''}\` (${started.toISOString().slice(0, 16).replace('T', ' ')} UTC).  `);
  lines.push(
    `Data: ${items.length} products of \`${productsFile}\` (sha256 \`${catalogHash.slice(0, 16)}\`), ${stats.terms} terms, ${stats.postings} postings; ` +
      `${queries.length} queries sampled (seed ${args.seed}) from \`${queriesFile}\`, ${compoundQueries} with a word of several terms; top ${args.k}; ` +
      `filters: ${filters.map((f) => `${f.name} (${f.count})`).join(', ')}; ${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}.`,
  );
  lines.push('');
  lines.push(`| engine | filter | queries | p50 ms | p95 ms | top ${args.k} = exhaustive BM25 | overlap@${args.k} | scored / query |`);
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of runs) {
    for (const f of r.perFilter) {
      lines.push(`| ${r.label} | ${f.filter} | ${f.queries} | ${fmt(f.p50)} | ${fmt(f.p95)} | ${f.identical} / ${f.queries} | ${f.overlap.toFixed(3)} | ${f.scoredPerQuery === undefined ? '' : fmt(f.scoredPerQuery, 0)} |`);
    }
  }
  lines.push('');
  lines.push('| engine | build s | memory MB | persistence |');
  lines.push('| --- | ---: | ---: | --- |');
  for (const r of runs) lines.push(`| ${r.label} | ${fmt(r.buildS)} | ${fmt(r.memoryMB, 0)} | ${r.persistence} |`);
  lines.push('');
  if (sqlite) {
    lines.push(
      `Lexical index: built in ${fmt(indexBuildS)} s from analyzed words (${fmt(indexMemoryMB, 0)} MB held; typed arrays ${(stats.arrayBytes / 1e6).toFixed(0)} MB); ` +
        `rebuilt from the words SQLite stores, as \`EmbeddedStore.open\` does, in ${fmt(sqlite.rebuildS)} s (${sqlite.rebuildIdentical ? 'same rankings' : 'RANKINGS DIFFER'}); ` +
        `a whole store open (payloads, attributes, lexical index; no vectors) ${fmt(sqlite.storeOpenS)} s. ` +
        `Writing the products through the store's SQLite code (payload + FTS5 row) took ${fmt(sqlite.writeS)} s; analysing their text ${fmt(analyzeS)} s.`,
    );
  }
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
