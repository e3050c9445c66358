/**
 * One vector space (image or text) of the embedded store: unit-length Float32 vectors by slot in
 * memory for exact scoring, and an HNSW graph (hnswlib-node, inner product) for approximate search.
 *
 * Slots are product row ids and double as HNSW labels. Vectors written since the graph was last
 * updated are "pending": searches score them exactly and the graph skips them, so results are
 * never stale while the graph catches up in the background.
 *
 * The graph is persisted as `<space>.hnsw` plus a `<space>.hnsw.json` checkpoint holding the write
 * sequence number it reflects, its dimension, size and SHA-256. At open, rows written after that
 * sequence number become pending again; a missing, mismatched or corrupt file means a rebuild.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import type { VectorSpace } from '../vector-store';
import { Bitset } from './bitset';
import { VectorArena } from './vector-arena';
import { TopK } from './top-k';

export interface HnswOptions {
  /** Graph degree. */
  m: number;
  efConstruction: number;
  /** Base search breadth; filtered searches widen it by the inverse of the filter's selectivity. */
  efSearch: number;
  /** Upper bound on the widened breadth. */
  maxEf: number;
  /** Filters keeping at least this share of the graph are applied after an unfiltered walk. */
  postFilterMin: number;
}

export const DEFAULT_HNSW: HnswOptions = { m: 16, efConstruction: 100, efSearch: 256, maxEf: 1024, postFilterMin: 0.25 };

interface Checkpoint {
  format: 1;
  space: VectorSpace;
  dim: number;
  seq: number;
  bytes: number;
  sha256: string;
  m: number;
  efConstruction: number;
}

export type IndexLoad = { kind: 'loaded'; checkpointSeq: number; pending: number } | { kind: 'rebuild'; reason: string; pending: number };

export class VectorSpaceIndex {
  private readonly arena: VectorArena;
  readonly present = new Bitset(1024);
  private presentCount = 0;
  private hnsw!: HierarchicalNSW;
  /** slot -> write sequence number of vectors not yet in the graph. */
  private readonly pending = new Map<number, number>();
  private readonly pendingBits = new Bitset(1024);
  /** Graph mutations since the last checkpoint. */
  private dirty = 0;

  constructor(
    readonly space: VectorSpace,
    readonly dim: number,
    private readonly options: HnswOptions,
  ) {
    this.arena = new VectorArena(dim);
    this.hnsw = this.emptyGraph(1024);
  }

