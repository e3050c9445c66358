/**
 * The embedded store's lexical index: an in-memory inverted index over the analyzed title,
 * description and brand of every product, scored with the project's BM25 (src/stores/bm25.ts) and
 * searched for the top k with dynamic pruning (block-max-search.ts), filters applied as bitsets
 * during the traversal.
 *
 * Why postings of our own. Measured on the same 350,000 catalogue texts (analyzed once, the same
 * terms for every engine) and 1,000 sampled validation queries, top 10, on the shared 2-core machine
 * (bench/lexical.bench.ts; full table and command in bench/README.md, "Lexical top-k"):
 * - SQLite FTS5, which ranked the text before: p50 31 ms, p95 99 ms. `ORDER BY rank LIMIT 10` is
 *   no faster (FTS5 still computes bm25 for every match before keeping ten), and a filter cannot
 *   reach inside FTS5, so a filtered query walks the ranked matches in JavaScript. Persisted and
 *   transactional; its bm25() is the project's former BM25 (FTS5's idf, the live mean length),
 *   not the one both stores compute now.
 * - minisearch 7: p50 101 ms; BM25+ with per-field lengths, so only 19 of 100 top-10 lists equal
 *   this BM25's (overlap 0.67); 650 MB; persists as one JSON of the whole index.
 * - flexsearch 0.8: p50 1.3 ms unfiltered but 34 ms with a filter (no filter inside the index: every
 *   match comes back to be filtered); contextual scores rather than BM25 (overlap 0.32 with it).
 * - @orama/orama 3: p50 730 ms, p95 6 s, 1.4 GB; its BM25 differs (overlap 0.64); persists as one
 *   JSON of the whole index.
 * - These postings: p50 0.4 ms, p95 1 ms, with or without a filter; the top 10 equals the
 *   exhaustive BM25 top 10 on all 1,000 queries, scoring about 100 documents a query out of tens of
 *   thousands of matches; about 365 MB (a third of it the full catalogue's 350,000 product codes,
 *   one compound term each); updated in place.
 * So speed and exactness decide for these postings, and persistence stays with SQLite (below).
 *
 * Persistence: SQLite stays the source of truth. Its FTS5 table holds each product's analyzed
 * words (written in the same transaction as the product), and `EmbeddedStore.open` rebuilds this
 * index from it (`buildLexicalIndex`), splitting the stored words rather than analysing text again
 * (analysing 350,000 products takes about 20 s; rebuilding from the stored words about 5 s); writes
 * update the index after their commit, in the same batch.
 *
 * Layout: a term dictionary (string -> id); per term a postings list (slots ascending, weighted
 * frequency; postings.ts); per slot the document length; and each document's term ids in field
 * order (forward-store.ts), to take a document out of its postings on update or delete. A word of
 * several terms ("sku-1042") is indexed as its terms and as one compound term ("sku 1042", see
 * src/stores/bm25.ts), so a query word of several terms is one postings list like any other.
 */
import { AVERAGE_DOCUMENT_LENGTH, bm25Idf, documentLength, fieldTerms, FIELD_WEIGHT_LIST, type LexicalDocument } from '../../bm25';
import type { Bitset } from '../bitset';
import { blockMaxTopK, type LexicalHit, type QueryTerm, type SearchWork } from './block-max-search';
import { exhaustiveTopK } from './exhaustive-search';
import { ForwardStore } from './forward-store';
import { Postings } from './postings';

export type { LexicalHit, SearchWork } from './block-max-search';

export interface LexicalIndexStats {
  documents: number;
  /** Documents holding at least one term: N of the idf. */
  documentsWithTerms: number;
  terms: number;
  postings: number;
  /** The live mean of the document lengths (scoring uses the fixed AVERAGE_DOCUMENT_LENGTH). */
  averageLength: number;
  /** Bytes of the typed arrays (postings, bounds, lengths, forward store), not counting the term dictionary's strings. */
  arrayBytes: number;
}

export class LexicalIndex {
  private readonly termIds = new Map<string, number>();
  private readonly postings: Postings[] = [];
  private lengths = new Uint32Array(1024);
  private readonly forward: ForwardStore;
  private documents = 0;
  private documentsWithTerms = 0;
  private totalLength = 0;
  /** The highest slot ever written: a new document above it only appends to postings. */
  private highestSlot = -1;
  /** Term ids of the document being written, all fields in a row. */
  private documentIds = new Int32Array(256);
  private weightOld = new Float64Array(1024);
  private weightNew = new Float64Array(1024);

