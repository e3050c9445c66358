/**
 * The embedded store's durable state in one SQLite file (better-sqlite3, WAL, synchronous=FULL):
 * products (JSON payload), vectors (little-endian Float32 blobs), an FTS5 index over title,
 * description and brand, and a write sequence number. The connection holds SQLite's exclusive lock,
 * so a second process opening the same file fails fast instead of diverging from this one's indexes. A product's row id is its slot: the key of
 * its in-memory vectors and attributes and its HNSW label.
 *
 * The FTS5 table holds each product's analyzed words, not raw text (see fts-query.ts), and the meta
 * table records the analyzer and storage version they were made with (LEXICAL_STORAGE_VERSION).
 * Opening a file whose version differs, or that has none (a store from before the shared analyzer),
 * rebuilds the FTS5 table from the products table in one transaction: a second or so for 10,000
 * products. The store's in-memory lexical index (lexical/lexical-index.ts) is built from these
 * stored words at every open (`loadLexicalDocuments`), so the analyzer runs once per write, not per
 * open; searches go to that index. FTS5's own ranking (`lexical`) is the ranking the store had
 * before that index, kept for the benchmark's comparison.
 */
import Database from 'better-sqlite3';
import type { Product } from '../../domain/product';
import { ANALYZER_VERSION } from '../../query/text-analyzer';
import { FIELD_WEIGHT_LIST, lexicalDocument, type LexicalDocument } from '../bm25';
import type { VectorSpace } from '../vector-store';
import { fromFtsColumn, toFtsDocument } from './fts-query';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (
  slot INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  seq INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
  slot INTEGER NOT NULL,
  space TEXT NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY (slot, space)
) WITHOUT ROWID;
`;

/** The text is analyzed before it reaches FTS5, so its tokenizer only splits terms on spaces. */
const FTS_SCHEMA = `CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(title, description, brand, tokenize = 'unicode61 remove_diacritics 0')`;
const SET_META = 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';
const INSERT_FTS = 'INSERT INTO products_fts (rowid, title, description, brand) VALUES (?, ?, ?, ?)';

/** Meta key of the analyzer and storage version the FTS5 index was built with. */
export const ANALYZER_META_KEY = 'analyzer';

/** The analyzer version, and the version of how words are stored (2: terms of a word joined by WORD_JOINER). */
export const LEXICAL_STORAGE_VERSION = `${ANALYZER_VERSION}/words-2`;

/** FTS5's bm25 with the project's field weights (src/stores/bm25.ts), columns in LEXICAL_FIELDS order. */
const BM25 = `bm25(products_fts, ${FIELD_WEIGHT_LIST.map((w) => w.toFixed(1)).join(', ')})`;

/** Every FTS5 match of a MATCH expression, best first (score = -bm25), ties by slot. */
const FTS5_RANKED_MATCHES = `SELECT rowid AS slot, -${BM25} AS score FROM products_fts WHERE products_fts MATCH ? ORDER BY ${BM25}, rowid`;

export interface RowToWrite {
  product: Product;
  vectors: [VectorSpace, Float32Array][];
  /** Slot of the existing row with this id, if any. */
  slot: number | undefined;
  /** The product's analyzed lexical fields (`lexicalDocument`), computed once for the database and the index. */
  lexical: LexicalDocument;
}

export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function blobToVector(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export class StoreDatabase {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    this.db = new Database(file);
    try {
      // One process owns the store: the exclusive lock is taken by the first statement and held until close.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('busy_timeout = 1000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
      this.db.exec(FTS_SCHEMA);
      this.rebuildLexicalIndexIfStale();
    } catch (e) {
      this.db.close();
      throw e;
    }
    const db = this.db;
    this.stmts = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare(SET_META),
      insertProduct: db.prepare('INSERT INTO products (id, seq, payload) VALUES (?, ?, ?)'),
      updateProduct: db.prepare('UPDATE products SET seq = ?, payload = ? WHERE slot = ?'),
      deleteProduct: db.prepare('DELETE FROM products WHERE slot = ?'),
      deleteVectors: db.prepare('DELETE FROM vectors WHERE slot = ?'),
      insertVector: db.prepare('INSERT INTO vectors (slot, space, vector) VALUES (?, ?, ?)'),
      deleteFts: db.prepare('DELETE FROM products_fts WHERE rowid = ?'),
      insertFts: db.prepare(INSERT_FTS),
      payloadById: db.prepare<[string], { payload: string }>('SELECT payload FROM products WHERE id = ?'),
      allProducts: db.prepare<[], { slot: number; id: string; seq: number; payload: string }>('SELECT slot, id, seq, payload FROM products'),
      allVectors: db.prepare<[], { slot: number; space: string; vector: Buffer }>('SELECT slot, space, vector FROM vectors'),
      scroll: db.prepare<[string], { slot: number; id: string; payload: string }>('SELECT slot, id, payload FROM products WHERE id > ? ORDER BY id'),
      lexical: db.prepare<[string], { slot: number; score: number }>(FTS5_RANKED_MATCHES),
      lexicalDocuments: db.prepare<[], { slot: number; title: string; description: string; brand: string }>(
        'SELECT rowid AS slot, title, description, brand FROM products_fts ORDER BY rowid',
      ),
    };
  }

  /** Re-creates the FTS5 table from the products when it was built by another analyzer version. */
  private rebuildLexicalIndexIfStale(): void {
    const db = this.db;
    const version = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(ANALYZER_META_KEY)?.value;
    if (version === LEXICAL_STORAGE_VERSION) return;
    db.transaction(() => {
      db.exec('DROP TABLE IF EXISTS products_fts');
      db.exec(FTS_SCHEMA);
      const insert = db.prepare(INSERT_FTS);
      const rows = db.prepare<[], { slot: number; payload: string }>('SELECT slot, payload FROM products').all();
      for (const { slot, payload } of rows) insert.run(slot, ...toFtsDocument(lexicalDocument(JSON.parse(payload) as Product)));
      db.prepare(SET_META).run(ANALYZER_META_KEY, LEXICAL_STORAGE_VERSION);
    })();
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  /** The latest write sequence number. */
  get seq(): number {
    return Number(this.getMeta('seq') ?? 0);
  }

  loadProducts(fn: (slot: number, id: string, seq: number, product: Product) => void): void {
    for (const r of this.stmts.allProducts.iterate()) fn(r.slot, r.id, r.seq, JSON.parse(r.payload) as Product);
  }

  loadVectors(fn: (slot: number, space: string, vector: Float32Array) => void): void {
    for (const r of this.stmts.allVectors.iterate()) fn(r.slot, r.space, blobToVector(r.vector));
  }

  /** Writes a batch in one transaction under a new sequence number; returns each row's slot. */
  writeBatch(rows: RowToWrite[]): { seq: number; slots: number[] } {
    return this.db.transaction(() => {
      const seq = this.seq + 1;
      this.setMeta('seq', String(seq));
      const slots = rows.map((row) => {
        const { product, vectors, slot } = row;
        const payload = JSON.stringify(product);
        let s: number;
        if (slot !== undefined) {
          this.stmts.updateProduct.run(seq, payload, slot);
          this.stmts.deleteVectors.run(slot);
          this.stmts.deleteFts.run(slot);
          s = slot;
        } else {
          s = Number(this.stmts.insertProduct.run(product.id, seq, payload).lastInsertRowid);
        }
        for (const [space, v] of vectors) this.stmts.insertVector.run(s, space, vectorToBlob(v));
        this.stmts.insertFts.run(s, ...toFtsDocument(row.lexical));
        return s;
      });
      return { seq, slots };
    })();
  }

  deleteSlots(slots: number[]): void {
    this.db.transaction(() => {
      this.setMeta('seq', String(this.seq + 1));
      for (const s of slots) {
        this.stmts.deleteProduct.run(s);
        this.stmts.deleteVectors.run(s);
        this.stmts.deleteFts.run(s);
      }
    })();
  }

  payloadById(id: string): Product | null {
    const r = this.stmts.payloadById.get(id);
    return r ? (JSON.parse(r.payload) as Product) : null;
  }

  /** Rows with id > after in id order, lazily. */
  *scroll(after: string): Generator<{ slot: number; id: string; product: () => Product }> {
    for (const r of this.stmts.scroll.iterate(after)) yield { slot: r.slot, id: r.id, product: () => JSON.parse(r.payload) as Product };
  }

  /**
   * FTS5's ranking of every match, best first (score = -bm25, higher is better), lazily: the
   * reference the lexical index is tested against, and the path it replaced (bench/lexical.bench.ts).
   */
  *lexical(match: string): Generator<{ slot: number; score: number }> {
    yield* this.stmts.lexical.iterate(match);
  }

  /** Every product's stored lexical fields in slot order, split back into terms. */
  loadLexicalDocuments(fn: (slot: number, document: LexicalDocument) => void): void {
    for (const r of this.stmts.lexicalDocuments.iterate()) fn(r.slot, [fromFtsColumn(r.title), fromFtsColumn(r.description), fromFtsColumn(r.brand)]);
  }

  integrityCheck(): string {
    return (this.db.pragma('integrity_check', { simple: true }) as string) ?? 'unknown';
  }

  close(): void {
    this.db.close();
  }
}
