/**
 * Key adjacency on a US/UK QWERTY keyboard, for keyboard-aware spelling correction: a typo that
 * hits a key next to the intended one ("nsvy" for "navy") is likelier than any other slip, so the
 * spelling corrector charges it less.
 *
 * The model is the physical layout: four rows (digits, then three rows of letters), each row set a
 * little to the right of the one above. A key touches its left and right neighbours in its row, the
 * two keys above it that it sits between (same index and one to the right in the row above) and the
 * two below (one to the left and same index in the row below): "g" touches f, h, t, y, v and b;
 * "a" touches q, w, s and z. Only letters and digits are modelled; anything else has no neighbours.
 */

const ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function buildAdjacency(): Map<string, ReadonlySet<string>> {
  const at = (row: number, index: number): string | undefined => ROWS[row]?.[index];
  const adjacency = new Map<string, ReadonlySet<string>>();
  ROWS.forEach((keys, row) => {
    [...keys].forEach((key, index) => {
      const around = [at(row, index - 1), at(row, index + 1), at(row - 1, index), at(row - 1, index + 1), at(row + 1, index - 1), at(row + 1, index)];
      adjacency.set(key, new Set(around.filter((k): k is string => k !== undefined)));
    });
  });
  return adjacency;
}

const ADJACENCY = buildAdjacency();

/** The keys touching a key (lower case); empty for a key outside the model. */
export function neighbours(key: string): ReadonlySet<string> {
  return ADJACENCY.get(key.toLowerCase()) ?? new Set();
}

/** Whether two different keys touch on a QWERTY keyboard (case-insensitive). */
export function areNeighbours(a: string, b: string): boolean {
  return ADJACENCY.get(a.toLowerCase())?.has(b.toLowerCase()) ?? false;
}
