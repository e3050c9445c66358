import { canonicalJson, decodeCursor, encodeCursor, queryFingerprint } from '../../../src/search/cursor';

describe('cursors', () => {
  const fp = queryFingerprint({ text: 'red dress' });

  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor(41, fp, 'st.7'), fp, 'st.7')).toBe(41);
    expect(decodeCursor(encodeCursor(41, fp, null), fp, null)).toBe(41);
  });

  it('is opaque (no readable JSON)', () => {
    expect(encodeCursor(3, fp, 'st.7')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['a later catalogue version', 'st.7', 'st.8'],
    ['another store', 'st.7', 'zz.7'],
    ['a store that now has versions', null, 'st.1'],
  ])('refuses a cursor from %s with STALE_CURSOR, asking to run the search again', (_name, issued, current) => {
    const cursor = encodeCursor(5, fp, issued);
    expect(() => decodeCursor(cursor, fp, current)).toThrow(expect.objectContaining({ code: 'STALE_CURSOR', message: expect.stringMatching(/run the search again/) }));
  });

  it('refuses a cursor of the previous format (no catalogue version) as stale', () => {
    const old = Buffer.from(JSON.stringify({ v: 1, p: 3, q: fp })).toString('base64url');
    expect(() => decodeCursor(old, fp, 'st.1')).toThrow(expect.objectContaining({ code: 'STALE_CURSOR' }));
  });

  it.each([
    ['garbage', '%%%'],
    ['valid base64 but not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ v: 2, p: 'x', q: fp, c: null })).toString('base64url')],
    ['a zero position', Buffer.from(JSON.stringify({ v: 2, p: 0, q: fp, c: null })).toString('base64url')],
    ['another version', Buffer.from(JSON.stringify({ v: 3, p: 1, q: fp, c: null })).toString('base64url')],
    ['a catalogue version of the wrong type', Buffer.from(JSON.stringify({ v: 2, p: 1, q: fp, c: 7 })).toString('base64url')],
    ['an empty string', ''],
  ])('rejects %s', (_name, cursor) => {
    expect(() => decodeCursor(cursor, fp, null)).toThrow(/malformed cursor/);
  });

  it('rejects a cursor from another search', () => {
    const other = queryFingerprint({ text: 'blue dress' });
    expect(() => decodeCursor(encodeCursor(5, other, 'st.1'), fp, 'st.1')).toThrow(/belongs to a different search/);
  });

  it('fingerprints ignore key order and absent fields', () => {
    expect(queryFingerprint({ a: 1, b: { c: 2, d: null } })).toBe(queryFingerprint({ b: { c: 2 }, a: 1 }));
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 0 }] })).toBe('{"a":[2,{"c":0,"d":1}],"b":1}');
  });
});
