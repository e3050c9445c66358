import { embeddingRows } from '../../../src/encoders/onnx/embedding-rows';

describe('embeddingRows', () => {
  it('splits a [batch, dim] output into rows with their own buffers', () => {
    const data = Float32Array.from([1, 0, 0, 1]);
    const rows = embeddingRows(data, 2, 2);
    expect(rows.map((r) => Array.from(r))).toEqual([[1, 0], [0, 1]]);
    data[0] = 5;
    expect(rows[0][0]).toBe(1);
    expect(rows[0].buffer).not.toBe(rows[1].buffer);
  });

  it('renormalises rows that are not unit length and keeps zero rows', () => {
    const rows = embeddingRows(Float32Array.from([3, 4, 0, 0]), 2, 2);
    expect(Array.from(rows[0])).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(Array.from(rows[1])).toEqual([0, 0]);
  });

  it('rejects a size mismatch and non-finite output', () => {
    expect(() => embeddingRows(new Float32Array(5), 2, 2)).toThrow('expected 2 x 2 = 4 values, got 5');
    expect(() => embeddingRows(Float32Array.from([NaN, 1]), 1, 2)).toThrow('row 0 of the model output is not finite');
  });
});
