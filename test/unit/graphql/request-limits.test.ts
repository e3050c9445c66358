import { getIntrospectionQuery, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { measureOperation } from '../../../src/graphql/limits/operation-size.rule';
import { fieldCost, IMAGE_SEARCH_COST, SEARCH_COST } from '../../../src/graphql/limits/query-cost';
import { capErrors } from '../../../src/graphql/limits/request-limits.plugin';
import { DEFAULT_GRAPHQL_LIMITS } from '../../../src/graphql/limits/graphql-limits';
import { fakeImage } from '../fakes/fake-encoders';
import { createTestApi } from './test-api';

function size(query: string, name?: string) {
  const doc = parse(query);
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (!name || d.name?.value === name)) as OperationDefinitionNode;
  return measureOperation(doc, op);
}

/** `fragment F<i> on Query { ...F<i-1> ...F<i-1> }`: 2^n copies of one field. */
function fragmentBomb(n: number): string {
  const defs = ['fragment F0 on Query { serviceInfo { index } }'];
  for (let i = 1; i <= n; i++) defs.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `{ ...F${n} } ${defs.join(' ')}`;
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('measureOperation (depth and fields, aliases and fragments expanded)', () => {
  it.each<[string, string, { depth: number; fields: number }]>([
    ['one field', '{ serviceInfo { index } }', { depth: 2, fields: 2 }],
    ['aliases count each', '{ a: serviceInfo { index } b: serviceInfo { index store } }', { depth: 2, fields: 5 }],
    ['inline fragments add no level', '{ serviceInfo { ... on ServiceInfo { index } } }', { depth: 2, fields: 2 }],
    ['a fragment counts where it is spread, every time', '{ a: serviceInfo { ...I } b: serviceInfo { ...I } } fragment I on ServiceInfo { index models { name } }', { depth: 3, fields: 8 }],
    ['nested fragments', '{ ...Q } fragment Q on Query { serviceInfo { ...M } } fragment M on ServiceInfo { models { name } }', { depth: 3, fields: 3 }],
    ['a cycle adds nothing (graphql reports it)', '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A serviceInfo { index } }', { depth: 2, fields: 2 }],
    ['an unknown fragment adds nothing', '{ ...Nope serviceInfo { index } }', { depth: 2, fields: 2 }],
  ])('%s', (_name, query, expected) => {
    expect(size(query)).toEqual(expected);
  });

  it('counts a fragment bomb as the fields it would execute', () => {
    expect(size(fragmentBomb(20)).fields).toBe(2 * 2 ** 20);
    expect(size(fragmentBomb(2000)).fields).toBe(Infinity);
  });

  it('lets the playground introspect: its introspection query is within the default limits', () => {
    const s = size(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(s.depth).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxDepth);
    expect(s.fields).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxFields);
  });
});

describe('fieldCost', () => {
  it.each<[string, string, Record<string, unknown>, number, number]>([
    ['a plain field', 'Product.title', {}, 0, 1],
    ['a field with selections', 'Query.serviceInfo', {}, 5, 6],
    ['a text search', 'Query.search', { input: { text: 'red' } }, 3, 1 + SEARCH_COST + 3],
    ['a search by a product image (stored vector)', 'Query.search', { input: { image: { productId: 'p1' } } }, 0, 1 + SEARCH_COST],
    ['an image search by upload', 'Query.search', { input: { image: { base64: 'AAAA' } } }, 0, 1 + IMAGE_SEARCH_COST],
    ['an image search by URL', 'Query.search', { input: { image: { url: 'https://x/y.png' }, modifier: 'red' } }, 0, 1 + IMAGE_SEARCH_COST],
    ['an upsert of 256 products', 'Mutation.upsertProducts', { products: new Array(256).fill({}) }, 2, 1 + 256 + 2],
    ['a delete of 1000 ids', 'Mutation.deleteProducts', { ids: new Array(1000).fill('p') }, 1, 1 + 100 + 1],
    ['an evaluation', 'Mutation.evaluate', { input: { set: 'text' } }, 1, 102],
    ['a rule preview', 'Query.previewRule', { rule: { id: 'r' } }, 4, 105],
    ['products by 25 ids', 'Query.products', { ids: new Array(25).fill('p') }, 2, 1 + 3 + 2],
  ])('%s', (_name, field, args, children, expected) => {
    const [type, name] = field.split('.');
    expect(fieldCost(type, name, args, children)).toBe(expected);
  });
});

describe('capErrors', () => {
  const errors = (n: number, code = 'BAD_USER_INPUT') => Array.from({ length: n }, (_, i) => ({ message: `problem ${i}`, extensions: { code } }));

  it.each([0, 1, 20])('keeps %i errors as they are (limit 20)', (n) => {
    expect(capErrors(errors(n), 20)).toEqual(errors(n));
  });

  it('keeps the first errors and summarises the rest in one, with their code and count', () => {
    const capped = capErrors(errors(51), 20);
    expect(capped).toHaveLength(21);
    expect(capped.slice(0, 20)).toEqual(errors(20));
    expect(capped[20]).toEqual({
      message: '31 more errors were left out (51 in all): fix the errors above and send the request again',
      extensions: { code: 'BAD_USER_INPUT', omittedErrors: 31 },
    });
  });
});

