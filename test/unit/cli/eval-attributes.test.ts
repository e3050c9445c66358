import { gzipSync } from 'node:zlib';
import { expectedCalibrationError, readIdx } from '../../../src/cli/eval-attributes';

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
