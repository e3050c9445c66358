/**
 * Each document's term ids in field order, in one arena: what the lexical index needs to take a
 * document out of its postings on an update or a delete, with each occurrence weighted by its
 * field. A record is [length of field 0, ..., length of field F-1, ids of field 0, ...]; a
 * rewritten document gets a new record at the end and the old one becomes garbage, reclaimed by
 * compaction once it outweighs the live records.
 */
const ABSENT = 0xffffffff;

export class ForwardStore {
  private arena = new Int32Array(1 << 16);
  private used = 0;
  private garbage = 0;
  private offsets = new Uint32Array(1024).fill(ABSENT);

  constructor(readonly fieldCount: number) {}

  has(slot: number): boolean {
    return slot < this.offsets.length && this.offsets[slot] !== ABSENT;
  }

  /** Offset of the slot's record in `data` (valid until the next write), or -1. */
  offset(slot: number): number {
    if (slot >= this.offsets.length) return -1;
    const o = this.offsets[slot];
    return o === ABSENT ? -1 : o;
  }

  /** The arena; read records through `offset` right after asking for it. */
  get data(): Int32Array {
    return this.arena;
  }

  /** Stores the slot's term ids (all fields in a row) with each field's length. */
  set(slot: number, ids: Int32Array, fieldLengths: readonly number[]): void {
    this.remove(slot);
    const size = this.fieldCount + ids.length;
    if (this.used + size > this.arena.length) this.grow(size);
    const at = this.used;
    for (let i = 0; i < this.fieldCount; i++) this.arena[at + i] = fieldLengths[i];
    this.arena.set(ids, at + this.fieldCount);
    this.used = at + size;
    if (slot >= this.offsets.length) {
      const offsets = new Uint32Array(Math.max(slot + 1, this.offsets.length * 2)).fill(ABSENT);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    this.offsets[slot] = at;
  }

  remove(slot: number): void {
    const at = this.offset(slot);
    if (at < 0) return;
    this.garbage += this.recordSize(at);
    this.offsets[slot] = ABSENT;
  }

  private recordSize(at: number): number {
    let size = this.fieldCount;
    for (let i = 0; i < this.fieldCount; i++) size += this.arena[at + i];
    return size;
  }

  private grow(extra: number): void {
    const live = this.used - this.garbage;
    if (this.garbage > live) {
      this.compact(Math.max(this.arena.length, (live + extra) * 2));
      return;
    }
    const next = new Int32Array(Math.max(this.used + extra, this.arena.length * 2));
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
  }

  private compact(capacity: number): void {
    const next = new Int32Array(capacity);
    let w = 0;
    for (let slot = 0; slot < this.offsets.length; slot++) {
      const at = this.offsets[slot];
      if (at === ABSENT) continue;
      const size = this.recordSize(at);
      next.set(this.arena.subarray(at, at + size), w);
      this.offsets[slot] = w;
      w += size;
    }
    this.arena = next;
    this.used = w;
    this.garbage = 0;
  }

  /** Gives back unused capacity (after a bulk load). */
  trim(): void {
    if (this.garbage > 0) this.compact(this.used - this.garbage);
    else if (this.arena.length > this.used) this.arena = this.arena.slice(0, this.used);
  }

  get bytes(): number {
    return this.arena.byteLength + this.offsets.byteLength;
  }
}
