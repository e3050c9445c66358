import { InFlightLimiter } from '../../../src/server/in-flight.limiter';

describe('InFlightLimiter', () => {
  it('admits up to the bound, refuses beyond it, and admits again after a release', () => {
    const limiter = new InFlightLimiter(2);
    const a = limiter.tryAcquire();
    const b = limiter.tryAcquire();
    expect([a, b].every((r) => typeof r === 'function')).toBe(true);
    expect(limiter.tryAcquire()).toBeNull();
    expect(limiter.inFlight).toBe(2);
    expect(limiter.refused).toBe(1);
    a!();
    expect(limiter.inFlight).toBe(1);
    expect(limiter.tryAcquire()).not.toBeNull();
  });

  it('counts a release once, however often it is called', () => {
    const limiter = new InFlightLimiter(1);
    const release = limiter.tryAcquire()!;
    release();
    release();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.tryAcquire()).not.toBeNull();
    expect(limiter.tryAcquire()).toBeNull();
  });

  it.each([0, -1, 1.5, NaN])('refuses a bound of %p', (n) => {
    expect(() => new InFlightLimiter(n)).toThrow(/maxInFlight must be a positive integer/);
  });
});
