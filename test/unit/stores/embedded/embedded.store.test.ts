import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ANALYZER_VERSION } from '../../../../src/query/text-analyzer';
import { EmbeddedStore } from '../../../../src/stores/embedded/embedded.store';
import { ANALYZER_META_KEY, LEXICAL_STORAGE_VERSION } from '../../../../src/stores/embedded/store-database';
import type { StoredProduct } from '../../../../src/stores/vector-store';
import { aProduct, aStoredProduct, cosine, randomVector, seededRandom } from '../../../contract/vector-store.contract';

const DIMS = { image: 12, text: 6 };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'embedded-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function catalogue(n: number, seed: number, prefix = 'p'): StoredProduct[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const sp = aStoredProduct(aProduct(`${prefix}${String(i).padStart(4, '0')}`, { attributes: { group: [i % 4 === 0 ? 'a' : 'b'] } }), rand);
    return { product: sp.product, vectors: { image: sp.vectors.image!.subarray(0, DIMS.image).slice(), text: sp.vectors.text!.subarray(0, DIMS.text).slice() } };
  });
}

function bruteForce(items: StoredProduct[], q: Float32Array, k: number): string[] {
  return items
    .map((it) => ({ id: it.product.id, s: cosine(q, it.vectors.image!) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id);
}

/** The checkpoint of a space and the graph file it names as current. */
function checkpointFiles(space: string): string[] {
  const meta = `${space}.hnsw.json`;
  return [meta, (JSON.parse(readFileSync(join(dir, meta), 'utf8')) as { current: { file: string } }).current.file];
}

async function topIds(store: EmbeddedStore, q: Float32Array, k = 10): Promise<string[]> {
  return (await store.search({ dense: [{ space: 'image', vector: q }], limit: k })).map((h) => h.id);
}

describe('EmbeddedStore persistence of the graph', () => {
  test('reopening loads the checkpointed graph with nothing to catch up', async () => {
    const items = catalogue(200, 1);
    const a = new EmbeddedStore({ directory: dir, exactBudget: 0 });
    await a.open(DIMS);
    await a.upsert(items);
    await a.close();
    const b = new EmbeddedStore({ directory: dir, exactBudget: 0 });
    await b.open(DIMS);
    expect(b.indexStatus().image).toMatchObject({ load: { kind: 'loaded', pending: 0 }, pending: 0, vectors: 200 });
    const q = randomVector(seededRandom(9), DIMS.image);
    const got = await topIds(b, q);
    const want = bruteForce(items, q, 10);
    expect(got.filter((id) => want.includes(id)).length).toBeGreaterThanOrEqual(9);
    await b.close();
  });

  test('an older graph catches up from the rows written after its checkpoint', async () => {
    const first = catalogue(150, 2, 'a');
    const second = catalogue(40, 3, 'b');
    const store = new EmbeddedStore({ directory: dir, exactBudget: 0 });
    await store.open(DIMS);
    await store.upsert(first);
    await store.flushIndex();
    const saved = checkpointFiles('image');
    for (const f of saved) copyFileSync(join(dir, f), join(dir, `${f}.old`));
    await store.upsert(second);
    const moved = { product: first[0].product, vectors: { image: randomVector(seededRandom(4), DIMS.image), text: first[0].vectors.text } };
    await store.upsert([moved]);
    expect(await store.delete([first[1].product.id])).toBe(1);
    await store.close();
    // Back to the graph as it was before the later writes, as after a crash between checkpoints.
    for (const f of saved) copyFileSync(join(dir, `${f}.old`), join(dir, f));

    const reopened = new EmbeddedStore({ directory: dir, exactBudget: 0 });
    await reopened.open(DIMS);
    const status = reopened.indexStatus().image!;
    expect(status.load.kind).toBe('loaded');
    expect(status.load.pending).toBe(second.length + 1);
    expect(reopened.indexStatus().text!.load.pending).toBe(0);

    const live = [...first.slice(2), moved, ...second];
    for (const search of [() => Promise.resolve(), () => reopened.flushIndex()]) {
      await search();
      expect((await topIds(reopened, moved.vectors.image, 1))[0]).toBe(moved.product.id);
      expect(await topIds(reopened, first[1].vectors.image!, 200)).not.toContain(first[1].product.id);
      const q = second[5].vectors.image!;
      expect((await topIds(reopened, q, 1))[0]).toBe(second[5].product.id);
      const want = bruteForce(live, q, 10);
      expect((await topIds(reopened, q)).filter((id) => want.includes(id)).length).toBeGreaterThanOrEqual(9);
    }
    expect(reopened.indexStatus().image!.pending).toBe(0);
    await reopened.close();
  });

  test('a corrupt graph is rebuilt from the database', async () => {
    const items = catalogue(120, 5);
    const a = new EmbeddedStore({ directory: dir });
    await a.open(DIMS);
    await a.upsert(items);
    await a.close();
    const file = join(dir, checkpointFiles('image')[1]);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(file, bytes);
    const b = new EmbeddedStore({ directory: dir, exactBudget: 0 });
    await b.open(DIMS);
    expect(b.indexStatus().image!.load).toMatchObject({ kind: 'rebuild', reason: expect.stringMatching(/does not match/) });
    expect(b.indexStatus().text!.load.kind).toBe('loaded');
    await b.flushIndex();
    const q = items[7].vectors.image!;
    expect((await topIds(b, q, 1))[0]).toBe(items[7].product.id);
    await b.close();
    const c = new EmbeddedStore({ directory: dir });
    await c.open(DIMS);
    expect(c.indexStatus().image!.load.kind).toBe('loaded');
    await c.close();
  });

  test('vectors not yet in the graph are found by exact scoring', async () => {
    const items = catalogue(300, 6);
    const store = new EmbeddedStore({ directory: dir, exactBudget: 0 });
    await store.open(DIMS);
    await store.upsert(items);
    expect(store.indexStatus().image!.pending).toBe(300);
    const q = randomVector(seededRandom(10), DIMS.image);
    const hits = await store.search({ dense: [{ space: 'image', vector: q }], limit: 10 });
    expect(hits.map((h) => h.id)).toEqual(bruteForce(items, q, 10));
    await store.flushIndex();
    expect(store.indexStatus().image!.pending).toBe(0);
    const filtered = await store.search({ dense: [{ space: 'image', vector: q }], limit: 10, filter: { must: [{ kind: 'match', key: 'group', value: 'a' }] } });
    expect(filtered.every((h) => Number(h.id.slice(1)) % 4 === 0)).toBe(true);
    expect(filtered).toHaveLength(10);
    await store.close();
  });
});

describe('EmbeddedStore lexical index', () => {
  const products = [
    aProduct('l1', { title: 'Striped canvas sneakers', description: 'Low-top, in white.' }),
    aProduct('l2', { title: 'Linen shirt', description: 'Relaxed fit. Style code TE00017-2.' }),
    aProduct('l3', { title: 'Old sneakers', description: 'Deleted before the upgrade.' }),
  ];

  async function writeStore(): Promise<void> {
    const store = new EmbeddedStore({ directory: dir });
    await store.open(DIMS);
    await store.upsert(products.map((product) => ({ product, vectors: {} })));
    expect(await store.delete(['l3'])).toBe(1);
    await store.close();
  }

  async function lexicalIds(text: string): Promise<string[]> {
    const store = new EmbeddedStore({ directory: dir });
    await store.open(DIMS);
    try {
      return (await store.search({ dense: [], lexical: { text }, limit: 10 })).map((h) => h.id);
    } finally {
      await store.close();
    }
  }

  /** Opens the closed store's database file directly. */
  function withDatabase<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(join(dir, 'catalog.sqlite'));
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  const ftsRows = () => withDatabase((db) => db.prepare('SELECT rowid, title, description, brand FROM products_fts ORDER BY rowid').all());

  test('indexes analyzed words and records the analyzer and storage version', async () => {
    await writeStore();
    expect(await lexicalIds('sneaker')).toEqual(['l1']);
    expect(await lexicalIds('stripes')).toEqual(['l1']);
    expect(await lexicalIds('TE00017-2')).toEqual(['l2']);
    expect(withDatabase((db) => db.prepare('SELECT value FROM meta WHERE key = ?').get(ANALYZER_META_KEY))).toEqual({ value: LEXICAL_STORAGE_VERSION });
    expect(ftsRows()).toEqual([{ rowid: 1, title: 'stripe canva sneaker', description: 'low\u001ftop white', brand: 'generic' }, expect.objectContaining({ rowid: 2, description: expect.stringContaining('te00017\u001f2') })]);
  });

  test('a store whose FTS table holds raw text from before the analyzer is rebuilt at open', async () => {
    await writeStore();
    // The format stores had before: raw text under FTS5's own tokenizer, and no analyzer version.
    withDatabase((db) => {
      db.exec('DROP TABLE products_fts');
      db.exec("CREATE VIRTUAL TABLE products_fts USING fts5(title, description, brand, tokenize = 'unicode61 remove_diacritics 2')");
      const insert = db.prepare('INSERT INTO products_fts (rowid, title, description, brand) VALUES (?, ?, ?, ?)');
      for (const p of products) insert.run(Number(p.id.slice(1)), p.title, p.description, p.brand);
      db.prepare('DELETE FROM meta WHERE key = ?').run(ANALYZER_META_KEY);
      expect(db.prepare(`SELECT rowid FROM products_fts WHERE products_fts MATCH '"sneaker"'`).all()).toEqual([]);
    });

    expect(await lexicalIds('sneaker')).toEqual(['l1']);
    expect(await lexicalIds('TE00017-2')).toEqual(['l2']);
    const rows = ftsRows() as { rowid: number; title: string }[];
    expect(rows.map((r) => [r.rowid, r.title])).toEqual([
      [1, 'stripe canva sneaker'],
      [2, 'linen shirt'],
    ]);
    expect(withDatabase((db) => db.prepare('SELECT value FROM meta WHERE key = ?').get(ANALYZER_META_KEY))).toEqual({ value: LEXICAL_STORAGE_VERSION });
  });

  test('the index rebuilt at open from the stored terms ranks exactly as the one kept up to date by the writes', async () => {
    const rand = seededRandom(31);
    const words = ['red', 'linen', 'shirt', 'dress', 'button-down', 'crew-neck', 'silk', 'navy', 'boots', 'slim', 'fit'];
    const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
    const item = (id: string) => ({ product: aProduct(id, { title: text(4), description: text(12), brand: rand() < 0.5 ? 'Acme' : 'Navy Works', attributes: { group: [rand() < 0.3 ? 'a' : 'b'] } }), vectors: {} });
    const queries = ['red shirt', 'button-down navy', 'slim-fit silk dress', 'boots', 'crew-neck linen'];
    const ranking = async (store: EmbeddedStore) =>
      Promise.all(
        queries.flatMap((text) => [
          store.search({ dense: [], lexical: { text }, limit: 15 }),
          store.search({ dense: [], lexical: { text }, filter: { must: [{ kind: 'match', key: 'group', value: 'a' }] }, limit: 15 }),
        ]),
      );
    const a = new EmbeddedStore({ directory: dir });
    await a.open(DIMS);
    await a.upsert(Array.from({ length: 300 }, (_, i) => item(`r${i}`)));
    await a.upsert(Array.from({ length: 40 }, (_, i) => item(`r${i * 7}`)));
    await a.delete(Array.from({ length: 30 }, (_, i) => `r${i * 9 + 1}`));
    const before = await ranking(a);
    expect(before.flat().length).toBeGreaterThan(100);
    await a.close();
    const b = new EmbeddedStore({ directory: dir });
    await b.open(DIMS);
    expect(await ranking(b)).toEqual(before);
    await b.close();
  });

  test('another analyzer version triggers a rebuild; the current one leaves the index alone', async () => {
    await writeStore();
    const setIndex = (version: string) =>
      withDatabase((db) => {
        db.prepare("UPDATE products_fts SET title = 'marker' WHERE rowid = 2").run();
        db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(version, ANALYZER_META_KEY);
      });
    setIndex(LEXICAL_STORAGE_VERSION);
    expect(await lexicalIds('marker')).toEqual(['l2']);
    // The same analyzer with words stored the way they were before compound terms.
    setIndex(ANALYZER_VERSION);
    expect(await lexicalIds('marker')).toEqual([]);
    setIndex(LEXICAL_STORAGE_VERSION);
    expect(await lexicalIds('marker')).toEqual(['l2']);
    setIndex('some-older-analyzer');
    expect(await lexicalIds('marker')).toEqual([]);
    expect(await lexicalIds('linen')).toEqual(['l2']);
  });
});

describe('EmbeddedStore errors', () => {
  test('reopening with another dimension says what to do', async () => {
    const a = new EmbeddedStore({ directory: dir });
    await a.open(DIMS);
    await a.close();
    const b = new EmbeddedStore({ directory: dir });
    await expect(b.open({ image: 64 })).rejects.toThrow(/holds image vectors of dimension 12, but 64 was requested/);
    await b.open({ text: DIMS.text });
    expect((await b.info()).dimensions).toEqual(DIMS);
    await b.close();
  });

  test('a second store on the same directory is refused while the first is open', async () => {
    const a = new EmbeddedStore({ directory: dir });
    await a.open(DIMS);
    const b = new EmbeddedStore({ directory: dir });
    await expect(b.open(DIMS)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/in use by another process/) });
    await a.close();
    await b.open(DIMS);
    await b.close();
  });

  test('bad requests get bad-input errors; a closed store is unavailable', async () => {
    const store = new EmbeddedStore({ directory: dir });
    await expect(store.count()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await store.open(DIMS);
    await expect(store.open(DIMS)).rejects.toThrow(/already open/);
    const q = new Float32Array(DIMS.image).fill(0.5);
    const cases: [Promise<unknown>, RegExp][] = [
      [store.search({ dense: [], limit: 5 }), /at least one query vector or lexical text/],
      [store.search({ dense: [{ space: 'image', vector: q }], limit: 0 }), /limit must be an integer/],
      [store.search({ dense: [{ space: 'image', vector: new Float32Array(DIMS.image) }], limit: 5 }), /all zeros/],
      [store.search({ dense: [{ space: 'image', vector: q }], limit: 5, filter: { must: [{ kind: 'nope' } as never] } }), /kind must be one of/],
      [store.scroll({ limit: 5, after: '***' }), /scroll position/],
      [store.upsert([{ product: { ...aProduct('x'), price: Number.NaN }, vectors: {} }]), /price must be a finite number/],
      [store.upsert([{ product: aProduct(''), vectors: {} }]), /product id/],
      [store.upsert([{ product: aProduct('x'), vectors: { image: [1, 2] as unknown as Float32Array } }]), /must be a Float32Array/],
      [store.facets(['color'], undefined, 0), /limitPerAttribute/],
    ];
    for (const [p, message] of cases) await expect(p).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
    expect(store.integrityCheck()).toBe('ok');
    await store.close();
    await expect(store.search({ dense: [{ space: 'image', vector: q }], limit: 1 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
