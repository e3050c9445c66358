import { once } from '../../../src/encoders/lazy';

describe('once', () => {
  it('shares one load among concurrent first calls', async () => {
    let loads = 0;
    const get = once(async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return { loaded: loads };
    });
    const [a, b, c] = await Promise.all([get(), get(), get()]);
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(await get()).toBe(a);
  });

  it('forgets a failed load so a later call tries again', async () => {
    let calls = 0;
    const get = once(async () => {
      calls++;
      if (calls === 1) throw new Error('not there yet');
      return 'ok';
    });
    await expect(get()).rejects.toThrow('not there yet');
    await expect(get()).resolves.toBe('ok');
    expect(calls).toBe(2);
  });
});
