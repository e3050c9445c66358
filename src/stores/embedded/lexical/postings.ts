/**
 * One term's postings: the slots of the documents holding it, ascending, with the term's weighted
 * frequency in each (see src/stores/bm25.ts), in two parallel typed arrays that grow by doubling.
 *
 * Range bounds (block-max metadata over fixed slot ranges). Slots are cut into ranges of
 * 2^RANGE_BITS; for each range the list keeps the largest weighted frequency and the shortest
 * document among its postings there. BM25 grows with the frequency and shrinks with the length, so
 * the score of those two together bounds every posting of the range whatever the collection's
 * statistics (N, document frequency, average length) are at query time: the bounds never go stale
 * when other documents change. Ranges follow slots rather than positions in the list, so inserting
 * or removing a posting changes the bounds of its own range only; that range is re-scanned (at most
 * 2^RANGE_BITS postings). Lists shorter than RANGE_BOUNDS_MIN_LENGTH keep no ranges: the search
 * bounds them by scanning them whole.
 *
 * Changes come in batches sorted by slot (`apply`): updates in place, removals by one compaction
 * from the first removed position, insertions by moving the runs between them once from the back,
 * so a batch costs one pass over the tail it changes (native memmove) and appending costs O(1).
 */

export const RANGE_BITS = 12;
export const RANGE_SIZE = 1 << RANGE_BITS;
/** Lists at least this long keep range bounds. */
export const RANGE_BOUNDS_MIN_LENGTH = 256;
const NO_LENGTH = 0xffffffff;
/** The storage of every empty list (never written: a list allocates its own arrays before its first posting). */
const NO_DOCS = new Int32Array(0);
const NO_FREQS = new Float32Array(0);

export class Postings {
  docs: Int32Array;
  freqs: Float32Array;
  length = 0;
  /** Per slot range: largest weighted frequency (0 where the range holds no posting); null for short lists. */
  rangeMaxFreq: Float32Array | null = null;
  /** Per slot range: shortest document length (0xffffffff where the range holds no posting). */
  rangeMinLength: Uint32Array | null = null;

  /**
   * Lists start without storage and grow from one posting: most terms of a large catalogue (product
   * codes and other compound terms) are held by a single document, and two typed arrays of one
   * element are their whole cost.
   */
  constructor(capacity = 0) {
    this.docs = capacity === 0 ? NO_DOCS : new Int32Array(capacity);
    this.freqs = capacity === 0 ? NO_FREQS : new Float32Array(capacity);
  }

  get last(): number {
    return this.length === 0 ? -1 : this.docs[this.length - 1];
  }

  /** First position whose slot is >= `slot` (length when none). */
  lowerBound(slot: number, from = 0): number {
    let lo = from;
    let hi = this.length;
    const docs = this.docs;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (docs[mid] < slot) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Weighted frequency of the term in `slot`, 0 when absent. */
  frequency(slot: number): number {
    const i = this.lowerBound(slot);
    return i < this.length && this.docs[i] === slot ? this.freqs[i] : 0;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.docs.length) return;
    const cap = Math.max(capacity, this.docs.length * 2);
    const docs = new Int32Array(cap);
    docs.set(this.docs.subarray(0, this.length));
    const freqs = new Float32Array(cap);
    freqs.set(this.freqs.subarray(0, this.length));
    this.docs = docs;
    this.freqs = freqs;
  }

  /** Adds a posting after the last one (`slot` above every slot held; its length already in `lengths`). */
  append(slot: number, freq: number, lengths: Uint32Array): void {
    if (this.length === this.docs.length) this.reserve(this.length + 1);
    this.docs[this.length] = slot;
    this.freqs[this.length++] = freq;
    const maxFreq = this.rangeMaxFreq;
    if (maxFreq) {
      const range = slot >> RANGE_BITS;
      if (range >= maxFreq.length) this.ensureRanges(range);
      if (freq > this.rangeMaxFreq![range]) this.rangeMaxFreq![range] = freq;
      if (lengths[slot] < this.rangeMinLength![range]) this.rangeMinLength![range] = lengths[slot];
    } else if (this.length >= RANGE_BOUNDS_MIN_LENGTH) {
      this.buildRanges(lengths);
    }
  }

