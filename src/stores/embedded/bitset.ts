/**
 * A growable set of non-negative integers (product slots) packed in 32-bit words.
 * Binary operations accept operands of any length: missing words read as zero.
 */
export class Bitset {
  words: Uint32Array;

  constructor(capacityBits = 0) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(capacityBits / 32)));
  }

  static from(values: Iterable<number>, capacityBits = 0): Bitset {
    const b = new Bitset(capacityBits);
    for (const v of values) b.add(v);
    return b;
  }

  /** Capacity in bits. */
  get capacity(): number {
    return this.words.length * 32;
  }

  private ensure(bit: number): void {
    const need = (bit >>> 5) + 1;
    if (need <= this.words.length) return;
    const grown = new Uint32Array(Math.max(need, this.words.length * 2));
    grown.set(this.words);
    this.words = grown;
  }

  add(bit: number): void {
    this.ensure(bit);
    this.words[bit >>> 5] |= 1 << (bit & 31);
  }

  delete(bit: number): void {
    const w = bit >>> 5;
    if (w < this.words.length) this.words[w] &= ~(1 << (bit & 31));
  }

  has(bit: number): boolean {
    const w = bit >>> 5;
    return w < this.words.length && (this.words[w] & (1 << (bit & 31))) !== 0;
  }

  clone(): Bitset {
    const b = new Bitset(0);
    b.words = this.words.slice();
    return b;
  }

  /** this := this AND other. */
  and(other: Bitset): this {
    const a = this.words;
    const b = other.words;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) a[i] &= b[i];
    a.fill(0, n);
    return this;
  }

  /** this := this OR other. */
  or(other: Bitset): this {
    if (other.words.length > this.words.length) this.ensure(other.words.length * 32 - 1);
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < b.length; i++) a[i] |= b[i];
    return this;
  }

  /** this := this AND NOT other. */
  andNot(other: Bitset): this {
    const a = this.words;
    const b = other.words;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) a[i] &= ~b[i];
    return this;
  }

  /** Number of members shared with `other` (popcount of the AND), without building it; within words [from, to). */
  andCount(other: Bitset, from = 0, to = Infinity): number {
    const a = this.words;
    const b = other.words;
    const end = Math.min(a.length, b.length, to);
    let c = 0;
    for (let i = from; i < end; i++) {
      let v = a[i] & b[i];
      if (v === 0) continue;
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return c;
  }

  /** Indices of the first and one past the last non-zero word ([0, 0] when empty). */
  wordSpan(): [from: number, to: number] {
    const a = this.words;
    let from = 0;
    while (from < a.length && a[from] === 0) from++;
    if (from === a.length) return [0, 0];
    let to = a.length;
    while (a[to - 1] === 0) to--;
    return [from, to];
  }

  count(): number {
    let c = 0;
    const a = this.words;
    for (let i = 0; i < a.length; i++) {
      let v = a[i];
      if (v === 0) continue;
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return c;
  }

  /** Calls fn for every member in ascending order. */
  forEach(fn: (bit: number) => void): void {
    const a = this.words;
    for (let i = 0; i < a.length; i++) {
      let v = a[i];
      while (v !== 0) {
        const t = v & -v;
        fn((i << 5) + (31 - Math.clz32(t)));
        v ^= t;
      }
    }
  }

  toArray(): number[] {
    const out: number[] = [];
    this.forEach((b) => out.push(b));
    return out;
  }
}