  constructor(private readonly fieldWeights: readonly number[] = FIELD_WEIGHT_LIST) {
    if (fieldWeights.length === 0 || fieldWeights.some((w) => !(w > 0) || !Number.isFinite(w))) {
      throw new RangeError(`field weights must be positive numbers (got ${JSON.stringify(fieldWeights)})`);
    }
    this.forward = new ForwardStore(fieldWeights.length);
  }

  /** Number of documents indexed (including those without any term). */
  get size(): number {
    return this.documents;
  }

  get averageLength(): number {
    return this.documents === 0 ? 0 : this.totalLength / this.documents;
  }

  has(slot: number): boolean {
    return this.forward.has(slot);
  }

  /** Adds or replaces one document. */
  set(slot: number, document: LexicalDocument): void {
    this.update([{ slot, document }]);
  }

  delete(slots: readonly number[]): void {
    this.update([], slots);
  }

  /**
   * Adds or replaces documents and removes others, in one pass over each changed postings list.
   * A slot both written and removed in one call is removed.
   */
  update(writes: readonly { slot: number; document: LexicalDocument }[], removals: readonly number[] = []): void {
    const bySlot = new Map<number, LexicalDocument | null>();
    for (const { slot, document } of writes) {
      if (!Number.isInteger(slot) || slot < 0) throw new RangeError(`slot must be a non-negative integer (got ${slot})`);
      if (!Array.isArray(document) || document.length !== this.fieldWeights.length) {
        throw new RangeError(`a document has ${this.fieldWeights.length} fields of terms (slot ${slot})`);
      }
      bySlot.set(slot, document);
    }
    for (const slot of removals) bySlot.set(slot, null);
    const slots = [...bySlot.keys()].sort((a, b) => a - b);
    const ops = new Map<number, { slots: number[]; freqs: number[] }>();
    const op = (term: number, slot: number, freq: number) => {
      let o = ops.get(term);
      if (!o) ops.set(term, (o = { slots: [], freqs: [] }));
      o.slots.push(slot);
      o.freqs.push(freq);
    };
    const oldTerms: number[] = [];
    const newTerms: number[] = [];
    const fieldLengths: number[] = new Array(this.fieldWeights.length).fill(0);
    for (const slot of slots) {
      const document = bySlot.get(slot)!;
      const at = this.forward.offset(slot);
      if (at < 0 && document === null) continue;
      let ids: Int32Array | null = null;
      let newLength = 0;
      if (document) {
        ids = this.intern(document, fieldLengths);
        newLength = documentLength(document);
      }
      if (this.weightNew.length < this.postings.length) this.growScratch();
      const oldLength = at >= 0 ? this.lengths[slot] : 0;
      if (at >= 0) this.accumulateRecord(at, this.weightOld, oldTerms);
      if (ids) {
        let i = 0;
        for (let f = 0; f < fieldLengths.length; f++) {
          const w = this.fieldWeights[f];
          for (const end = i + fieldLengths[f]; i < end; i++) {
            if (this.weightNew[ids[i]] === 0) newTerms.push(ids[i]);
            this.weightNew[ids[i]] += w;
          }
        }
      }
      this.ensureSlot(slot);
      this.lengths[slot] = newLength;
      if (at < 0 && slot > this.highestSlot) {
        // A new document after every other (the bulk load at open, new products): straight appends.
        for (const t of newTerms) this.postings[t].append(slot, Math.fround(this.weightNew[t]), this.lengths);
      } else {
        for (const t of oldTerms) if (this.weightNew[t] === 0) op(t, slot, 0);
        for (const t of newTerms) {
          if (this.weightNew[t] !== this.weightOld[t] || newLength !== oldLength) op(t, slot, Math.fround(this.weightNew[t]));
        }
      }
      for (const t of oldTerms) this.weightOld[t] = 0;
      for (const t of newTerms) this.weightNew[t] = 0;
      oldTerms.length = 0;
      newTerms.length = 0;
      if (at >= 0) {
        this.documents--;
        if (oldLength > 0) this.documentsWithTerms--;
        this.totalLength -= oldLength;
      }
      if (ids) {
        this.documents++;
        if (newLength > 0) this.documentsWithTerms++;
        this.totalLength += newLength;
        this.forward.set(slot, ids, fieldLengths);
        if (slot > this.highestSlot) this.highestSlot = slot;
      } else {
        this.forward.remove(slot);
      }
    }
    for (const [term, o] of ops) this.postings[term].apply(o.slots, o.freqs, this.lengths);
  }