  /**
   * Applies a batch: `slots` ascending and distinct; `freqs[i] > 0` sets the posting of slots[i]
   * (inserting or updating it), 0 removes it. `lengths` holds every document's current length.
   */
  apply(slots: ArrayLike<number>, freqs: ArrayLike<number>, lengths: Uint32Array): void {
    const n = slots.length;
    if (n === 0) return;
    if (slots[0] > this.last) {
      // Appends only (the bulk load at open, new products): no search, no move.
      let count = 0;
      for (let i = 0; i < n; i++) if (freqs[i] > 0) count++;
      this.reserve(this.length + count);
      for (let i = 0; i < n; i++) {
        if (freqs[i] > 0) {
          this.docs[this.length] = slots[i];
          this.freqs[this.length++] = freqs[i];
        }
      }
    } else {
      const removed: number[] = [];
      const insertSlots: number[] = [];
      const insertFreqs: number[] = [];
      let from = 0;
      for (let i = 0; i < n; i++) {
        const at = this.lowerBound(slots[i], from);
        from = at;
        const present = at < this.length && this.docs[at] === slots[i];
        if (freqs[i] > 0) {
          if (present) this.freqs[at] = freqs[i];
          else {
            insertSlots.push(slots[i]);
            insertFreqs.push(freqs[i]);
          }
        } else if (present) removed.push(at);
      }
      if (removed.length > 0) this.compact(removed);
      if (insertSlots.length > 0) this.insertSorted(insertSlots, insertFreqs);
    }
    this.refreshRanges(slots, lengths);
  }

  /** Removes the postings at the given ascending positions. */
  private compact(positions: number[]): void {
    const { docs, freqs } = this;
    let write = positions[0];
    for (let k = 0; k < positions.length; k++) {
      const start = positions[k] + 1;
      const end = k + 1 < positions.length ? positions[k + 1] : this.length;
      docs.copyWithin(write, start, end);
      freqs.copyWithin(write, start, end);
      write += end - start;
    }
    this.length = write;
  }

  /** Inserts absent slots (ascending): each run of existing postings moves once, from the back. */
  private insertSorted(slots: number[], freqs: number[]): void {
    this.reserve(this.length + slots.length);
    const { docs, freqs: f } = this;
    let end = this.length;
    for (let j = slots.length - 1; j >= 0; j--) {
      let lo = 0;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (docs[mid] < slots[j]) lo = mid + 1;
        else hi = mid;
      }
      docs.copyWithin(lo + j + 1, lo, end);
      f.copyWithin(lo + j + 1, lo, end);
      docs[lo + j] = slots[j];
      f[lo + j] = freqs[j];
      end = lo;
    }
    this.length += slots.length;
  }

  /** Recomputes the bounds of the ranges holding the changed slots (builds them once the list is long enough). */
  private refreshRanges(changed: ArrayLike<number>, lengths: Uint32Array): void {
    if (!this.rangeMaxFreq) {
      if (this.length >= RANGE_BOUNDS_MIN_LENGTH) this.buildRanges(lengths);
      return;
    }
    this.ensureRanges(this.last >> RANGE_BITS);
    let previous = -1;
    for (let i = 0; i < changed.length; i++) {
      const range = changed[i] >> RANGE_BITS;
      if (range === previous) continue;
      previous = range;
      this.scanRange(range, lengths);
    }
  }

  private ensureRanges(range: number): void {
    const current = this.rangeMaxFreq!;
    if (range < current.length) return;
    const cap = Math.max(range + 1, current.length * 2);
    const maxFreq = new Float32Array(cap);
    maxFreq.set(current);
    const minLength = new Uint32Array(cap).fill(NO_LENGTH);
    minLength.set(this.rangeMinLength!);
    this.rangeMaxFreq = maxFreq;
    this.rangeMinLength = minLength;
  }

  private scanRange(range: number, lengths: Uint32Array): void {
    const maxFreq = this.rangeMaxFreq!;
    const minLength = this.rangeMinLength!;
    if (range >= maxFreq.length) return;
    const end = (range + 1) << RANGE_BITS;
    let top = 0;
    let shortest = NO_LENGTH;
    for (let i = this.lowerBound(range << RANGE_BITS); i < this.length && this.docs[i] < end; i++) {
      if (this.freqs[i] > top) top = this.freqs[i];
      const len = lengths[this.docs[i]];
      if (len < shortest) shortest = len;
    }
    maxFreq[range] = top;
    minLength[range] = shortest;
  }

  private buildRanges(lengths: Uint32Array): void {
    const count = (this.last >> RANGE_BITS) + 1;
    const maxFreq = new Float32Array(count);
    const minLength = new Uint32Array(count).fill(NO_LENGTH);
    for (let i = 0; i < this.length; i++) {
      const range = this.docs[i] >> RANGE_BITS;
      if (this.freqs[i] > maxFreq[range]) maxFreq[range] = this.freqs[i];
      const len = lengths[this.docs[i]];
      if (len < minLength[range]) minLength[range] = len;
    }
    this.rangeMaxFreq = maxFreq;
    this.rangeMinLength = minLength;
  }

  /** Gives back unused capacity (after a bulk load). */
  trim(): void {
    if (this.docs.length === this.length) return;
    this.docs = this.docs.slice(0, this.length);
    this.freqs = this.freqs.slice(0, this.length);
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.docs.byteLength + this.freqs.byteLength + (this.rangeMaxFreq?.byteLength ?? 0) + (this.rangeMinLength?.byteLength ?? 0);
  }
}
