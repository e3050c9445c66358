/** Keeps the k highest-scoring slots seen; a binary min-heap over parallel typed arrays. */
export class TopK {
  private readonly scores: Float64Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(1, k));
    this.slots = new Int32Array(Math.max(1, k));
  }

  /** Lowest score kept once full; -Infinity before. */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0];
  }

  push(slot: number, score: number): void {
    if (this.k <= 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(score, slot, this.scores[p], this.slots[p])) break;
        this.scores[i] = this.scores[p];
        this.slots[i] = this.slots[p];
        i = p;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
      return;
    }
    if (!this.less(this.scores[0], this.slots[0], score, slot)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(this.scores[r], this.slots[r], this.scores[l], this.slots[l])) c = r;
      if (!this.less(this.scores[c], this.slots[c], score, slot)) break;
      this.scores[i] = this.scores[c];
      this.slots[i] = this.slots[c];
      i = c;
    }
    this.scores[i] = score;
    this.slots[i] = slot;
  }

  /** Heap order: lower score first; on equal scores the higher slot counts as lower (so lower slots win ties). */
  private less(sa: number, a: number, sb: number, b: number): boolean {
    return sa < sb || (sa === sb && a > b);
  }

  /** Best first; equal scores in ascending slot order. */
  result(): { slot: number; score: number }[] {
    const out: { slot: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ slot: this.slots[i], score: this.scores[i] });
    out.sort((x, y) => y.score - x.score || x.slot - y.slot);
    return out;
  }
}
