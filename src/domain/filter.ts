/**
 * The backend-independent filter model. Its semantics are those of Qdrant's filter language so that
 * every store evaluates a filter identically:
 *
 * - `must`: every condition holds; `should`: at least one holds (ignored when empty);
 *   `mustNot`: no condition holds. An empty filter (or undefined) matches everything.
 * - Attribute keys hold string arrays. `match` holds when any stored value equals the value;
 *   `matchAny` when any stored value is in the list; `matchExcept` when the key is present and
 *   some stored value is outside the list (Qdrant's `except`). A missing key matches nothing.
 * - `range` applies to numeric keys (price). `match` with a boolean applies to `inStock`.
 * - `nested` embeds a sub-filter, which is how AND / OR / NOT of the API compose.
 * - `hasId` restricts to product ids.
 */
export type Condition =
  | { kind: 'match'; key: string; value: string | boolean }
  | { kind: 'matchAny'; key: string; any: string[] }
  | { kind: 'matchExcept'; key: string; except: string[] }
  | { kind: 'range'; key: string; gt?: number; gte?: number; lt?: number; lte?: number }
  | { kind: 'hasId'; ids: string[] }
  | { kind: 'nested'; filter: Filter };

export interface Filter {
  must?: Condition[];
  should?: Condition[];
  mustNot?: Condition[];
}

export function isEmptyFilter(f: Filter | undefined): boolean {
  return !f || ((f.must?.length ?? 0) === 0 && (f.should?.length ?? 0) === 0 && (f.mustNot?.length ?? 0) === 0);
}

export function andFilters(...filters: (Filter | undefined)[]): Filter | undefined {
  const parts = filters.filter((f): f is Filter => !isEmptyFilter(f));
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return { must: parts.map((filter) => ({ kind: 'nested', filter }) as Condition) };
}
