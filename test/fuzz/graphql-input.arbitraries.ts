/**
 * fast-check arbitraries for property-based fuzzing of the GraphQL API, derived from the schema
 * (schema/*.graphql, built with graphql's buildSchema): for every root field, operations that pass
 * random values for its arguments, either as variables or written inline as literals.
 *
 * Half the operations carry plausible arguments (what a client sends: known product ids, attribute
 * names and values, page sizes, one image source; one leaf in twenty hostile), so the fuzzing
 * reaches the resolvers and services and many succeed; the other half are hostile at every level:
 * mistyped values, null for non-null, huge strings, NUL and other control characters, lone
 * surrogates, injection-shaped text (FTS5 syntax, paths, internal URLs), extreme and non-finite
 * numbers, empty and oversized lists, filters nested beyond the limits, unknown fields, corrupt
 * images and a decompression bomb's header. Used by
 * test/unit/graphql/graphql-inputs.fuzz.test.ts (in process) and
 * test/integration/api/http-inputs.fuzz.test.ts (over HTTP, against a server process).
 *
 * FUZZ_RUNS scales the number of generated cases (see fuzzRuns); FUZZ_SEED changes the seed.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { DEFAULT_GRAPHQL_LIMITS } from '../../src/graphql/limits/graphql-limits';
import { loadTypeDefs } from '../../src/graphql/schema';
import { checkJsonShape } from '../../src/server/json-shape.guard';
import { fakeImage } from '../unit/fakes/fake-encoders';

export const schema: GraphQLSchema = buildSchema(loadTypeDefs().join('\n'));

/** Every root field with its operation type, Query first. */
export function rootFields(): { operation: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }[] {
  const out: { operation: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }[] = [];
  for (const [operation, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    if (type) for (const field of Object.values(type.getFields())) out.push({ operation, field });
  }
  return out;
}

/** Every input object type of the schema. */
export function inputTypeNames(): string[] {
  return Object.values(schema.getTypeMap())
    .filter((t) => !t.name.startsWith('__') && isInputObjectType(t))
    .map((t) => t.name)
    .sort();
}

/** The number of runs of a property: `base` times FUZZ_RUNS / 100 (FUZZ_RUNS defaults to 100). */
export function fuzzRuns(base: number): number {
  const scale = Number(process.env.FUZZ_RUNS ?? 100);
  return Math.max(1, Math.round((base * (Number.isFinite(scale) && scale > 0 ? scale : 100)) / 100));
}

/** The seed of every property (FUZZ_SEED, default fixed), so a failure is reproducible. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261201);

// ---- values ------------------------------------------------------------------------------------

/** A PNG header claiming 60,000 × 60,000 pixels (3.6 gigapixels) and no image data: a decompression bomb's shape. */
export function pngBombHeader(width = 60_000, height = 60_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(6, 9); // RGBA
  const type = Buffer.from('IHDR');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])) >>> 0);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), length, type, ihdr, crc]);
}

