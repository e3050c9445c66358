/**
 * Filter semantics as a pure predicate over one product: the embedded store's definition, which the
 * store contract holds every store to (Qdrant's included), so the search service can also decide on
 * a product it has read (a pinned product and the shopper's filter).
 * They follow Qdrant's filter language (see src/domain/filter.ts); the attribute index
 * (attribute-index.ts) computes the same sets with bitsets and is tested against this predicate.
 *
 * Keyword keys address `product.attributes`; a key absent from the attributes falls back to the
 * product's scalar text fields `brand`, `currency`, `styleId` and `split`, so filters such as
 * `split = test` work on every catalogue. Keys `predicted:<name>` address the filterable predicted
 * values of an attribute (product.ts). `price` is the only numeric key, `inStock` the only boolean key.
 */
import type { Condition, Filter } from './filter';
import { InvalidInputError } from './errors';
import { filterablePredictions, IN_STOCK_KEY, PREDICTED_KEY_PREFIX, predictedKey, PRICE_KEY, type Product } from './product';

export const FALLBACK_KEYWORD_FIELDS = ['brand', 'currency', 'styleId', 'split'] as const;

/** Keyword values of a product under a key; undefined when the key is absent. */
export function keywordValues(product: Product, key: string): string[] | undefined {
  if (key.startsWith(PREDICTED_KEY_PREFIX)) return filterablePredictions(product)[key.slice(PREDICTED_KEY_PREFIX.length)];
  const attr = product.attributes[key];
  if (attr !== undefined) return attr;
  if ((FALLBACK_KEYWORD_FIELDS as readonly string[]).includes(key)) {
    const v = (product as unknown as Record<string, unknown>)[key];
    if (typeof v === 'string') return [v];
  }
  return undefined;
}

/** Every keyword key and its values for one product (attributes plus fallback fields). */
export function keywordPayload(product: Product): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of FALLBACK_KEYWORD_FIELDS) {
    const v = (product as unknown as Record<string, unknown>)[f];
    if (typeof v === 'string') out[f] = [v];
  }
  for (const [k, v] of Object.entries(product.attributes)) out[k] = v;
  for (const [k, v] of Object.entries(filterablePredictions(product))) out[predictedKey(k)] = v;
  return out;
}

export function matchesFilter(product: Product, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const must = filter.must ?? [];
  const should = filter.should ?? [];
  const mustNot = filter.mustNot ?? [];
  for (const c of must) if (!matchesCondition(product, c)) return false;
  if (should.length > 0 && !should.some((c) => matchesCondition(product, c))) return false;
  for (const c of mustNot) if (matchesCondition(product, c)) return false;
  return true;
}

export function matchesCondition(product: Product, c: Condition): boolean {
  switch (c.kind) {
    case 'match': {
      if (typeof c.value === 'boolean') return c.key === IN_STOCK_KEY && product.inStock === c.value;
      const values = keywordValues(product, c.key);
      return values !== undefined && values.includes(c.value);
    }
    case 'matchAny': {
      const values = keywordValues(product, c.key);
      return values !== undefined && values.some((v) => c.any.includes(v));
    }
    case 'matchExcept': {
      const values = keywordValues(product, c.key);
      return values !== undefined && values.some((v) => !c.except.includes(v));
    }
    case 'range':
      return c.key === PRICE_KEY && inRange(product.price, c);
    case 'hasId':
      return c.ids.includes(product.id);
    case 'nested':
      return matchesFilter(product, c.filter);
  }
}

export function inRange(x: number, r: { gt?: number; gte?: number; lt?: number; lte?: number }): boolean {
  if (r.gt !== undefined && !(x > r.gt)) return false;
  if (r.gte !== undefined && !(x >= r.gte)) return false;
  if (r.lt !== undefined && !(x < r.lt)) return false;
  if (r.lte !== undefined && !(x <= r.lte)) return false;
  return true;
}

const MAX_DEPTH = 32;

/** Throws InvalidInputError naming the offending path when a filter is malformed. */
export function validateFilter(filter: unknown, path = 'filter', depth = 0): asserts filter is Filter | undefined {
  if (filter === undefined || filter === null) return;
  if (depth > MAX_DEPTH) throw new InvalidInputError(`${path}: filter nesting is deeper than ${MAX_DEPTH} levels`);
  if (typeof filter !== 'object' || Array.isArray(filter)) throw new InvalidInputError(`${path} must be an object with must, should or mustNot`);
  for (const clause of ['must', 'should', 'mustNot'] as const) {
    const list = (filter as Record<string, unknown>)[clause];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new InvalidInputError(`${path}.${clause} must be a list of conditions`);
    list.forEach((c, i) => validateCondition(c, `${path}.${clause}[${i}]`, depth));
  }
}

function validateCondition(c: unknown, path: string, depth: number): void {
  if (!c || typeof c !== 'object') throw new InvalidInputError(`${path} must be a condition object`);
  const cond = c as Record<string, unknown>;
  const needKey = () => {
    if (typeof cond.key !== 'string' || cond.key === '') throw new InvalidInputError(`${path}.key must be a non-empty string`);
  };
  const stringList = (name: string) => {
    const v = cond[name];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidInputError(`${path}.${name} must be a list of strings`);
  };
  switch (cond.kind) {
    case 'match':
      needKey();
      if (typeof cond.value !== 'string' && typeof cond.value !== 'boolean') throw new InvalidInputError(`${path}.value must be a string or a boolean`);
      return;
    case 'matchAny':
      needKey();
      return stringList('any');
    case 'matchExcept':
      needKey();
      return stringList('except');
    case 'range': {
      needKey();
      for (const b of ['gt', 'gte', 'lt', 'lte']) {
        const v = cond[b];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError(`${path}.${b} must be a finite number`);
      }
      return;
    }
    case 'hasId':
      return stringList('ids');
    case 'nested':
      return validateFilter(cond.filter ?? {}, `${path}.filter`, depth + 1);
    default:
      throw new InvalidInputError(`${path}.kind must be one of match, matchAny, matchExcept, range, hasId, nested (got ${JSON.stringify(cond.kind)})`);
  }
}
