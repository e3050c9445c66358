import { VectorArena } from '../../../../src/stores/embedded/vector-arena';
import { randomVector, seededRandom } from '../../../contract/vector-store.contract';

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe.each([
  ['SIMD', true],
  ['JavaScript', false],
])('VectorArena (%s scoring)', (_name, simd) => {
  test.each([4, 13, 128])('scores many slots like a float64 dot product (dim %i)', (dim) => {
    const rand = seededRandom(dim);
    const arena = new VectorArena(dim, { simd });
    if (simd) expect(arena.usesSimd).toBe(true);
    const rows = new Map<number, Float32Array>();
    // More slots than one scoring chunk, at scattered positions, so memory grows several times.
    for (let i = 0; i < 5000; i++) {
      const slot = i * 3 + (i % 7);
      const v = randomVector(rand, dim);
      rows.set(slot, v);
      arena.set(slot, v);
    }
    // Overwrite some rows: the new values win.
    for (const slot of [0, 3, 9000]) {
      const v = randomVector(rand, dim);
      rows.set(slot, v);
      arena.set(slot, v);
    }
    const q = randomVector(rand, dim);
    const seen = new Map<number, number>();
    arena.scoreAll(q, (visit) => rows.forEach((_v, slot) => visit(slot)), (slot, s) => seen.set(slot, s));
    expect(seen.size).toBe(rows.size);
    for (const [slot, v] of rows) {
      expect(seen.get(slot)).toBeCloseTo(dot(q, v), 4);
      expect(Array.from(arena.get(slot))).toEqual(Array.from(v));
    }
  });

  test('scoring nothing emits nothing', () => {
    const arena = new VectorArena(8, { simd });
    const emitted: number[] = [];
    arena.scoreAll(new Float32Array(8), () => undefined, (slot) => emitted.push(slot));
    expect(emitted).toEqual([]);
  });
});