/** Strings that have broken parsers, stores and limits elsewhere, and values the API knows. */
const SPECIAL_STRINGS = [
  '',
  ' ',
  '\u0000',
  'red\u0000shirt',
  '\u0001\u0008\u001b\u001f\u007f\u0085\u009f',
  '\t\n\r\u000b\u000c',
  '\u2028\u2029\u200b\ufeff\u202e',
  '\ud800',
  'a\udfffb',
  '😀👗',
  'İı ß ﬀ ǅ',
  '"',
  '"unterminated',
  "'; DROP TABLE products; --",
  '\\',
  '*',
  'NEAR(red shirt)',
  'red AND OR NOT shirt',
  'title:red',
  '-shirt',
  '^red',
  '(',
  '{}',
  '[]',
  '%_%',
  '$1',
  '../../etc/passwd',
  '/etc/passwd',
  'images/../../../etc/passwd',
  'C:\\Windows\\win.ini',
  'file:///etc/passwd',
  'http://127.0.0.1:1/x.png',
  'http://[::ffff:7f00:1]/x.png',
  'http://169.254.169.254/latest/meta-data/',
  'http://[64:ff9b::7f00:1]/',
  'http://0x7f000001/',
  'gopher://127.0.0.1:25/',
  'https://user:pass@10.0.0.1/x.png',
  'data:image/png;base64,',
  'data:image/png;base64,AAAA',
  'javascript:alert(1)',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '2026-02-30',
  '2026-13-01',
  '2026-01-01',
  '1970-01-01',
  '9999-12-31',
  '0000-00-00',
  '2026-01-01T00:00:00Z',
  '2026-01-01T25:61:61+99:99',
  `fsk_0123456789abcdef_${'A'.repeat(43)}`,
  'Bearer x',
  'ev-20260101T000000Z-abcdef',
  'ev-../../x',
  'p-0001',
  'p-0002',
  'soak-1',
  'color',
  'category',
  'brand',
  'size',
  'text',
  'composed',
  'image',
  'fake',
  'mrr',
  'ndcg@10',
  'p@0',
  'hit@100000',
  'q1 0 t1 2\nq2 0 t2 1',
  'q1 0 t1 notanumber',
  'red shirt',
  'navy dress under 50',
  'not red',
  'same but in blue',
];

/** Base64 of images: valid fakes (the fake encoders read their words), corrupt ones, a pixel bomb's header, oversized bytes. */
const IMAGE_BASE64 = [
  fakeImage('red shirt').toString('base64'),
  fakeImage('navy dress').toString('base64'),
  `data:image/png;base64,${fakeImage('green bag').toString('base64')}`,
  fakeImage('CORRUPT').toString('base64'),
  pngBombHeader().toString('base64'),
  Buffer.from('GIF89a').toString('base64'),
  '!!!not base64!!!',
  '====',
  'A'.repeat(200_001),
];

const HUGE_LENGTHS = [101, 129, 301, 501, 1_001, 2_049, 5_001, 70_000, 1_000_000];

const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HUGE_LENGTHS), fc.constantFrom('x', 'é', '\u0000', ' ', '😀', 'ab cd ')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)).slice(0, n)) },
  { weight: 1, arbitrary: fc.constantFrom(...IMAGE_BASE64) },
);

const anyInt: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 120 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, 1, 2, 100, 101, 256, 257, 1000, 1001, 3660, 3661, 5000, 5001, 10_000, 100_000, 100_001, 1_000_000, 1_000_001, 2 ** 31 - 1, -(2 ** 31)) },
  { weight: 1, arbitrary: fc.integer() },
  // outside GraphQL's 32-bit Int, and not integers
  { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5, -0) },
);

const anyFloat: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 0.5, 1, 1.0000001, -1, 1e9, 1e9 + 1, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, NaN, Infinity, -Infinity) },
  { weight: 1, arbitrary: fc.double() },
);

