/**
 * Opaque pagination cursors. A cursor holds the 1-based position of an edge in the ranking, a
 * fingerprint of the query it came from, so a cursor from another search is rejected instead of
 * silently paging through the wrong results, and the catalogue version the ranking was cut from
 * (VectorStore.catalogVersion). Positions are only meaningful in an unchanged catalogue: after a
 * write, a product could move from a page already shown to a later one and be shown twice, so a
 * cursor whose catalogue version is no longer current is refused with STALE_CURSOR, asking the client
 * to run the search again. The version a search service gives includes the merchandising rules that
 * fired, so republished rules make a search's cursors stale too. A store without versions (null) gives positional cursors.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError, StaleCursorError } from '../domain/errors';

const VERSION = 2;

export function queryFingerprint(query: unknown): string {
  return createHash('sha256').update(canonicalJson(query)).digest('base64url').slice(0, 12);
}

export function encodeCursor(position: number, fingerprint: string, catalogVersion: string | null): string {
  return Buffer.from(JSON.stringify({ v: VERSION, p: position, q: fingerprint, c: catalogVersion }), 'utf8').toString('base64url');
}

/** Returns the position the cursor points at (the next page starts after it). */
export function decodeCursor(cursor: string, fingerprint: string, catalogVersion: string | null): number {
  const bad = (why: string) =>
    new InvalidInputError(`malformed cursor "${cursor.slice(0, 40)}": ${why}; pass a cursor from this search's pageInfo.endCursor or an edge`, {
      argument: 'after',
    });
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw bad('not a cursor issued by this API');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor issued by this API');
  }
  const c = parsed as { v?: unknown; p?: unknown; q?: unknown; c?: unknown };
  if (typeof c !== 'object' || c === null || !Number.isInteger(c.p) || (c.p as number) < 1 || typeof c.q !== 'string') {
    throw bad('not a cursor issued by this API');
  }
  if (c.v === 1) throw stale();
  if (c.v !== VERSION || !(c.c === null || typeof c.c === 'string')) throw bad('not a cursor issued by this API');
  if (c.q !== fingerprint) throw bad('it belongs to a different search');
  if (c.c !== catalogVersion) throw stale();
  return c.p as number;
}

function stale(): StaleCursorError {
  return new StaleCursorError(
    'the catalogue has changed since this search began (products were added, changed or removed), or the merchandising rules that apply to it were republished, so its next page could repeat or skip products; run the search again without `after` and page from its first page',
    { argument: 'after' },
  );
}

/** JSON with sorted object keys, so equal queries give equal fingerprints. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
