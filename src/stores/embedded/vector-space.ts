/**
 * One vector space (image or text) of the embedded store: unit-length Float32 vectors by slot in
 * memory for exact scoring, and an HNSW graph (hnswlib-node, inner product) for approximate search.
 *
 * Slots are product row ids and double as HNSW labels. Vectors written since the graph was last
 * updated are "pending": searches score them exactly and the graph skips them, so results are
 * never stale while the graph catches up in the background.
 *
 * The graph is persisted as numbered files `<space>.<generation>.hnsw`, described by the checkpoint
 * `<space>.hnsw.json`: for the current graph file and the one before it, the write sequence number it
 * reflects, its size and SHA-256. A checkpoint writes the new graph to a temporary file, fsyncs it and
 * renames it into place, then replaces the checkpoint the same way (temporary file, fsync, rename,
 * fsync of the directory), and only then deletes graph files the checkpoint no longer names. A kill at
 * any step therefore leaves the previous checkpoint and its graph intact: the next open loads it and
 * re-indexes only rows written after its sequence number. If the current graph file is damaged
 * anyway (e.g. a power cut lost writes the disk had acknowledged), the open falls back to the previous
 * graph; only when neither is usable is the graph rebuilt from the database. A store written before
 * numbered files (`<space>.hnsw`, checkpoint format 1) still loads.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
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

/** One persisted graph: its file (in the store directory), the write sequence it reflects, size and hash. */
interface GraphFile {
  file: string;
  generation: number;
  seq: number;
  bytes: number;
  sha256: string;
}

interface Checkpoint {
  format: 2;
  space: VectorSpace;
  dim: number;
  m: number;
  efConstruction: number;
  current: GraphFile;
  previous: GraphFile | null;
}

/** The checkpoint written before numbered graph files: one graph, `<space>.hnsw`. */
interface CheckpointV1 {
  format: 1;
  space: VectorSpace;
  dim: number;
  seq: number;
  bytes: number;
  sha256: string;
}

/** Writes a file durably: a temporary file, fsync, rename into place, fsync of the directory. */
export function writeFileAtomic(dir: string, name: string, write: (tmp: string) => void): void {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  write(tmp);
  fsyncFile(tmp);
  renameSync(tmp, target);
  fsyncDirectory(dir);
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some platforms and file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    closeSync(fd);
  }
}

function writeText(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * How a space's graph was attached at open: loaded from a checkpoint (`graph` says whether the
 * current graph file or, the current one being damaged, the previous one), or rebuilt and why.
 */