/** Any JSON-like value: what a careless or hostile client sends where something else is expected. */
const mistyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  anyString,
  anyInt,
  anyFloat,
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.array(anyString, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('text', 'image', 'id', 'url', 'base64', 'not', 'and', 'x', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** A `not` chain `depth` filters deep around a condition (the filter limit is 8 levels; variables 32). */
export function deepNot(depth: number, inner: Record<string, unknown> = { inStock: true }): Record<string, unknown> {
  let filter = inner;
  for (let i = 0; i < depth; i++) filter = { not: filter };
  return filter;
}

const cache = new Map<string, fc.Arbitrary<unknown>>();

/**
 * Values for an input type, in one of two families:
 * - hostile: each level mostly well-typed, else null or a mistyped value; scalars from the special
 *   strings, huge strings and extreme numbers; lists empty, short, or one item repeated past a
 *   limit; filters wrapped in deep `not` chains; unknown fields;
 * - plausible: what a client of the API would send (product ids of the catalogue, attribute names
 *   and values it knows, page sizes, prices, one image source), so that operations reach the
 *   services and succeed; one leaf in twenty is hostile.
 * `budget` bounds the nesting of input objects (recursive types such as ProductFilter stop growing
 * at 0); `name` is the argument or field the value is for (plausible values depend on it).
 */
export function valueFor(type: GraphQLInputType, family: 'hostile' | 'plausible', budget = 3, name = ''): fc.Arbitrary<unknown> {
  const key = `${family}:${String(type)}:${budget}:${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const arb = family === 'hostile' ? hostile(type, budget, name) : plausible(type, budget, name);
  cache.set(key, arb);
  return arb;
}

function hostileLeaf(type: GraphQLNamedType): fc.Arbitrary<unknown> {
  if (isEnumType(type)) return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) }, { weight: 1, arbitrary: anyString });
  switch (type.name) {
    case 'Int':
      return anyInt;
    case 'Float':
      return anyFloat;
    case 'Boolean':
      return fc.boolean();
    case 'ID':
      return fc.oneof({ weight: 6, arbitrary: anyString }, { weight: 1, arbitrary: anyInt });
    case 'DateTime':
      return fc.oneof(
        fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-30T00:00:00Z', 'yesterday', '', '1e10'),
        anyString,
      );
    default:
      return anyString;
  }
}

function hostile(type: GraphQLInputType, budget: number, name: string): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    return fc.oneof({ weight: 30, arbitrary: valueFor(type.ofType, 'hostile', budget, name) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: mistyped });
  }
  const nullable = (arb: fc.Arbitrary<unknown>) => fc.oneof({ weight: 12, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: mistyped });
  if (isListType(type)) {
    const item = valueFor(type.ofType, 'hostile', Math.max(0, budget - 1), name);
    return nullable(
      fc.oneof(
        { weight: 8, arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }) },
        { weight: 2, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.tuple(item, fc.constantFrom(21, 101, 201, 257, 1001, 5001)).map(([v, n]) => new Array(n).fill(v)) },
        // a single value where a list is expected (GraphQL coerces it to a list of one)
        { weight: 1, arbitrary: item },
      ),
    );
  }
  const named = getNamedType(type) as GraphQLNamedType;
  if (isInputObjectType(named)) {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const f of Object.values(named.getFields())) {
      if (isInputObjectType(getNamedType(f.type)) && budget === 0 && !isNonNullType(f.type)) continue;
      shape[f.name] = valueFor(f.type, 'hostile', Math.max(0, budget - 1), f.name);
      if (isNonNullType(f.type)) required.push(f.name);
    }
    const record = fc.record(shape, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
    const variants: fc.Arbitrary<unknown>[] = [record];
    // Deep `not` chains around a generated filter, beyond the filter's 8 levels and the variables' 32.
    if (named.name === 'ProductFilter') variants.push(fc.tuple(fc.integer({ min: 5, max: 40 }), record).map(([d, f]) => deepNot(d, f)));
    return nullable(
      fc.oneof(
        { weight: 10, arbitrary: fc.oneof(...variants) },
        // unknown fields next to known ones
        { weight: 1, arbitrary: fc.tuple(record, fc.constantFrom('unknownField', '__typename', 'constructor', '__proto__')).map(([r, k]) => ({ ...r, [k]: 1 })) },
      ),
    );
  }
  return nullable(hostileLeaf(named));
}

const today = () => new Date().toISOString().slice(0, 10);
// the in-process catalogue's ids (test/unit/fakes/catalog-builder.ts), then the HTTP test's (api-fixtures.ts)
const PRODUCT_IDS = [...Array.from({ length: 45 }, (_, i) => `p-${String(i).padStart(4, '0')}`), ...Array.from({ length: 12 }, (_, i) => `p-${i}`)];
const ATTRIBUTE_NAMES = ['color', 'category', 'material', 'brand', 'size', 'group'];
/** Search ids the server answered (registered by the tests with knownSearchIds), which events refer to. */
const SEARCH_IDS: string[] = ['s-unknown'];

/** Registers search ids the server answered, so that plausible events refer to real searches. */
export function knownSearchIds(ids: string[]): void {
  SEARCH_IDS.splice(0, SEARCH_IDS.length, ...ids, 's-unknown');
}

/** Products the fuzz tests write first: an outfit for completeTheLook (group) over the catalogue's attributes. */
export const OUTFIT_PRODUCTS = [
  ['top-1', 'top', 'red'],
  ['bottom-1', 'bottom', 'navy'],
  ['dress-1', 'dress', 'black'],
  ['shoes-1', 'shoes', 'white'],
  ['bag-1', 'bag', 'red'],
].map(([id, group, color]) => ({
  id,
  title: `${color} ${group}`,
  price: 30,
  attributes: [
    { name: 'group', values: [group] },
    { name: 'color', values: [color] },
  ],
  image: { base64: fakeImage(`${color} ${group}`).toString('base64') },
}));
const ATTRIBUTE_VALUES = ['red', 'navy', 'black', 'white', 'green', 'shirt', 'dress', 'sneaker', 'bag', 'denim', 'cotton', 'leather', 'Acme', 'Nordwind', 'S', 'M', 'top', 'shoes'];
const TEXTS = ['red shirt', 'navy dress', 'black leather bag', 'green cotton sneaker', 'shirt under 30 euros', 'not red', 'dress without denim', 'nvay dres', 'same but in red', 'in leather', 'Acme'];

/** Plausible leaves by the name of the argument or input field they are for. */
const PLAUSIBLE_BY_NAME: Record<string, () => fc.Arbitrary<unknown>> = {
  id: () => fc.oneof(fc.constantFrom(...PRODUCT_IDS), fc.constantFrom('new-1', 'new-2', 'ev-20260101T000000Z-abcdef')),
  ids: () => fc.constantFrom(...PRODUCT_IDS),
  productId: () => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PRODUCT_IDS) }, { weight: 1, arbitrary: fc.constantFrom(...OUTFIT_PRODUCTS.map((p) => p.id)) }),
  searchId: () => fc.oneof({ weight: 9, arbitrary: fc.nat().map((i) => SEARCH_IDS[i % SEARCH_IDS.length]) }, { weight: 1, arbitrary: fc.constantFrom('s-1', '00000000-0000-4000-8000-000000000000') }),
  text: () => fc.constantFrom(...TEXTS),
  modifier: () => fc.constantFrom(...TEXTS),
  title: () => fc.constantFrom(...TEXTS),
  description: () => fc.constantFrom(...TEXTS, 'A shirt.\nMachine washable.'),
  brand: () => fc.constantFrom('Acme', 'Nordwind'),
  styleId: () => fc.constantFrom('s-1', 's-2'),
  currency: () => fc.constantFrom('EUR', 'USD', 'GBP'),
  attribute: () => fc.constantFrom(...ATTRIBUTE_NAMES),
  name: () => fc.constantFrom(...ATTRIBUTE_NAMES),
  facets: () => fc.constantFrom(...ATTRIBUTE_NAMES),
  anyOf: () => fc.constantFrom(...ATTRIBUTE_VALUES),
  noneOf: () => fc.constantFrom(...ATTRIBUTE_VALUES),
  values: () => fc.constantFrom(...ATTRIBUTE_VALUES),
  base64: () => fc.constantFrom(...IMAGE_BASE64.slice(0, 4)),
  url: () => fc.constantFrom('http://127.0.0.1:9/x.png', 'http://10.0.0.1/x.png', 'ftp://example.com/x.png'),
  path: () => fc.constantFrom('images/p-0001.webp', 'p-0001.png', '../x.png'),
  // mostly no cursor (undefined leaves the argument out)
  after: () => fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('bm90IGEgY3Vyc29y', 'eyJvIjoxMH0', '') }),
  from: () => fc.constantFrom('2026-01-01', today(), '2020-02-29'),
  to: () => fc.constantFrom(today(), '2030-12-31'),
  set: () => fc.oneof({ weight: 9, arbitrary: fc.constant('fake') }, { weight: 1, arbitrary: fc.constantFrom('text', 'unknown-set') }),
  variants: () => fc.oneof({ weight: 9, arbitrary: fc.constantFrom('weak', 'strong') }, { weight: 1, arbitrary: fc.constant('nope') }),
  baseline: () => fc.constantFrom('weak', 'strong'),
  metrics: () => fc.oneof({ weight: 9, arbitrary: fc.constantFrom('mrr', 'ndcg@10', 'p@5', 'r@10', 'hit@1', 'map') }, { weight: 1, arbitrary: fc.constant('bogus@x') }),
  qrels: () => fc.constantFrom('q0 0 t0 2\nq1 0 t1 1\n', 'q0 0 t0 2'),
  first: () => fc.integer({ min: 1, max: 30 }),
  limit: () => fc.integer({ min: 0, max: 30 }),
  offset: () => fc.integer({ min: 0, max: 30 }),
  position: () => fc.integer({ min: 1, max: 30 }),
  topQueries: () => fc.integer({ min: 0, max: 20 }),
  queryOffset: () => fc.integer({ min: 0, max: 5 }),
  dayLimit: () => fc.integer({ min: 0, max: 30 }),
  dayOffset: () => fc.integer({ min: 0, max: 5 }),
  depth: () => fc.integer({ min: 1, max: 200 }),
  bootstrapSamples: () => fc.integer({ min: 10, max: 300 }),
  permutationSamples: () => fc.integer({ min: 10, max: 300 }),
  limitQueries: () => fc.integer({ min: 1, max: 12 }),
  relevanceThreshold: () => fc.integer({ min: 1, max: 2 }),
  seed: () => fc.integer(),
  price: () => fc.double({ min: 0, max: 500, noNaN: true }),
  min: () => fc.double({ min: 0, max: 100, noNaN: true }),
  max: () => fc.double({ min: 20, max: 400, noNaN: true }),
  imageWeight: () => fc.double({ min: 0, max: 1, noNaN: true }),
  confidenceLevel: () => fc.double({ min: 0.5, max: 0.99, noNaN: true }),
  occurredAt: () => fc.constantFrom(new Date().toISOString(), '2026-01-01T00:00:00Z'),
};

function plausibleLeaf(type: GraphQLNamedType, name: string): fc.Arbitrary<unknown> {
  const byName = PLAUSIBLE_BY_NAME[name];
  const normal = byName
    ? byName()
    : isEnumType(type)
      ? fc.constantFrom(...type.getValues().map((v) => v.name))
      : type.name === 'Int'
        ? fc.integer({ min: 0, max: 50 })
        : type.name === 'Float'
          ? fc.double({ min: 0, max: 100, noNaN: true })
          : type.name === 'Boolean'
            ? fc.boolean()
            : fc.string({ maxLength: 12 });
  return fc.oneof({ weight: 19, arbitrary: normal }, { weight: 1, arbitrary: hostileLeaf(type) });
}

/** Records with some fields of an input object type, the `required` ones always present. */
function plausibleRecord(type: GraphQLInputObjectType, budget: number, names: string[], required: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const fields = type.getFields();
  const shape = Object.fromEntries(names.map((n) => [n, valueFor(fields[n].type, 'plausible', Math.max(0, budget - 1), n)]));
  return fc.record(shape, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
}

/** Input objects whose fields depend on each other: the combinations the API accepts, mostly. */
const PLAUSIBLE_OBJECTS: Record<string, (type: GraphQLInputObjectType, budget: number) => fc.Arbitrary<unknown>> = {
  SearchInput: (t, b) =>
    fc.oneof(
      { weight: 4, arbitrary: plausibleRecord(t, b, ['text', 'filter', 'facets', 'first', 'correctSpelling'], ['text']) },
      { weight: 2, arbitrary: plausibleRecord(t, b, ['image', 'filter', 'facets', 'first'], ['image']) },
      { weight: 2, arbitrary: plausibleRecord(t, b, ['image', 'modifier', 'first'], ['image', 'modifier']) },
      { weight: 1, arbitrary: plausibleRecord(t, b, ['text', 'image', 'imageWeight'], ['text', 'image']) },
      { weight: 1, arbitrary: plausibleRecord(t, b, Object.keys(t.getFields())) },
    ),
  ImageInput: (t) =>
    fc.oneof(
      { weight: 6, arbitrary: plausibleRecord(t, 1, ['productId'], ['productId']) },
      { weight: 3, arbitrary: plausibleRecord(t, 1, ['base64'], ['base64']) },
      { weight: 1, arbitrary: plausibleRecord(t, 1, ['url'], ['url']) },
    ),
  ImageSourceInput: (t) =>
    fc.oneof(
      { weight: 8, arbitrary: plausibleRecord(t, 1, ['base64'], ['base64']) },
      { weight: 1, arbitrary: plausibleRecord(t, 1, ['path'], ['path']) },
      { weight: 1, arbitrary: plausibleRecord(t, 1, ['url'], ['url']) },
    ),
  EvaluateInput: (t, b) =>
    fc.oneof(
      { weight: 4, arbitrary: plausibleRecord(t, b, ['set', 'variants', 'baseline', 'metrics', 'relevanceThreshold', 'depth', 'bootstrapSamples', 'permutationSamples', 'confidenceLevel', 'seed', 'limitQueries'], ['set']) },
      { weight: 1, arbitrary: plausibleRecord(t, b, ['qrels', 'queries', 'variants', 'metrics'], ['qrels', 'queries']) },
    ),
  ProductFilter: (t, b) =>
    fc.oneof(
      { weight: 4, arbitrary: plausibleRecord(t, b, ['attributes'], ['attributes']) },
      { weight: 2, arbitrary: plausibleRecord(t, b, ['price'], ['price']) },
      { weight: 2, arbitrary: plausibleRecord(t, b, ['inStock'], ['inStock']) },
      { weight: 1, arbitrary: plausibleRecord(t, b, ['attributes', 'price', 'inStock']) },
      ...(b > 0
        ? [
            { weight: 1, arbitrary: plausibleRecord(t, b, ['and'], ['and']) },
            { weight: 1, arbitrary: plausibleRecord(t, b, ['or'], ['or']) },
            { weight: 1, arbitrary: plausibleRecord(t, b, ['not'], ['not']) },
          ]
        : []),
    ),
  AttributeCondition: (t) =>
    fc.oneof(
      { weight: 3, arbitrary: plausibleRecord(t, 1, ['attribute', 'anyOf'], ['attribute', 'anyOf']) },
      { weight: 1, arbitrary: plausibleRecord(t, 1, ['attribute', 'noneOf'], ['attribute', 'noneOf']) },
      { weight: 1, arbitrary: plausibleRecord(t, 1, ['attribute', 'anyOf', 'noneOf'], ['attribute', 'anyOf', 'noneOf']) },
    ),
  PriceRange: (t) =>
    fc.oneof(plausibleRecord(t, 1, ['min'], ['min']), plausibleRecord(t, 1, ['max'], ['max']), fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 300 })).map(([a, d]) => ({ min: a, max: a + d }))),
  EvaluationQueryInput: (t) => fc.record({ id: fc.constantFrom('q0', 'q1', 'q2'), text: valueFor(t.getFields().text.type, 'plausible', 0, 'text') }),
};

function plausible(type: GraphQLInputType, budget: number, name: string): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueFor(type.ofType, 'plausible', budget, name);
  if (isListType(type)) {
    const item = valueFor(type.ofType, 'plausible', Math.max(0, budget - 1), name);
    // attribute names appear once per product
    if (name === 'attributes' && isInputObjectType(getNamedType(type)) && getNamedType(type).name === 'AttributeInput') {
      return fc.uniqueArray(item, { minLength: 1, maxLength: 3, selector: (a) => (a as { name?: unknown }).name });
    }
    return fc.array(item, { minLength: 1, maxLength: 3 });
  }
  const named = getNamedType(type) as GraphQLNamedType;
  if (isInputObjectType(named)) {
    const special = PLAUSIBLE_OBJECTS[named.name];
    if (special) return special(named, budget);
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const f of Object.values(named.getFields())) {
      if (isInputObjectType(getNamedType(f.type)) && budget === 0 && !isNonNullType(f.type)) continue;
      shape[f.name] = valueFor(f.type, 'plausible', Math.max(0, budget - 1), f.name);
      if (isNonNullType(f.type)) required.push(f.name);
    }
    return fc.record(shape, { requiredKeys: required });
  }
  return plausibleLeaf(named, name);
}

// ---- operations --------------------------------------------------------------------------------

/** A selection of the leaves of `type`, two object levels deep, skipping fields with required arguments. */
export function selectionFor(type: GraphQLObjectType, depth = 0): string {
  const parts: string[] = [];
  for (const f of Object.values(type.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) {
      if (f.name === 'attribute') parts.push('attribute(name: "color")');
      continue;
    }
    const named = getNamedType(f.type);
    if (isLeafType(named)) parts.push(f.name);
    else if (isObjectType(named) && depth < 2) parts.push(`${f.name} { ${selectionFor(named, depth + 1)} }`);
  }
  return parts.length ? parts.join(' ') : '__typename';
}

/** A value written as a GraphQL literal of `type` (enum values bare); anything unprintable gives a document the parser refuses. */
export function literal(value: unknown, type: GraphQLInputType | null): string {
  if (value === null || value === undefined) return 'null';
  const inner = type && isNonNullType(type) ? type.ofType : type;
  if (typeof value === 'string') {
    if (inner && isEnumType(getNamedType(inner)) && !isListType(inner) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value) && !['true', 'false', 'null'].includes(value)) return value;
    return JSON.stringify(value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : String(value); // NaN / Infinity: names GraphQL refuses
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const item = inner && isListType(inner) ? inner.ofType : null;
    return `[${value.map((v) => literal(v, item)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const named = inner ? getNamedType(inner) : null;
    const fields = named && isInputObjectType(named) ? named.getFields() : {};
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? null)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(String(value));
}

export interface FuzzOperation {
  field: string;
  query: string;
  variables: Record<string, unknown>;
  mode: 'variables' | 'literals';
  /**
   * How the HTTP front refuses these variables before GraphQL sees them (too deep, too many values,
   * a body over MAX_BODY_BYTES), or null. In-process runs answer such operations as the server
   * would instead of executing them: generated values share references, so a list of 5,001 copies of
   * a filter holding 1,001 copies of another is cheap to generate but, as JSON, gigabytes.
   */
  refusedAtFront: { code: string; reason: string } | null;
}

/** MAX_BODY_BYTES's default. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The size of `value` as JSON, roughly, or Infinity beyond `cap` bytes (stops there: shared references can make it huge). */
export function jsonBytesAtMost(value: unknown, cap: number): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') bytes += v.length + 2;
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v as Record<string, unknown>)) {
        bytes += String(k).length + 4;
        stack.push(child);
      }
    } else bytes += 8;
    if (bytes > cap) return Infinity;
  }
  return bytes;
}

