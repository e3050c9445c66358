/**
 * Pure translation of the domain Filter (which already has Qdrant's semantics, see domain/filter.ts)
 * into Qdrant's filter language, plus the mapping from filter keys to payload paths.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { InvalidInputError } from '../../domain/errors';
import type { Condition, Filter } from '../../domain/filter';
import { IN_STOCK_KEY, PREDICTED_KEY_PREFIX, PRICE_KEY } from '../../domain/product';
import { productPointId } from './point-id';

export type QdrantFilter = Schemas['Filter'];
export type QdrantCondition = Schemas['Condition'];

/** Payload paths of the product fields filters address directly; any other key is an attribute. */
export const PAYLOAD_FIELDS: Readonly<Record<string, string>> = {
  [PRICE_KEY]: 'price',
  [IN_STOCK_KEY]: 'in_stock',
  styleId: 'style_id',
  split: 'split',
};

/** Attributes live under this payload object: `attributes.color` holds ["red", "navy"]. */
export const ATTRIBUTES_PATH = 'attributes';

/** Filterable predicted values live under this one: `predicted.color` holds ["navy"] (key `predicted:color`). */
export const PREDICTED_PATH = 'predicted';

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The payload path of a filter or facet key. */
export function payloadKey(key: string): string {
  const field = PAYLOAD_FIELDS[key];
  if (field) return field;
  if (key.length === 0) throw new InvalidInputError('filter key must not be empty');
  const predicted = key.startsWith(PREDICTED_KEY_PREFIX);
  const root = predicted ? PREDICTED_PATH : ATTRIBUTES_PATH;
  const name = predicted ? key.slice(PREDICTED_KEY_PREFIX.length) : key;
  if (name.length === 0) throw new InvalidInputError(`filter key ${JSON.stringify(key)} names no attribute`);
  if (PLAIN_KEY.test(name)) return `${root}.${name}`;
  if (name.includes('"') || name.includes('\\')) {
    throw new InvalidInputError(`attribute name ${JSON.stringify(name)} must not contain quotes or backslashes`, { key });
  }
  return `${root}."${name}"`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new InvalidInputError(`${what} must be a list of strings`);
  }
  return unique(value as string[]);
}

function conditionKey(condition: { key?: unknown }): string {
  if (typeof condition.key !== 'string') throw new InvalidInputError('every filter condition needs a string key');
  return payloadKey(condition.key);
}

export function toQdrantCondition(condition: Condition): QdrantCondition {
  switch (condition?.kind) {
    case 'match': {
      const key = conditionKey(condition);
      if (typeof condition.value !== 'string' && typeof condition.value !== 'boolean') {
        throw new InvalidInputError(`match on ${condition.key} needs a string or boolean value`);
      }
      return { key, match: { value: condition.value } };
    }
    case 'matchAny':
      return { key: conditionKey(condition), match: { any: stringList(condition.any, `matchAny on ${condition.key}`) } };
    case 'matchExcept':
      return { key: conditionKey(condition), match: { except: stringList(condition.except, `matchExcept on ${condition.key}`) } };
    case 'range': {
      const key = conditionKey(condition);
      const range: Schemas['Range'] = {};
      for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
        const value = condition[bound];
        if (value === undefined) continue;
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new InvalidInputError(`range bound ${bound} of ${condition.key} must be a finite number`, { key: condition.key });
        }
        range[bound] = value;
      }
      return { key, range };
    }
    case 'hasId':
      return { has_id: unique(stringList(condition.ids, 'hasId').map(productPointId)) };
    case 'nested':
      return toQdrantFilter(condition.filter) ?? {};
    default:
      throw new InvalidInputError(`unknown filter condition ${JSON.stringify(condition)}`);
  }
}

/** Translates a domain filter; undefined when it has no condition (matches everything). */
export function toQdrantFilter(filter: Filter | undefined): QdrantFilter | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter !== 'object') throw new InvalidInputError('a filter must be an object with must, should and mustNot lists');
  for (const clause of ['must', 'should', 'mustNot'] as const) {
    if (filter[clause] !== undefined && !Array.isArray(filter[clause])) throw new InvalidInputError(`filter.${clause} must be a list of conditions`);
  }
  const out: QdrantFilter = {};
  if (filter.must?.length) out.must = filter.must.map(toQdrantCondition);
  if (filter.should?.length) out.should = filter.should.map(toQdrantCondition);
  if (filter.mustNot?.length) out.must_not = filter.mustNot.map(toQdrantCondition);
  return Object.keys(out).length === 0 ? undefined : out;
}
