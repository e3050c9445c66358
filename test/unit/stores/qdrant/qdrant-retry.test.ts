import { QdrantClientTimeoutError } from '@qdrant/js-client-rest';
import { DomainError, UnavailableError } from '../../../../src/domain/errors';
import { backoffDelay, isTransient, toStoreError, withRetry } from '../../../../src/stores/qdrant/qdrant-retry';

const apiError = (status: number, error = 'boom') => Object.assign(new Error('status'), { status, data: { status: { error } } });
const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('retries', () => {
  it.each([
    ['HTTP 500', apiError(500), true],
    ['HTTP 503', apiError(503), true],
    ['a client timeout', new QdrantClientTimeoutError('timed out'), true],
    ['a refused connection', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), true],
    ['a reset connection', Object.assign(new Error('socket'), { code: 'ECONNRESET' }), true],
    ['HTTP 400', apiError(400), false],
    ['HTTP 404', apiError(404), false],
    ['HTTP 429', apiError(429), false],
    ['a programming error', new RangeError('bad'), false],
  ])('treats %s as transient: %s', (_name, error, transient) => {
    expect(isTransient(error)).toBe(transient);
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(1, policy, () => 0.5)).toBe(100);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(3, policy, () => 0)).toBe(320);
    expect(backoffDelay(10, policy, () => 1)).toBe(1200);
  });

  it('retries transient failures until one succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      'upsert',
      async () => {
        calls++;
        if (calls < 3) throw apiError(502);
        return 'ok';
      },
      policy,
      async (ms) => {
        delays.push(ms);
      },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0] * 1.3);
  });

  it('gives up after the last attempt with an unavailable error', async () => {
    let calls = 0;
    const failing = withRetry('search', async () => {
      calls++;
      throw apiError(503, 'overloaded');
    }, policy, async () => undefined);
    await expect(failing).rejects.toThrow(UnavailableError);
    await expect(failing).rejects.toThrow(/Qdrant is unavailable for search after 4 attempt\(s\) \(HTTP 503: overloaded\)/);
    expect(calls).toBe(4);
  });

  it('does not retry a 4xx answer', async () => {
    let calls = 0;
    const failing = withRetry('count products', async () => {
      calls++;
      throw apiError(400, 'Wrong input: bad filter');
    }, policy, async () => undefined);
    await expect(failing).rejects.toThrow(/Qdrant rejected count products \(HTTP 400\): Wrong input: bad filter/);
    expect(calls).toBe(1);
  });

  it('maps refused credentials to a message about the API key', () => {
    const error = toStoreError('search', apiError(401), 1);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(/QDRANT_API_KEY/);
    const rejected = toStoreError('search', apiError(422), 1);
    expect(rejected).toBeInstanceOf(DomainError);
    expect(rejected.code).toBe('INTERNAL');
  });
});
