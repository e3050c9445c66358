import { gzipSync } from 'node:zlib';
import { expectedCalibrationError, readIdx, thresholdForPrecision } from '../../../src/cli/eval-attributes';

describe('expectedCalibrationError', () => {
  it('is 0 when confidence equals accuracy in every bin, and the gap otherwise', () => {
    expect(expectedCalibrationError([0.5, 0.5], [true, false])).toBeCloseTo(0, 10);
    expect(expectedCalibrationError([0.9, 0.9, 0.9, 0.9], [true, true, false, false])).toBeCloseTo(0.4, 10);
    // two bins, weighted by their shares: |1 - 0.95| * 0.5 + |0 - 0.25| * 0.5
    expect(expectedCalibrationError([0.95, 0.25], [true, false])).toBeCloseTo(0.15, 10);
    expect(expectedCalibrationError([], [])).toBe(0);
  });
});

describe('readIdx', () => {
  it('reads gzipped IDX images and labels', () => {
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x00000803, 0);
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(2, 8);
    header.writeUInt32BE(3, 12);
    const images = readIdx(gzipSync(Buffer.concat([header, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])])));
    expect(images.dims).toEqual([2, 2, 3]);
    expect(Array.from(images.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const labelHeader = Buffer.alloc(8);
    labelHeader.writeUInt32BE(0x00000801, 0);
    labelHeader.writeUInt32BE(2, 4);
    expect(Array.from(readIdx(Buffer.concat([labelHeader, Buffer.from([7, 9])])).data)).toEqual([7, 9]);
    expect(() => readIdx(Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 0]))).toThrow(/IDX/);
  });
});

describe('thresholdForPrecision', () => {
  const at = (p: number, right: boolean) => ({ p, right });

  it('is the lowest probability from which every prefix keeps the precision', () => {
    // 40 right at 0.9..0.99, then one wrong at 0.8 (41 predictions: 97.6% >= 95%), then 10 wrong at 0.5
    const predictions = [...Array.from({ length: 40 }, (_, i) => at(0.9 + i / 400, true)), at(0.8, false), ...Array.from({ length: 10 }, () => at(0.5, false))];
    expect(thresholdForPrecision(predictions, 0.95)).toBe(0.8);
    expect(thresholdForPrecision(predictions, 0.99)).toBe(0.9);
  });

  it('is the lowest probability when all keep it, and above every one when the most confident fall short', () => {
    expect(thresholdForPrecision(Array.from({ length: 50 }, (_, i) => at(i / 50, true)), 0.99)).toBe(0);
    const bad = Array.from({ length: 50 }, (_, i) => at(1 - i / 100, i % 2 === 1));
    expect(thresholdForPrecision(bad, 0.99, 1)).toBeGreaterThan(1);
    // with the default support, the 29 most confident are too few to measure: the threshold stops above the 30th
    expect(thresholdForPrecision(bad, 0.99)).toBe(0.72);
  });

  it('does not measure prefixes of fewer than minSupport predictions', () => {
    const predictions = [at(0.99, false), ...Array.from({ length: 60 }, (_, i) => at(0.9 - i / 1000, true))];
    expect(thresholdForPrecision(predictions, 0.95, 30)).toBeCloseTo(0.841, 6);
  });
});
