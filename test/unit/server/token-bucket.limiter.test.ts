import { TokenBucketLimiter } from '../../../src/server/token-bucket.limiter';

function limiter(limits: ConstructorParameters<typeof TokenBucketLimiter>[0], maxClients?: number) {
  let now = 1_000_000;
  const l = new TokenBucketLimiter(limits, { now: () => now, maxClients });
  return { l, advance: (ms: number) => (now += ms) };
}

describe('TokenBucketLimiter', () => {
  it('allows a burst of a sixth of the per-minute limit, then one more per 60/N seconds', () => {
    const { l, advance } = limiter({ image: { perMinute: 60 } });
    const burst = Array.from({ length: 12 }, () => l.take('image', 'a').allowed);
    expect(burst).toEqual([...new Array(10).fill(true), false, false]);
    expect(l.take('image', 'a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    advance(999);
    expect(l.take('image', 'a').allowed).toBe(false);
    advance(1);
    expect(l.take('image', 'a').allowed).toBe(true);
    expect(l.take('image', 'a').allowed).toBe(false);
  });

  it.each<[string, { perMinute: number; burst?: number }, number, number]>([
    ['6 a minute: burst 1, next in 10 s', { perMinute: 6 }, 1, 10],
    ['1 a minute: burst 1, next in 60 s', { perMinute: 1 }, 1, 60],
    ['300 a minute: burst 50', { perMinute: 300 }, 50, 1],
    ['an explicit burst', { perMinute: 30, burst: 3 }, 3, 2],
  ])('%s', (_name, limit, burst, retryAfter) => {
    const { l } = limiter({ k: limit });
    for (let i = 0; i < burst; i++) expect(l.take('k', 'c').allowed).toBe(true);
    expect(l.take('k', 'c')).toEqual({ allowed: false, retryAfterSeconds: retryAfter });
  });

  it('keeps clients and kinds apart', () => {
    const { l } = limiter({ a: { perMinute: 6 }, b: { perMinute: 6 } });
    expect(l.take('a', 'x').allowed).toBe(true);
    expect(l.take('a', 'x').allowed).toBe(false);
    expect(l.take('a', 'y').allowed).toBe(true);
    expect(l.take('b', 'x').allowed).toBe(true);
  });

  it('does not limit kinds without a limit, or with 0 a minute', () => {
    const { l } = limiter({ off: { perMinute: 0 } });
    for (let i = 0; i < 1000; i++) expect(l.take('off', 'x').allowed).toBe(true);
    expect(l.take('other' as never, 'x').allowed).toBe(true);
    expect(l.clients).toBe(0);
    expect(l.perMinute('off')).toBeNull();
  });

  it('holds at most maxClients buckets, dropping the least recently used', () => {
    const { l } = limiter({ k: { perMinute: 6 } }, 3);
    for (const c of ['a', 'b', 'c']) l.take('k', c);
    l.take('k', 'a'); // a is now the most recent; b the least
    l.take('k', 'd');
    expect(l.clients).toBe(3);
    expect(l.take('k', 'a').allowed).toBe(false); // kept: still empty
    expect(l.take('k', 'b').allowed).toBe(true); // dropped: a fresh bucket
  });

  it('refills no further than the burst', () => {
    const { l, advance } = limiter({ k: { perMinute: 60 } });
    l.take('k', 'c');
    advance(3_600_000);
    const allowed = Array.from({ length: 11 }, () => l.take('k', 'c').allowed).filter(Boolean).length;
    expect(allowed).toBe(10);
  });
});
