/**
 * Translation of the API's ProductFilter input to the domain Filter (Qdrant semantics, see
 * src/domain/filter.ts). Pure: validation errors say which part of the filter to fix.
 *
 * - every field of one ProductFilter object must hold (AND);
 * - `attributes[].anyOf`: some value of the attribute is in the list; `noneOf`: no value is;
 * - `price`: inclusive bounds; `inStock`: exact;
 * - `and`: each sub-filter holds; `or`: at least one holds; `not`: the sub-filter does not hold.
 */
import { InvalidInputError } from '../domain/errors';
import type { Condition, Filter } from '../domain/filter';
import { IN_STOCK_KEY, predictedKey, PRICE_KEY } from '../domain/product';
import type { FilterInput } from './search.types';

export const MAX_FILTER_DEPTH = 8;
export const MAX_FILTER_CONDITIONS = 200;
/** Known attribute names listed at most in an "unknown attribute" error; a large vocabulary is cut. */
export const MAX_LISTED_ATTRIBUTES = 30;

/** Known attribute names for an error message: sorted, at most MAX_LISTED_ATTRIBUTES, then how many more. */
export function listKnownAttributes(known: Iterable<string>): string {
  const names = [...known].sort();
  const shown = names.slice(0, MAX_LISTED_ATTRIBUTES).join(', ');
  return names.length > MAX_LISTED_ATTRIBUTES ? `${shown} (and ${names.length - MAX_LISTED_ATTRIBUTES} more)` : shown;
}

export interface FilterTranslationOptions {
  /** Attribute names a filter may use; others are rejected with the list of known names. */
  knownAttributes: ReadonlySet<string>;
}

export function toDomainFilter(input: FilterInput | null | undefined, options: FilterTranslationOptions): Filter | undefined {
  if (input == null) return undefined;
  const counter = { conditions: 0 };
  const filter = translate(input, options, 'filter', 0, counter);
  return isEmpty(filter) ? undefined : filter;
}

function isEmpty(f: Filter): boolean {
  return (f.must?.length ?? 0) === 0 && (f.should?.length ?? 0) === 0 && (f.mustNot?.length ?? 0) === 0;
}

function translate(
  input: FilterInput,
  options: FilterTranslationOptions,
  path: string,
  depth: number,
  counter: { conditions: number },
): Filter {
  if (depth > MAX_FILTER_DEPTH) {
    throw new InvalidInputError(`${path}: filters nest at most ${MAX_FILTER_DEPTH} levels deep`, { path });
  }
  const count = (n = 1) => {
    counter.conditions += n;
    if (counter.conditions > MAX_FILTER_CONDITIONS) {
      throw new InvalidInputError(`filter has more than ${MAX_FILTER_CONDITIONS} conditions; simplify it`, { path });
    }
  };
  const must: Condition[] = [];
  const mustNot: Condition[] = [];

  (input.attributes ?? []).forEach((cond, i) => {
    const at = `${path}.attributes[${i}]`;
    const name = cond.attribute?.trim();
    if (!name) throw new InvalidInputError(`${at}.attribute must name an attribute`, { path: at });
    if (!options.knownAttributes.has(name)) {
      throw new InvalidInputError(
        `${at}: unknown attribute "${name}"; known attributes: ${listKnownAttributes(options.knownAttributes)}`,
        { path: at, attribute: name },
      );
    }
    const anyOf = cleanValues(cond.anyOf, `${at}.anyOf`);
    const noneOf = cleanValues(cond.noneOf, `${at}.noneOf`);
    if (anyOf === undefined && noneOf === undefined) {
      throw new InvalidInputError(`${at}: give anyOf and/or noneOf for attribute "${name}"`, { path: at });
    }
    const any = (key: string, values: string[]): Condition => (values.length === 1 ? { kind: 'match', key, value: values[0] } : { kind: 'matchAny', key, any: values });
    // With includePredicted, values predicted from the image count too (for products whose merchant gave none).
    const predicted = cond.includePredicted === true;
    if (anyOf) {
      count();
      must.push(predicted ? { kind: 'nested', filter: { should: [any(name, anyOf), any(predictedKey(name), anyOf)] } } : any(name, anyOf));
    }
    if (noneOf) {
      count();
      mustNot.push({ kind: 'matchAny', key: name, any: noneOf });
      if (predicted) mustNot.push({ kind: 'matchAny', key: predictedKey(name), any: noneOf });
    }
  });

  if (input.price != null) {
    const { min, max } = input.price;
    const at = `${path}.price`;
    for (const [k, v] of [['min', min], ['max', max]] as const) {
      if (v != null && !Number.isFinite(v)) throw new InvalidInputError(`${at}.${k} must be a finite number`, { path: at });
    }
    if (min == null && max == null) throw new InvalidInputError(`${at}: give min and/or max`, { path: at });
    if (min != null && max != null && min > max) {
      throw new InvalidInputError(`${at}: min (${min}) is greater than max (${max})`, { path: at });
    }
    count();
    const range: Condition = { kind: 'range', key: PRICE_KEY };
    if (min != null) range.gte = min;
    if (max != null) range.lte = max;
    must.push(range);
  }

  if (input.inStock != null) {
    count();
    must.push({ kind: 'match', key: IN_STOCK_KEY, value: input.inStock });
  }

  if (input.and != null) {
    if (input.and.length === 0) throw new InvalidInputError(`${path}.and needs at least one filter`, { path: `${path}.and` });
    input.and.forEach((sub, i) => {
      const f = translate(sub, options, `${path}.and[${i}]`, depth + 1, counter);
      if (!isEmpty(f)) must.push({ kind: 'nested', filter: f });
    });
  }

  if (input.or != null) {
    if (input.or.length === 0) throw new InvalidInputError(`${path}.or needs at least one filter`, { path: `${path}.or` });
    const branches = input.or.map((sub, i) => translate(sub, options, `${path}.or[${i}]`, depth + 1, counter));
    // An empty branch matches everything, so the whole OR does.
    if (!branches.some(isEmpty)) {
      must.push({ kind: 'nested', filter: { should: branches.map((filter) => ({ kind: 'nested', filter }) as Condition) } });
    }
  }

  if (input.not != null) {
    const f = translate(input.not, options, `${path}.not`, depth + 1, counter);
    if (isEmpty(f)) throw new InvalidInputError(`${path}.not: an empty filter matches everything, so NOT of it matches nothing`, { path: `${path}.not` });
    mustNot.push({ kind: 'nested', filter: f });
  }

  const out: Filter = {};
  if (must.length) out.must = must;
  if (mustNot.length) out.mustNot = mustNot;
  return out;
}

function cleanValues(values: string[] | null | undefined, at: string): string[] | undefined {
  if (values == null) return undefined;
  const cleaned = [...new Set(values.map((v) => v.trim()))];
  if (cleaned.length === 0 || cleaned.some((v) => v === '')) {
    throw new InvalidInputError(`${at} must list at least one non-empty value`, { path: at });
  }
  return cleaned;
}
