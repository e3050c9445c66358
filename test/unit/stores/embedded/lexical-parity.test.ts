/**
 * The lexical index computes the BM25 that SQLite FTS5's bm25() computed for the embedded store
 * before it (src/stores/bm25.ts): same phrases, weights, idf, lengths and tie order. FTS5 reads the
 * same stored terms, so both rankings must agree on every query, before and after writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Product } from '../../../../src/domain/product';
import { lexicalDocument, queryPhrases } from '../../../../src/stores/bm25';
import { toFtsQuery } from '../../../../src/stores/embedded/fts-query';
import { LexicalIndex } from '../../../../src/stores/embedded/lexical/lexical-index';
import { StoreDatabase, type RowToWrite } from '../../../../src/stores/embedded/store-database';
import { aProduct, seededRandom } from '../../../contract/vector-store.contract';

const WORDS = ['red', 'blue', 'navy', 'dress', 'dresses', 'shirt', 'button-down', 'button', 'down', 'crew-neck', 'neck', 'linen', 'silk', 'cotton', 'striped', 'stripes', 'boots', 'ankle', 'the', 'with', 'TE00017-2', 'sizes', '36', '43', 'Café', 'slim', 'fit', 'slim-fit'];

let dir: string;
let db: StoreDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lexical-parity-'));
  db = new StoreDatabase(join(dir, 'catalog.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function text(rand: () => number, min: number, max: number): string {
  return Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
}

function randomProduct(rand: () => number, id: string): Product {
  return aProduct(id, { title: text(rand, 1, 6), description: text(rand, 0, 20), brand: ['Acme', 'Bolt Works', 'Café Crème', 'Navy Blue'][Math.floor(rand() * 4)] });
}

function write(products: Product[], slots: Map<string, number>): void {
  const rows: RowToWrite[] = products.map((product) => ({ product, vectors: [], slot: slots.get(product.id), lexical: lexicalDocument(product) }));
  db.writeBatch(rows).slots.forEach((slot, i) => slots.set(products[i].id, slot));
}

function loadIndex(): LexicalIndex {
  const index = new LexicalIndex();
  const batch: { slot: number; document: string[][] }[] = [];
  db.loadLexicalDocuments((slot, document) => batch.push({ slot, document }));
  index.update(batch);
  return index;
}

function expectSameRanking(index: LexicalIndex, rand: () => number, queries: number): void {
  for (let q = 0; q < queries; q++) {
    const query = text(rand, 1, 5);
    const match = toFtsQuery(query);
    const fts = match ? [...db.lexical(match)].slice(0, 25) : [];
    const ours = index.search(queryPhrases(query), 25);
    expect(ours.map((h) => h.slot)).toEqual(fts.map((h) => h.slot));
    ours.forEach((h, i) => expect(Math.abs(h.score - fts[i].score)).toBeLessThanOrEqual(1e-9 * Math.abs(fts[i].score)));
  }
}

describe('lexical index and FTS5 bm25 agree', () => {
  test('on 400 random queries (phrases, codes, stop words, stems) over 600 products', () => {
    const rand = seededRandom(3);
    const slots = new Map<string, number>();
    write(
      Array.from({ length: 600 }, (_, i) => randomProduct(rand, `p${i}`)),
      slots,
    );
    expectSameRanking(loadIndex(), rand, 400);
  });

  test('after updates and deletes, both in the index kept up to date and in one rebuilt from the stored terms', () => {
    const rand = seededRandom(4);
    const slots = new Map<string, number>();
    write(
      Array.from({ length: 400 }, (_, i) => randomProduct(rand, `p${i}`)),
      slots,
    );
    const live = loadIndex();
    for (let round = 0; round < 4; round++) {
      const changed = Array.from({ length: 60 }, () => randomProduct(rand, `p${Math.floor(rand() * 500)}`));
      const unique = [...new Map(changed.map((p) => [p.id, p])).values()];
      write(unique, slots);
      live.update(unique.map((p) => ({ slot: slots.get(p.id)!, document: lexicalDocument(p) })));
      const gone = [...slots.keys()].filter(() => rand() < 0.05);
      db.deleteSlots(gone.map((id) => slots.get(id)!));
      live.delete(gone.map((id) => slots.get(id)!));
      for (const id of gone) slots.delete(id);
      expect(live.size).toBe(slots.size);
      expectSameRanking(live, rand, 60);
    }
    expectSameRanking(loadIndex(), rand, 60);
  });
});
