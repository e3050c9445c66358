import { buildSchema, type GraphQLObjectType } from 'graphql';
import { InvalidInputError } from '../../../src/domain/errors';
import { checkStringArguments, DEFAULT_STRING_LIMIT, STRING_LIMITS } from '../../../src/graphql/argument-limits';
import { loadTypeDefs } from '../../../src/graphql/schema';
import { PRODUCT_LIMITS } from '../../../src/ingestion/product-limits';
import { createTestApi } from './test-api';

const schema = buildSchema(`
  input Inner { name: String, tags: [String!], id: ID, n: Int, blob: String, next: Inner }
  type Query { f(input: Inner, ids: [ID!], s: String, big: String): Int }
`);
const args = (schema.getQueryType() as GraphQLObjectType).getFields().f.args;
const limits = { 'Inner.name': 5, 'Inner.blob': null, 'Query.f(ids)': 3 };
const check = (value: Record<string, unknown>) => () => checkStringArguments('Query', 'f', args, value, limits);

describe('checkStringArguments', () => {
  it.each([
    ['a field with its own limit', { input: { name: 'abcdef' } }, 'input.name is 6 characters long; the limit is 5'],
    ['an argument with its own limit, in a list', { ids: ['abc', 'abcd'] }, 'ids[1] is 4 characters long; the limit is 3'],
    ['the default limit', { s: 'x'.repeat(DEFAULT_STRING_LIMIT + 1) }, `s is ${DEFAULT_STRING_LIMIT + 1} characters long; the limit is ${DEFAULT_STRING_LIMIT}`],
    ['a list inside an input object', { input: { tags: ['ok', 'y'.repeat(2000)] } }, 'input.tags[1] is 2000 characters long; the limit is 1000'],
    ['an ID inside a nested object', { input: { next: { next: { id: 'z'.repeat(1001) } } } }, 'input.next.next.id is 1001 characters long; the limit is 1000'],
    ['NUL anywhere', { input: { next: { name: 'a\u0000b' } } }, 'input.next.name contains a NUL character (U+0000); remove it'],
    ['NUL in an unlimited field', { input: { blob: 'x\u0000' } }, 'input.blob contains a NUL character (U+0000); remove it'],
  ])('refuses %s, naming the path and the limit', (_name, value, message) => {
    expect(check(value)).toThrow(InvalidInputError);
    expect(check(value)).toThrow(message);
  });

  it('accepts values at their limits, unlimited fields and non-strings', () => {
    expect(check({ input: { name: 'abcde', blob: 'b'.repeat(100_000), n: 5, tags: [] }, ids: ['abc'], s: 'x'.repeat(DEFAULT_STRING_LIMIT) })).not.toThrow();
  });

  it('walks very deep inputs without recursion', () => {
    let deep: Record<string, unknown> = { name: 'toolong' };
    for (let i = 0; i < 50_000; i++) deep = { next: deep };
    expect(check({ input: deep })).toThrow(/^input(\.next){50000}\.name is 7 characters long; the limit is 5$/);
  });

  it('names only input fields and arguments that exist in the schema', () => {
    const fields = new Set<string>();
    const parsed = buildSchema(loadTypeDefs().join('\n'));
    for (const type of Object.values(parsed.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if ('getFields' in type) {
        for (const [name, field] of Object.entries(type.getFields())) {
          fields.add(`${type.name}.${name}`);
          for (const a of (field as { args?: { name: string }[] }).args ?? []) fields.add(`${type.name}.${name}(${a.name})`);
        }
      }
    }
    expect(Object.keys(STRING_LIMITS).filter((k) => !fields.has(k))).toEqual([]);
  });
});

describe('string limits through the API', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it.each([
    ['an overlong search text', `query($t: String) { search(input: { text: $t }) { totalCount } }`, { t: 'x'.repeat(501) }, 'input.text is 501 characters long; the limit is 500'],
    ['a NUL in the search text', `query($t: String) { search(input: { text: $t }) { totalCount } }`, { t: 'red\u0000dress' }, 'input.text contains a NUL character (U+0000); remove it'],
    [
      'an overlong filter value',
      `query($v: String!) { search(input: { text: "dress", filter: { attributes: [{ attribute: "color", anyOf: ["red", $v] }] } }) { totalCount } }`,
      { v: 'v'.repeat(101) },
      'input.filter.attributes[0].anyOf[1] is 101 characters long; the limit is 100',
    ],
    ['an overlong cursor', `query($a: String) { search(input: { text: "dress", after: $a }) { totalCount } }`, { a: 'c'.repeat(5000) }, 'input.after is 5000 characters long; the limit is 1000'],
    ['an overlong image URL', `query($u: String) { search(input: { image: { url: $u } }) { totalCount } }`, { u: `https://x.example/${'a'.repeat(3000)}` }, 'input.image.url is 3018 characters long; the limit is 2048'],
    ['an overlong product id', `query($id: ID!) { product(id: $id) { id } }`, { id: 'p'.repeat(129) }, 'id is 129 characters long; the limit is 128'],
    ['one overlong id of many', `query($ids: [ID!]!) { products(ids: $ids) { id } }`, { ids: ['a', 'b'.repeat(200)] }, 'ids[1] is 200 characters long; the limit is 128'],
  ])('refuses %s with a coded error', async (_name, query, variables, message) => {
    const r = await api.exec(query, variables);
    expect(r.errors?.[0].message).toBe(message);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('checks arguments of fields below the root (Product.attribute)', async () => {
    const r = await api.exec(`query($n: String!) { search(input: { text: "dress", first: 1 }) { edges { node { attribute(name: $n) } } } }`, {
      n: 'n'.repeat(PRODUCT_LIMITS.attributeNameLength + 1),
    });
    expect(r.errors?.[0].message).toBe(`name is ${PRODUCT_LIMITS.attributeNameLength + 1} characters long; the limit is ${PRODUCT_LIMITS.attributeNameLength}`);
  });

  it('lets strings within their limits through', async () => {
    const r = await api.exec(`query($t: String) { search(input: { text: $t, first: 1 }) { totalCount } }`, { t: 'red dress '.repeat(50) });
    expect(r.errors).toBeUndefined();
  });
});
