/**
 * A length limit on every string argument of the API, checked once before any resolver runs, so
 * no field has to remember it and a field added later is covered by the default.
 *
 * Every String and ID value in a field's arguments, at any depth of input objects and lists, is
 * checked against its limit: the entry of STRING_LIMITS for its input field ("InputType.field") or
 * argument ("ParentType.field(argument)"), else DEFAULT_STRING_LIMIT. Entries share their numbers
 * with the services that validate the same inputs (PRODUCT_LIMITS, the search text limit, the
 * image URL and path limits), so the limit named in an error is the one that applies. NUL
 * (U+0000) is refused in every string: it is never text, and C libraries (SQLite's tokenizer
 * among them) read it as the end of a string.
 *
 * The walk is iterative, so deeply nested inputs cannot overflow the stack here.
 */
import {
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { InvalidInputError } from '../domain/errors';
import { MAX_UPLOADED_QRELS_BYTES } from '../evaluation/evaluation.service';
import { MAX_IMAGE_PATH_LENGTH, MAX_IMAGE_URL_LENGTH } from '../ingestion/image-loader';
import { PRODUCT_LIMITS } from '../ingestion/product-limits';
import { DEFAULT_SEARCH_OPTIONS } from '../search/search.service';

/** Characters allowed in a string argument without an entry of its own. */
export const DEFAULT_STRING_LIMIT = 1000;

const SEARCH_TEXT = DEFAULT_SEARCH_OPTIONS.maxTextLength;
const ID = PRODUCT_LIMITS.idLength;

/**
 * Limits by input field ("InputType.field") or argument ("ParentType.field(argument)"), in
 * characters; null where a byte limit is enforced elsewhere instead (base64 images: MAX_IMAGE_BYTES
 * and MAX_BODY_BYTES).
 */
export const STRING_LIMITS: Readonly<Record<string, number | null>> = {
  'SearchInput.text': SEARCH_TEXT,
  'SearchInput.modifier': SEARCH_TEXT,
  'SearchInput.facets': PRODUCT_LIMITS.attributeNameLength,
  'ImageInput.url': MAX_IMAGE_URL_LENGTH,
  'ImageInput.base64': null,
  'ImageInput.productId': ID,
  'AttributeCondition.attribute': PRODUCT_LIMITS.attributeNameLength,
  'AttributeCondition.anyOf': PRODUCT_LIMITS.attributeValueLength,
  'AttributeCondition.noneOf': PRODUCT_LIMITS.attributeValueLength,
  'ProductInput.id': ID,
  'ProductInput.title': PRODUCT_LIMITS.titleLength,
  'ProductInput.description': PRODUCT_LIMITS.descriptionLength,
  'ProductInput.brand': PRODUCT_LIMITS.brandLength,
  'ProductInput.styleId': PRODUCT_LIMITS.styleIdLength,
  'AttributeInput.name': PRODUCT_LIMITS.attributeNameLength,
  'AttributeInput.values': PRODUCT_LIMITS.attributeValueLength,
  'ImageSourceInput.url': MAX_IMAGE_URL_LENGTH,
  'ImageSourceInput.base64': null,
  'ImageSourceInput.path': MAX_IMAGE_PATH_LENGTH,
  'SearchEventInput.productId': ID,
  'EvaluateInput.qrels': MAX_UPLOADED_QRELS_BYTES,
  'EvaluationQueryInput.text': SEARCH_TEXT,
  'Query.product(id)': ID,
  'Query.products(ids)': ID,
  'Query.similarProducts(id)': ID,
  'Query.completeTheLook(productId)': ID,
  'Mutation.deleteProducts(ids)': ID,
  'Product.attribute(name)': PRODUCT_LIMITS.attributeNameLength,
};

type Limits = Readonly<Record<string, number | null>>;

interface Pending {
  value: unknown;
  type: GraphQLInputType;
  path: string;
  key: string;
}

/** Throws InvalidInputError for the first string argument over its limit or holding NUL. */
export function checkStringArguments(
  parentType: string,
  field: string,
  definitions: readonly GraphQLArgument[],
  args: Record<string, unknown>,
  limits: Limits = STRING_LIMITS,
): void {
  const stack: Pending[] = [];
  for (let i = definitions.length - 1; i >= 0; i--) {
    const def = definitions[i];
    if (args[def.name] != null) stack.push({ value: args[def.name], type: def.type, path: def.name, key: `${parentType}.${field}(${def.name})` });
  }
  while (stack.length) {
    const { value, type, path, key } = stack.pop()!;
    if (value == null) continue;
    const inner = type instanceof GraphQLNonNull ? (type.ofType as GraphQLInputType) : type;
    if (inner instanceof GraphQLList) {
      if (!Array.isArray(value)) {
        stack.push({ value, type: inner.ofType as GraphQLInputType, path, key });
        continue;
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], type: inner.ofType as GraphQLInputType, path: `${path}[${i}]`, key });
    } else if (inner instanceof GraphQLInputObjectType) {
      const fields = inner.getFields();
      const names = Object.keys(fields);
      for (let i = names.length - 1; i >= 0; i--) {
        const name = names[i];
        const v = (value as Record<string, unknown>)[name];
        if (v != null) stack.push({ value: v, type: fields[name].type, path: `${path}.${name}`, key: `${inner.name}.${name}` });
      }
    } else if (inner instanceof GraphQLScalarType && (inner.name === 'String' || inner.name === 'ID') && typeof value === 'string') {
      const limit = key in limits ? limits[key] : DEFAULT_STRING_LIMIT;
      if (limit !== null && value.length > limit) {
        throw new InvalidInputError(`${path} is ${value.length} characters long; the limit is ${limit}`, { argument: path, limit });
      }
      if (value.includes('\u0000')) throw new InvalidInputError(`${path} contains a NUL character (U+0000); remove it`, { argument: path });
    }
  }
}

type FieldResolver = (parent: unknown, args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) => unknown;

/**
 * The resolver map with every field resolver checking its string arguments first (fields without
 * arguments pass straight through).
 */
export function limitStringArguments<R extends object>(resolvers: R, limits: Limits = STRING_LIMITS): R {
  const out: Record<string, unknown> = {};
  for (const [type, fields] of Object.entries(resolvers as Record<string, unknown>)) {
    if (!fields || typeof fields !== 'object' || Object.getPrototypeOf(fields) !== Object.prototype) {
      out[type] = fields;
      continue;
    }
    const wrapped: Record<string, unknown> = {};
    for (const [name, resolver] of Object.entries(fields as Record<string, unknown>)) {
      wrapped[name] = typeof resolver === 'function' && !name.startsWith('__') ? withLimits(resolver as FieldResolver, limits) : resolver;
    }
    out[type] = wrapped;
  }
  return out as R;
}

function withLimits(resolve: FieldResolver, limits: Limits): FieldResolver {
  return (parent, args, context, info) => {
    const definitions = info.parentType.getFields()[info.fieldName]?.args;
    if (definitions && definitions.length > 0 && args) checkStringArguments(info.parentType.name, info.fieldName, definitions, args, limits);
    return resolve(parent, args, context, info);
  };
}
