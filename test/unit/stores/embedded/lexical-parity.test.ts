/**
 * The embedded store's lexical index, built from product text or rebuilt from the words SQLite
 * stores, computes the project's BM25 (src/stores/bm25.ts) as the Qdrant adapter's helpers define a
 * product's term frequencies and length: same terms, weights, idf, lengths and tie order, before and
 * after writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Product } from '../../../../src/domain/product';
import { AVERAGE_DOCUMENT_LENGTH, bm25Idf, bm25TermScore, documentLength, lexicalDocument, lexicalQuery, termFrequencies, type LexicalDocument } from '../../../../src/stores/bm25';
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
  const batch: { slot: number; document: LexicalDocument }[] = [];
  db.loadLexicalDocuments((slot, document) => batch.push({ slot, document }));
  index.update(batch);
  return index;
}

/** Every stored product scored from its text with the term frequencies and length the Qdrant adapter writes. */
function scoreEveryProduct(query: string, k: number): { slot: number; score: number }[] {
  const docs = new Map<number, { f: Map<string, number>; length: number }>();
  db.loadLexicalDocuments((slot, document) => docs.set(slot, { f: termFrequencies(document), length: documentLength(document) }));
  const n = [...docs.values()].filter((d) => d.length > 0).length;
  const terms = lexicalQuery(query).map((term) => ({ term, idf: bm25Idf(n, [...docs.values()].filter((d) => d.f.has(term)).length) }));
  const hits: { slot: number; score: number }[] = [];
  for (const [slot, d] of docs) {
    let score = 0;
    let matched = false;
    for (const { term, idf } of terms) {
      const f = d.f.get(term);
      if (f === undefined) continue;
      matched = true;
      score += bm25TermScore(idf, f, d.length, AVERAGE_DOCUMENT_LENGTH);
    }
    if (matched) hits.push({ slot, score });
  }
  return hits.sort((a, b) => b.score - a.score || a.slot - b.slot).slice(0, k);
}

function expectSameRanking(index: LexicalIndex, rand: () => number, queries: number): void {
  for (let q = 0; q < queries; q++) {
    const query = text(rand, 1, 5);
    expect(index.search(lexicalQuery(query), 25)).toEqual(scoreEveryProduct(query, 25));
  }
}

describe('lexical index and the BM25 definition agree', () => {
  test("the stored words give back each product's analyzed words", () => {
    const rand = seededRandom(2);
    const slots = new Map<string, number>();
    const products = Array.from({ length: 50 }, (_, i) => randomProduct(rand, `p${i}`));
    write(products, slots);
    const stored = new Map<number, LexicalDocument>();
    db.loadLexicalDocuments((slot, document) => stored.set(slot, document));
    for (const p of products) expect(stored.get(slots.get(p.id)!)).toEqual(lexicalDocument(p));
  });

  test('on 400 random queries (codes, hyphenated words, stop words, stems) over 600 products', () => {
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