describe('GraphQL request limits through Apollo (default limits)', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let searches: jest.SpyInstance;
  beforeEach(async () => {
    api = await createTestApi();
    searches = jest.spyOn(api.store, 'search');
  });
  afterEach(async () => {
    await api.close();
  });

  it('refuses 5,000 aliases of search quickly, with a coded error, before any search runs', async () => {
    const started = Date.now();
    const r = await api.exec(aliases(5000, 'search(input: { text: "red" }) { totalCount }'));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.data).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(r.errors![0].message).toMatch(/contains more tha[nt] 20000 tokens/);
    expect(searches).not.toHaveBeenCalled();
  });

  it('refuses too many fields (aliases counted) within the token limit, naming the limit', async () => {
    const r = await api.exec(aliases(1500, '__typename'));
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]).toMatchObject({
      message: expect.stringMatching(/selects 1500 fields \(aliases and fragment expansions counted\); at most 1000 are allowed: split it/),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'fields', maximum: 1000, actual: 1500 },
    });
  });

  it('refuses a fragment bomb as too many fields', async () => {
    const r = await api.exec(fragmentBomb(30));
    expect(r.errors?.map((e) => e.extensions?.limit)).toContain('fields');
  });

  it('refuses a query deeper than the limit', async () => {
    let inner = 'name';
    for (let i = 0; i < 16; i++) inner = `ofType { ${inner} }`;
    const r = await api.exec(`{ __type(name: "Product") { fields { type { ${inner} } } } }`);
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]).toMatchObject({
      message: expect.stringMatching(/is 20 levels deep; at most 15 are allowed: select fewer nested levels/),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', maximum: 15, actual: 20 },
    });
  });

  it('refuses an operation whose cost is over the limit before it runs; searches cost more than fields', async () => {
    const ok = await api.exec(aliases(50, 'search(input: { text: "red" }) { totalCount }'));
    expect(ok.errors).toBeUndefined();
    expect(searches).toHaveBeenCalled();
    searches.mockClear();
    const r = await api.exec(aliases(90, 'search(input: { text: "red" }) { totalCount }'));
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]).toMatchObject({
      message: expect.stringMatching(/^the operation costs 1080; at most 1000 are allowed .*split it/),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', maximum: 1000, actual: 1080 },
    });
    expect(searches).not.toHaveBeenCalled();
  });

  it('prices image searches from the variables: 20 uploads are over the limit, 20 product images are not', async () => {
    const query = `query($i: SearchInput!) ${aliases(20, 'search(input: $i) { totalCount }')}`;
    const upload = await api.exec(query, { i: { image: { base64: fakeImage('red shirt').toString('base64') } } });
    expect(upload.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', actual: 20 * (2 + IMAGE_SEARCH_COST) });
    const stored = await api.exec(query, { i: { image: { productId: 'p-1' } } });
    expect(stored.errors?.[0]?.extensions?.limit).not.toBe('cost');
  });

  it('skips @skip fields in the cost', async () => {
    const r = await api.exec(`query($s: Boolean!) ${aliases(90, 'search(input: { text: "red" }) @skip(if: $s) { totalCount }')}`, { s: true });
    expect(r.errors).toBeUndefined();
  });

  it('returns at most 20 errors and one summary for 60 missing variables', async () => {
    const defs = Array.from({ length: 60 }, (_, i) => `$v${i}: ID!`).join(', ');
    const fields = Array.from({ length: 60 }, (_, i) => `a${i}: product(id: $v${i}) { id }`).join(' ');
    const r = await api.exec(`query(${defs}) { ${fields} }`);
    // graphql stops coercing after 50 problems (51 errors); the response carries 20 and a summary
    expect(r.errors).toHaveLength(21);
    expect(r.errors![0]).toMatchObject({ message: expect.stringMatching(/\$v0/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(r.errors![20]).toMatchObject({ message: expect.stringMatching(/^31 more errors were left out \(51 in all\)/), extensions: { code: 'BAD_USER_INPUT', omittedErrors: 31 } });
  });

  it('caps validation errors the same way', async () => {
    const defs = Array.from({ length: 60 }, (_, i) => `$v${i}: Int`).join(', ');
    const r = await api.exec(`query(${defs}) { serviceInfo { index } }`);
    expect(r.errors).toHaveLength(21);
    expect(r.errors![20]).toMatchObject({ message: expect.stringMatching(/^40 more errors were left out \(60 in all\)/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED', omittedErrors: 40 } });
  });

  it('answers a filter nested in the query text as deep as the token limit allows with a coded error, not a crash', async () => {
    let filter = '{ inStock: true }';
    for (let i = 0; i < 4900; i++) filter = `{ not: ${filter} }`;
    const r = await api.exec(`{ search(input: { text: "red", filter: ${filter} }) { totalCount } }`);
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(searches).not.toHaveBeenCalled();
  });
});
