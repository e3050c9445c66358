/**
 * Splits a [batch, dim] float32 output into one Float32Array per row (each with its own buffer).
 * Rows whose L2 norm is not 1 (within `tolerance`) are renormalised; graphs that already
 * normalise pass through unchanged.
 */
export function embeddingRows(data: Float32Array, batch: number, dim: number, tolerance = 1e-3): Float32Array[] {
  if (data.length !== batch * dim) throw new RangeError(`expected ${batch} x ${dim} = ${batch * dim} values, got ${data.length}`);
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const row = data.slice(b * dim, (b + 1) * dim);
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += row[i] * row[i];
    const norm = Math.sqrt(sum);
    if (!Number.isFinite(norm)) throw new RangeError(`row ${b} of the model output is not finite`);
    if (norm > 0 && Math.abs(norm - 1) > tolerance) for (let i = 0; i < dim; i++) row[i] /= norm;
    rows.push(row);
  }
  return rows;
}
