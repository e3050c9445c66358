import { rateLimitClient, rateLimitedKind } from '../../../src/graphql/rate-limit.guard';
import { TokenBucketLimiter } from '../../../src/server/token-bucket.limiter';
import { fakeImage } from '../fakes/fake-encoders';
import { createTestApi } from './test-api';

describe('rateLimitedKind', () => {
  it.each<[string, string, Record<string, unknown>, string | null]>([
    ['Query', 'search', { input: { text: 'red' } }, null],
    ['Query', 'search', { input: { image: { productId: 'p1' }, modifier: 'red' } }, null],
    ['Query', 'search', { input: { image: { base64: 'AAAA' } } }, 'imageSearch'],
    ['Query', 'search', { input: { image: { url: 'https://example.com/a.png' } } }, 'imageSearch'],
    ['Query', 'similarProducts', { id: 'p1' }, null],
    ['Mutation', 'upsertProducts', { products: [] }, 'catalogWrite'],
    ['Mutation', 'deleteProducts', { ids: ['p1'] }, 'catalogWrite'],
    ['Mutation', 'evaluate', { input: {} }, 'evaluation'],
    ['Query', 'previewRule', { rule: { id: 'r' } }, 'evaluation'],
    ['Mutation', 'upsertRule', { rule: { id: 'r' } }, null],
    ['Mutation', 'recordSearchEvents', { events: [] }, null],
  ])('%s.%s %j -> %s', (type, field, args, expected) => {
    expect(rateLimitedKind(type, field, args)).toBe(expected);
  });

  it('counts a key by its name and an anonymous caller by its address', () => {
    expect(rateLimitClient({ access: { principal: { kind: 'key', name: 'shop', roles: [] } } as never, clientAddress: '10.0.0.1' })).toBe('key:shop');
    expect(rateLimitClient({ access: { principal: { kind: 'anonymous' } } as never, clientAddress: '10.0.0.1' })).toBe('address:10.0.0.1');
  });
});

describe('rate limits through GraphQL', () => {
  const IMAGE_SEARCH = `query($i: SearchInput!) { search(input: $i) { totalCount } }`;
  const upload = { i: { image: { base64: fakeImage('red shirt').toString('base64') } } };
  let api: Awaited<ReturnType<typeof createTestApi>>;
  beforeEach(async () => {
    api = await createTestApi(30, { services: { rateLimiter: new TokenBucketLimiter({ imageSearch: { perMinute: 6 }, catalogWrite: { perMinute: 6 } }) } });
  });
  afterEach(() => api.close());

  it('refuses a second image search from the same anonymous address with OVERLOADED and when to retry; text searches and other clients go on', async () => {
    const anonymous = (clientAddress: string) => ({ key: null, clientAddress });
    expect((await api.exec(IMAGE_SEARCH, upload, anonymous('10.0.0.1'))).errors).toBeUndefined();
    const refused = await api.exec(IMAGE_SEARCH, upload, anonymous('10.0.0.1'));
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors![0]).toMatchObject({
      message: expect.stringMatching(/^too many image searches .* from this client: at most 6 a minute; retry in 10 s$/),
      extensions: { code: 'OVERLOADED', limit: 'imageSearch', retryAfterSeconds: 10 },
    });
    expect((await api.exec(IMAGE_SEARCH, { i: { text: 'red shirt' } }, anonymous('10.0.0.1'))).errors).toBeUndefined();
    expect((await api.exec(IMAGE_SEARCH, upload, anonymous('10.0.0.2'))).errors).toBeUndefined();
  });

  it('counts catalogue writes per key, after access control (a refused caller spends nothing)', async () => {
    const DELETE = `mutation { deleteProducts(ids: ["p-1"]) { deleted } }`;
    const anonymous = await api.exec(DELETE, {}, { key: null, clientAddress: '10.0.0.9' });
    expect(anonymous.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const catalog = api.keys.create({ roles: ['catalog'], name: 'feed' }).key;
    expect((await api.exec(DELETE, {}, { key: catalog, clientAddress: '10.0.0.9' })).errors).toBeUndefined();
    expect((await api.exec(DELETE, {}, { key: catalog, clientAddress: '10.0.0.10' })).errors![0].extensions).toMatchObject({ code: 'OVERLOADED', limit: 'catalogWrite' });
    // another key is another client
    expect((await api.exec(DELETE, {}, { clientAddress: '10.0.0.9' })).errors).toBeUndefined();
  });
});
