import { canonicalJson, decodeCursor, encodeCursor, queryFingerprint } from '../../../src/search/cursor';

describe('cursors', () => {
  const fp = queryFingerprint({ text: 'red dress' });

  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor(41, fp), fp)).toBe(41);
  });

  it('is opaque (no readable JSON)', () => {
    expect(encodeCursor(3, fp)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['garbage', '%%%'],
    ['valid base64 but not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ v: 1, p: 'x', q: fp })).toString('base64url')],
    ['a zero position', Buffer.from(JSON.stringify({ v: 1, p: 0, q: fp })).toString('base64url')],
    ['another version', Buffer.from(JSON.stringify({ v: 2, p: 1, q: fp })).toString('base64url')],
    ['an empty string', ''],
  ])('rejects %s', (_name, cursor) => {
    expect(() => decodeCursor(cursor, fp)).toThrow(/malformed cursor/);
  });

  it('rejects a cursor from another search', () => {
    const other = queryFingerprint({ text: 'blue dress' });
    expect(() => decodeCursor(encodeCursor(5, other), fp)).toThrow(/belongs to a different search/);
  });

  it('fingerprints ignore key order and absent fields', () => {
    expect(queryFingerprint({ a: 1, b: { c: 2, d: null } })).toBe(queryFingerprint({ b: { c: 2 }, a: 1 }));
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 0 }] })).toBe('{"a":[2,{"c":0,"d":1}],"b":1}');
  });
});