  /** The k best documents for the query terms (see src/stores/bm25.ts `lexicalQuery`), within `filter` when given. */
  search(terms: readonly string[], k: number, filter?: Bitset, work?: SearchWork): LexicalHit[] {
    return blockMaxTopK(this.queryTerms(terms), k, this.lengths, AVERAGE_DOCUMENT_LENGTH, filter, work);
  }

  /** The same ranking by scoring every match (the reference for `search`). */
  searchExhaustive(terms: readonly string[], k: number, filter?: Bitset): LexicalHit[] {
    return exhaustiveTopK(this.queryTerms(terms), k, this.lengths, AVERAGE_DOCUMENT_LENGTH, filter);
  }

  /** Number of documents holding the index term. */
  documentFrequency(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.postings[id].length;
  }

  /** Gives back spare capacity after a bulk load. */
  trim(): void {
    for (const p of this.postings) p.trim();
    this.forward.trim();
  }

  stats(): LexicalIndexStats {
    let postings = 0;
    let bytes = this.lengths.byteLength + this.forward.bytes;
    for (const p of this.postings) {
      postings += p.length;
      bytes += p.bytes;
    }
    return { documents: this.documents, documentsWithTerms: this.documentsWithTerms, terms: this.termIds.size, postings, averageLength: this.averageLength, arrayBytes: bytes };
  }

  private queryTerms(terms: readonly string[]): QueryTerm[] {
    const found: QueryTerm[] = [];
    for (const term of terms) {
      const id = this.termIds.get(term);
      const p = id === undefined ? undefined : this.postings[id];
      if (!p || p.length === 0) continue;
      found.push({ docs: p.docs, freqs: p.freqs, length: p.length, idf: bm25Idf(this.documentsWithTerms, p.length), rangeMaxFreq: p.rangeMaxFreq, rangeMinLength: p.rangeMinLength });
    }
    return found;
  }

  /** The document's index term ids, all fields in a row (a view of a reused buffer), with each field's number of them. */
  private intern(document: LexicalDocument, fieldLengths: number[]): Int32Array {
    const fields = document.map(fieldTerms);
    let size = 0;
    for (const field of fields) size += field.length;
    if (size > this.documentIds.length) this.documentIds = new Int32Array(Math.max(size, this.documentIds.length * 2));
    const ids = this.documentIds;
    let i = 0;
    fields.forEach((terms, f) => {
      fieldLengths[f] = terms.length;
      for (const term of terms) {
        let id = this.termIds.get(term);
        if (id === undefined) {
          id = this.postings.length;
          this.termIds.set(term, id);
          this.postings.push(new Postings());
        }
        ids[i++] = id;
      }
    });
    return ids.subarray(0, size);
  }

  private accumulateRecord(at: number, weights: Float64Array, touched: number[]): void {
    const data = this.forward.data;
    let w = at + this.fieldWeights.length;
    for (let f = 0; f < this.fieldWeights.length; f++) {
      const len = data[at + f];
      const weight = this.fieldWeights[f];
      for (let i = w; i < w + len; i++) {
        const t = data[i];
        if (weights[t] === 0) touched.push(t);
        weights[t] += weight;
      }
      w += len;
    }
  }

  private growScratch(): void {
    const size = Math.max(this.postings.length, this.weightNew.length * 2);
    const a = new Float64Array(size);
    a.set(this.weightOld);
    this.weightOld = a;
    const b = new Float64Array(size);
    b.set(this.weightNew);
    this.weightNew = b;
  }

  private ensureSlot(slot: number): void {
    if (slot < this.lengths.length) return;
    const lengths = new Uint32Array(Math.max(slot + 1, this.lengths.length * 2));
    lengths.set(this.lengths);
    this.lengths = lengths;
  }
}

/**
 * Builds an index from documents delivered in ascending slot order (as the store reads them from
 * SQLite at open), in batches, so every postings list only grows at its end; spare capacity is given
 * back at the end.
 */
export function buildLexicalIndex(each: (add: (slot: number, document: LexicalDocument) => void) => void): LexicalIndex {
  const index = new LexicalIndex();
  const BATCH = 4096;
  let batch: { slot: number; document: LexicalDocument }[] = [];
  each((slot, document) => {
    batch.push({ slot, document });
    if (batch.length === BATCH) {
      index.update(batch);
      batch = [];
    }
  });
  index.update(batch);
  index.trim();
  return index;
}