/** How the HTTP front refuses `variables` (src/server/http.server.ts with the default limits), or null. */
export function refusedAtFront(variables: unknown): { code: string; reason: string } | null {
  const shape = checkJsonShape(variables, { maxDepth: DEFAULT_GRAPHQL_LIMITS.maxVariablesDepth, maxValues: DEFAULT_GRAPHQL_LIMITS.maxVariableValues });
  if (shape) return { code: 'BAD_USER_INPUT', reason: shape.limit };
  // At most 50,000 values now: the walk is short.
  return jsonBytesAtMost(variables, MAX_BODY_BYTES) > MAX_BODY_BYTES ? { code: 'PAYLOAD_TOO_LARGE', reason: 'body' } : null;
}

/** Operations calling one root field with generated arguments, passed as variables or inline. */
export function operationFor(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): fc.Arbitrary<FuzzOperation> {
  const args = field.args as readonly GraphQLArgument[];
  const named = getNamedType(field.type);
  const selection = isObjectType(named) ? ` { ${selectionFor(named)} }` : '';
  const required = args.filter((a) => isNonNullType(a.type)).map((a) => a.name);
  const argValues = fc.oneof(
    ...(['plausible', 'hostile'] as const).map(
      (family) => fc.record(Object.fromEntries(args.map((a) => [a.name, valueFor(a.type, family, 3, a.name)])), { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>,
    ),
  );
  return fc.tuple(argValues, fc.constantFrom<'variables' | 'literals'>('variables', 'variables', 'literals')).map(([values, chosen]): FuzzOperation => {
    const given = args.filter((a) => a.name in values);
    const variables = Object.fromEntries(given.map((a) => [a.name, values[a.name]]));
    const refused = refusedAtFront(variables);
    // Values of more than a megabyte are sent as variables (and refused there): as a literal they
    // could be a document of gigabytes.
    const mode = jsonBytesAtMost(variables, 1 << 20) > 1 << 20 ? 'variables' : chosen;
    if (mode === 'literals') {
      const list = given.map((a) => `${a.name}: ${literal(values[a.name], a.type)}`).join(', ');
      return { field: field.name, mode, variables: {}, query: `${operation} { ${field.name}${list ? `(${list})` : ''}${selection} }`, refusedAtFront: null };
    }
    const decls = given.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
    const list = given.map((a) => `${a.name}: $${a.name}`).join(', ');
    return {
      field: field.name,
      mode,
      variables,
      query: `${operation}${decls ? `(${decls})` : ''} { ${field.name}${list ? `(${list})` : ''}${selection} }`,
      refusedAtFront: refused,
    };
  });
}

/** Who calls: the admin key, nobody, a malformed key or a well-formed unknown one. */
export function callerArbitrary(adminKey: string): fc.Arbitrary<string | null> {
  return fc.constantFrom<string | null>(adminKey, adminKey, adminKey, null, null, 'not-a-key', `fsk_0123456789abcdef_${'A'.repeat(43)}`);
}

/** The problems of one GraphQL answer (empty when it is data, or errors each with a code other than INTERNAL_SERVER_ERROR). */
export function answerProblems(answer: { data?: unknown; errors?: readonly { message?: unknown; extensions?: Record<string, unknown> }[] } | null | undefined): string[] {
  if (!answer || typeof answer !== 'object') return ['the answer is not an object'];
  const errors = answer.errors ?? [];
  const problems: string[] = [];
  if ((answer.data === undefined || answer.data === null) && errors.length === 0) problems.push('neither data nor errors');
  for (const e of errors) {
    const code = e?.extensions?.code;
    if (typeof code !== 'string' || code === '') problems.push(`an error without extensions.code: ${String(e?.message).slice(0, 200)}`);
    else if (code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR: ${String(e?.message).slice(0, 200)}`);
    if (typeof e?.message !== 'string' || e.message === '') problems.push(`an error without a message (code ${String(code)})`);
  }
  return problems;
}

/** Rejects when `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what.slice(0, 300)}`)), ms);
    }),
  ]);
}
