/** Order statistics for the colour module: selection in linear time on a typed copy. */

/** The q-quantile (0..1) of values, interpolated between neighbours; 0 for none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const a = Float64Array.from(values);
  const at = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(at);
  const low = select(a, lo);
  if (at === lo || lo === n - 1) return low;
  // after selection every value right of `lo` is at least a[lo]: the next order statistic is their minimum
  let high = Infinity;
  for (let i = lo + 1; i < n; i++) if (a[i] < high) high = a[i];
  return low + (high - low) * (at - lo);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Rearranges `a` so that a[k] is its k-th smallest value, smaller ones before, larger after (Hoare's selection). */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k];
}