  get count(): number {
    return this.presentCount;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get hasUncheckpointedChanges(): boolean {
    return this.dirty > 0 || this.pending.size > 0;
  }

  private emptyGraph(capacity: number): HierarchicalNSW {
    const g = new HierarchicalNSW('ip', this.dim);
    g.initIndex({ maxElements: capacity, m: this.options.m, efConstruction: this.options.efConstruction, randomSeed: 100 });
    return g;
  }

  /** Stores a unit-length vector; `seq` is the write that produced it. */
  set(slot: number, vector: Float32Array, seq: number, indexLater = true): void {
    this.arena.set(slot, vector);
    if (!this.present.has(slot)) {
      this.present.add(slot);
      this.presentCount++;
    }
    if (indexLater) {
      this.pending.set(slot, seq);
      this.pendingBits.add(slot);
    }
  }

  remove(slot: number): void {
    if (!this.present.has(slot)) return;
    this.present.delete(slot);
    this.presentCount--;
    this.pending.delete(slot);
    this.pendingBits.delete(slot);
    this.markDeleted(slot);
  }

  private markDeleted(slot: number): void {
    try {
      this.hnsw.markDelete(slot);
      this.dirty++;
    } catch {
      // Not in the graph, or already deleted.
    }
  }

  get(slot: number): Float32Array | null {
    return this.present.has(slot) ? this.arena.get(slot) : null;
  }

  private exact(q: Float32Array, candidates: Bitset, top: TopK): void {
    this.arena.scoreAll(q, (visit) => candidates.forEach(visit), (slot, s) => top.push(slot, s));
  }

  private rescore(q: Float32Array, slots: number[], top: TopK): void {
    this.arena.scoreAll(q, (visit) => slots.forEach(visit), (slot, s) => top.push(slot, s));
  }

  /**
   * The k slots with the highest cosine to `q` (unit length) among `candidates`.
   * Scores exactly when asked, when scoring every candidate costs at most `exactBudget`
   * multiply-adds (candidates x dimension), or when the graph is empty; otherwise walks the graph
   * restricted to the candidates and re-scores what it returns.
   */
  search(q: Float32Array, candidates: Bitset, k: number, exact: boolean, exactBudget: number): { slot: number; score: number }[] {
    const cand = candidates.clone().and(this.present);
    const candCount = cand.count();
    const top = new TopK(Math.min(k, candCount));
    if (candCount === 0) return [];
    const indexedLive = this.presentCount - this.pending.size;
    if (exact || candCount * this.dim <= exactBudget || indexedLive <= 0) {
      this.exact(q, cand, top);
      return top.result();
    }
    const inGraph = cand.clone().andNot(this.pendingBits);
    const inGraphCount = inGraph.count();
    if (inGraphCount > 0) this.graphSearch(q, inGraph, inGraphCount, indexedLive, k, top);
    this.exact(q, cand.and(this.pendingBits), top);
    return top.result();
  }

  /**
   * Walks the graph for the k best of `allowed`. A loose filter (selectivity >= postFilterMin) runs
   * an unfiltered search for proportionally more neighbours and keeps the allowed ones, which avoids
   * a filter callback per visited node; if too few survive, or for tighter filters, the walk itself
   * is restricted to the allowed slots. Breadth widens with the inverse of the selectivity.
   */
  private graphSearch(q: Float32Array, allowed: Bitset, allowedCount: number, indexedLive: number, k: number, top: TopK): void {
    const query = Array.from(q);
    const selectivity = allowedCount / indexedLive;
    const want = Math.min(k, allowedCount);
    const ef = Math.min(this.options.maxEf, Math.ceil(Math.max(this.options.efSearch, k) / Math.max(selectivity, 1e-3)));
    if (selectivity >= this.options.postFilterMin) {
      const fetch = Math.min(indexedLive, Math.ceil((2 * k) / selectivity) + 10);
      this.hnsw.setEf(Math.max(ef, fetch));
      const found = this.hnsw.searchKnn(query, fetch).neighbors.filter((slot) => allowed.has(slot));
      if (found.length >= want) {
        this.rescore(q, found, top);
        return;
      }
    }
    this.hnsw.setEf(Math.max(ef, want));
    const filter = allowedCount < indexedLive ? (label: number) => allowed.has(label) : undefined;
    this.rescore(q, this.hnsw.searchKnn(query, want, filter).neighbors, top);
  }

  /** Adds pending vectors to the graph until `deadline` (ms since epoch); true when some remain. */
  indexPending(deadline: number): boolean {
    let n = 0;
    for (const [slot] of this.pending) {
      if (this.hnsw.getCurrentCount() >= this.hnsw.getMaxElements()) {
        this.hnsw.resizeIndex(Math.max(1024, this.hnsw.getMaxElements() * 2));
      }
      this.hnsw.addPoint(Array.from(this.arena.get(slot)), slot);
      this.pending.delete(slot);
      this.pendingBits.delete(slot);
      this.dirty++;
      if (++n % 8 === 0 && Date.now() >= deadline) break;
    }
    return this.pending.size > 0;
  }

  private paths(dir: string): { index: string; meta: string } {
    return { index: join(dir, `${this.space}.hnsw`), meta: join(dir, `${this.space}.hnsw.json`) };
  }

  /**
   * Attaches the persisted graph after every stored vector was `set` with indexLater = false.
   * `slotSeq` gives the write sequence number of a slot's row; `dbSeq` the database's latest.
   */
  load(dir: string, dbSeq: number, slotSeq: (slot: number) => number): IndexLoad {
    const reason = this.tryLoad(dir, dbSeq);
    if (typeof reason === 'string') {
      this.hnsw = this.emptyGraph(Math.max(1024, this.presentCount));
      this.present.forEach((slot) => {
        this.pending.set(slot, slotSeq(slot));
        this.pendingBits.add(slot);
      });
      this.dirty = 1;
      return { kind: 'rebuild', reason, pending: this.pending.size };
    }
    const cp = reason;
    const labels = new Bitset(this.present.capacity);
    for (const label of this.hnsw.getIdsList()) {
      labels.add(label);
      if (!this.present.has(label)) this.markDeleted(label);
    }
    this.present.forEach((slot) => {
      const seq = slotSeq(slot);
      if (seq > cp || !labels.has(slot)) {
        this.pending.set(slot, seq);
        this.pendingBits.add(slot);
      }
    });
    return { kind: 'loaded', checkpointSeq: cp, pending: this.pending.size };
  }

  /** The checkpoint's sequence number, or why the files cannot be used. */
  private tryLoad(dir: string, dbSeq: number): number | string {
    const { index, meta } = this.paths(dir);
    if (!existsSync(index) || !existsSync(meta)) return 'no index files';
    let cp: Checkpoint;
    try {
      cp = JSON.parse(readFileSync(meta, 'utf8')) as Checkpoint;
    } catch {
      return 'unreadable checkpoint';
    }
    if (cp.format !== 1 || cp.space !== this.space || cp.dim !== this.dim) return 'checkpoint for another space or dimension';
    if (!(cp.seq <= dbSeq)) return 'checkpoint is newer than the database';
    const bytes = readFileSync(index);
    if (bytes.length !== cp.bytes || createHash('sha256').update(bytes).digest('hex') !== cp.sha256) return 'index file does not match its checkpoint';
    try {
      const g = new HierarchicalNSW('ip', this.dim);
      g.readIndexSync(index);
      if (g.getNumDimensions() !== this.dim) return 'index dimension differs';
      this.hnsw = g;
    } catch (e) {
      return `index unreadable: ${(e as Error).message}`;
    }
    this.dirty = 0;
    return cp.seq;
  }

  /**
   * Writes the graph and its checkpoint atomically (temporary file + rename). The checkpoint's
   * sequence number stops before the oldest pending write, so a reopen re-indexes those rows.
   */
  checkpoint(dir: string, dbSeq: number): void {
    if (!this.hasUncheckpointedChanges && existsSync(this.paths(dir).meta)) return;
    let seq = dbSeq;
    for (const s of this.pending.values()) seq = Math.min(seq, s - 1);
    const { index, meta } = this.paths(dir);
    const tmp = `${index}.tmp`;
    this.hnsw.writeIndexSync(tmp);
    const bytes = readFileSync(tmp);
    const cp: Checkpoint = {
      format: 1,
      space: this.space,
      dim: this.dim,
      seq,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      m: this.options.m,
      efConstruction: this.options.efConstruction,
    };
    // The old checkpoint goes first: a crash between the renames leaves no checkpoint (a rebuild), never a mismatched one.
    rmSync(meta, { force: true });
    renameSync(tmp, index);
    writeFileSync(`${meta}.tmp`, JSON.stringify(cp));
    renameSync(`${meta}.tmp`, meta);
    this.dirty = 0;
  }
}