export type IndexLoad =
  | { kind: 'loaded'; checkpointSeq: number; pending: number; graph: 'current' | 'previous' }
  | { kind: 'rebuild'; reason: string; pending: number };

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
  /** The graph file on disk that the in-memory graph started from or was last saved to. */
  private saved: GraphFile | null = null;
  /** Highest graph file generation seen in this directory. */
  private generation = 0;

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

  private get metaName(): string {
    return `${this.space}.hnsw.json`;
  }

  private graphName(generation: number): string {
    return `${this.space}.${generation}.hnsw`;
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
    const graph = this.dirty === 0 ? 'current' : 'previous';
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
    return { kind: 'loaded', checkpointSeq: cp, pending: this.pending.size, graph };
  }

  /**
   * Loads the newest usable graph the checkpoint names (the current one, else the previous one) and
   * returns its sequence number, or why none can be used.
   */
  private tryLoad(dir: string, dbSeq: number): number | string {
    const meta = join(dir, this.metaName);
    if (!existsSync(meta)) return 'no index files';
    let cp: Checkpoint;
    try {
      cp = this.readCheckpoint(meta);
    } catch (e) {
      return (e as Error).message;
    }
    if (cp.space !== this.space || cp.dim !== this.dim) return 'checkpoint for another space or dimension';
    this.generation = Math.max(cp.current.generation, cp.previous?.generation ?? 0);
    let reason = '';
    for (const graph of [cp.current, cp.previous]) {
      if (!graph) continue;
      const why = this.tryLoadGraph(dir, graph, dbSeq);
      if (why === null) {
        this.saved = graph;
        // Loaded from the fallback: the next checkpoint replaces the damaged current graph.
        this.dirty = graph === cp.current ? 0 : 1;
        return graph.seq;
      }
      reason ||= why;
    }
    return reason;
  }

  private readCheckpoint(meta: string): Checkpoint {
    let parsed: Checkpoint | CheckpointV1;
    try {
      parsed = JSON.parse(readFileSync(meta, 'utf8')) as Checkpoint | CheckpointV1;
    } catch {
      throw new Error('unreadable checkpoint');
    }
    if (parsed?.format === 1) {
      const v1 = parsed;
      return {
        format: 2,
        space: v1.space,
        dim: v1.dim,
        m: this.options.m,
        efConstruction: this.options.efConstruction,
        current: { file: `${this.space}.hnsw`, generation: 0, seq: v1.seq, bytes: v1.bytes, sha256: v1.sha256 },
        previous: null,
      };
    }
    if (parsed?.format !== 2 || !isGraphFile(parsed.current) || (parsed.previous !== null && !isGraphFile(parsed.previous))) {
      throw new Error('unreadable checkpoint');
    }
    return parsed;
  }

  /** Loads one graph file; null when it is now this space's graph, else why not. */
  private tryLoadGraph(dir: string, graph: GraphFile, dbSeq: number): string | null {
    if (!(graph.seq <= dbSeq)) return 'checkpoint is newer than the database';
    const file = join(dir, graph.file);
    if (!existsSync(file)) return 'index file named by the checkpoint is missing';
    const bytes = readFileSync(file);
    if (bytes.length !== graph.bytes || createHash('sha256').update(bytes).digest('hex') !== graph.sha256) return 'index file does not match its checkpoint';
    try {
      const g = new HierarchicalNSW('ip', this.dim);
      g.readIndexSync(file);
      if (g.getNumDimensions() !== this.dim) return 'index dimension differs';
      this.hnsw = g;
    } catch (e) {
      return `index unreadable: ${(e as Error).message}`;
    }
    return null;
  }

  /**
   * Writes the graph and then the checkpoint naming it, each atomically and durably (see the
   * header); the graph before it stays as the fallback. The checkpoint's sequence number stops
   * before the oldest pending write, so a reopen re-indexes those rows.
   */
  checkpoint(dir: string, dbSeq: number): void {
    if (!this.hasUncheckpointedChanges && this.saved && existsSync(join(dir, this.metaName))) return;
    let seq = dbSeq;
    for (const s of this.pending.values()) seq = Math.min(seq, s - 1);
    const previous = this.saved;
    const generation = ++this.generation;
    const name = this.graphName(generation);
    writeFileAtomic(dir, name, (tmp) => this.hnsw.writeIndexSync(tmp));
    const bytes = readFileSync(join(dir, name));
    const current: GraphFile = { file: name, generation, seq, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    const usablePrevious = previous && existsSync(join(dir, previous.file)) ? previous : null;
    const cp: Checkpoint = {
      format: 2,
      space: this.space,
      dim: this.dim,
      m: this.options.m,
      efConstruction: this.options.efConstruction,
      current,
      previous: usablePrevious,
    };
    writeFileAtomic(dir, this.metaName, (tmp) => writeText(tmp, JSON.stringify(cp)));
    this.saved = current;
    this.dirty = 0;
    this.removeUnnamedGraphs(dir, cp);
  }

  /** Deletes this space's graph files (and leftover temporary files) that the checkpoint does not name. */
  private removeUnnamedGraphs(dir: string, cp: Checkpoint): void {
    const keep = new Set([cp.current.file, cp.previous?.file]);
    const mine = new RegExp(`^${this.space}\\.(\\d+\\.)?hnsw(\\.tmp)?$|^${this.space}\\.hnsw\\.json\\.tmp$`);
    for (const name of readdirSync(dir)) {
      if (mine.test(name) && !keep.has(name)) rmSync(join(dir, name), { force: true });
    }
  }
}

function isGraphFile(g: unknown): g is GraphFile {
  const r = g as GraphFile;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.file === 'string' &&
    /^[a-z]+\.(\d+\.)?hnsw$/.test(r.file) &&
    Number.isInteger(r.generation) &&
    Number.isInteger(r.seq) &&
    Number.isInteger(r.bytes) &&
    typeof r.sha256 === 'string'
  );
}
