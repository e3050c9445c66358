/**
 * Embeddings are Float32Array with a declared dimension, L2-normalised once at the encoder.
 * Scores between normalised embeddings are dot products (= cosine similarity).
 */
export type Embedding = Float32Array;

export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`dimension mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Weighted sum of embeddings, renormalised: used for text + image queries without a modifier. */
export function weightedMean(parts: { vector: Float32Array; weight: number }[]): Float32Array {
  if (parts.length === 0) throw new RangeError('weightedMean needs at least one vector');
  const dim = parts[0].vector.length;
  const acc = new Float32Array(dim);
  for (const { vector, weight } of parts) {
    if (vector.length !== dim) throw new RangeError(`dimension mismatch: ${vector.length} vs ${dim}`);
    for (let i = 0; i < dim; i++) acc[i] += weight * vector[i];
  }
  return l2Normalize(acc);
}
