import { OverloadedError } from '../../../src/domain/errors';
import { MicroBatcher } from '../../../src/encoders/micro-batcher';

/** A fake model run that records each batch and doubles numbers; negative numbers fail the batch. */
function fakeRun() {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push([...items]);
    await new Promise((r) => setImmediate(r));
    if (items.some((n) => n < 0)) throw new Error(`negative input ${items.find((n) => n < 0)}`);
    return items.map((n) => n * 2);
  };
  return { batches, run };
}

describe('MicroBatcher', () => {
  it('gathers concurrent calls into one run and resolves each caller with its own results in order', async () => {
    const { batches, run } = fakeRun();
    const batcher = new MicroBatcher(run, { maxBatchSize: 64, maxDelayMs: 5 });
    const results = await Promise.all([batcher.submit([1, 2]), batcher.submit([3]), batcher.submit([4, 5, 6])]);
    expect(results).toEqual([[2, 4], [6], [8, 10, 12]]);
    expect(batches).toEqual([[1, 2, 3, 4, 5, 6]]);
  });

  it('runs a lone call at the end of the current turn, without waiting out the delay, when no run is in flight', async () => {
    const { batches, run } = fakeRun();
    const batcher = new MicroBatcher(run, { maxBatchSize: 64, maxDelayMs: 60_000 });
    const started = Date.now();
    expect(await batcher.submit([7])).toEqual([14]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(batches).toEqual([[7]]);
  });

  it('splits work into runs of at most maxBatchSize items', async () => {
    const { batches, run } = fakeRun();
    const batcher = new MicroBatcher(run, { maxBatchSize: 4, maxDelayMs: 5 });
    const input = Array.from({ length: 10 }, (_, i) => i);
    const [all, one] = await Promise.all([batcher.submit(input), batcher.submit([100])]);
    expect(all).toEqual(input.map((n) => n * 2));
    expect(one).toEqual([200]);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 3]);
    expect(batches.flat()).toEqual([...input, 100]);
  });

  it('runs calls made while a run is in flight as the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await gate;
        return items.map((n) => n + 1);
      },
      { maxBatchSize: 64, maxDelayMs: 0, maxConcurrent: 1 },
    );
    const first = batcher.submit([1]);
    while (batches.length === 0) await new Promise((r) => setTimeout(r, 1));
    const later = [batcher.submit([2]), batcher.submit([3])];
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([[1]]);
    expect(batcher.pending).toBe(2);
    release();
    expect(await first).toEqual([2]);
    expect(await Promise.all(later)).toEqual([[3], [4]]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('delivers an error only to the caller whose input causes it', async () => {
    const { batches, run } = fakeRun();
    const batcher = new MicroBatcher(run, { maxBatchSize: 64, maxDelayMs: 5 });
    const settled = await Promise.allSettled([batcher.submit([1]), batcher.submit([2, -7]), batcher.submit([3])]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: [2] });
    expect(settled[1].status).toBe('rejected');
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('negative input -7');
    expect(settled[2]).toEqual({ status: 'fulfilled', value: [6] });
    expect(batches[0]).toEqual([1, 2, -7, 3]);
  });

  it('rejects every caller when the model itself fails', async () => {
    const batcher = new MicroBatcher<number, number>(async () => {
      throw new Error('model unavailable');
    });
    const settled = await Promise.allSettled([batcher.submit([1]), batcher.submit([2])]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason.message).toBe('model unavailable');
  });

  it('rejects when the run returns the wrong number of results', async () => {
    const batcher = new MicroBatcher<number, number>(async (items) => items.slice(1));
    await expect(batcher.submit([1, 2])).rejects.toThrow('batch run returned 1 results for 2 items');
  });

  it('keeps working after a failed run', async () => {
    const { run } = fakeRun();
    const batcher = new MicroBatcher(run, { maxDelayMs: 0 });
    await expect(batcher.submit([-1])).rejects.toThrow('negative input -1');
    await expect(batcher.submit([21])).resolves.toEqual([42]);
    expect(batcher.pending).toBe(0);
  });

  it('rejects input that is not an array', async () => {
    const { run } = fakeRun();
    await expect(new MicroBatcher(run).submit('12' as unknown as number[])).rejects.toThrow('submit expects an array of items');
  });

  it('answers an empty call without a run', async () => {
    const { batches, run } = fakeRun();
    await expect(new MicroBatcher(run).submit([])).resolves.toEqual([]);
    expect(batches).toEqual([]);
  });

  describe('bounded queue', () => {
    /** A batcher whose first run waits for `release`, so later calls stay queued. */
    function gated(maxQueuedItems: number) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let runs = 0;
      const batcher = new MicroBatcher<number, number>(
        async (items) => {
          if (runs++ === 0) await gate;
          return items.map((n) => n + 1);
        },
        { maxBatchSize: 4, maxDelayMs: 0, maxQueuedItems },
      );
      return { batcher, release, runs: () => runs };
    }

    it('refuses a call that would queue beyond maxQueuedItems with OVERLOADED, and admits calls again once the queue drains', async () => {
      const { batcher, release, runs } = gated(6);
      const first = batcher.submit([1]);
      while (runs() === 0) await new Promise((r) => setTimeout(r, 1));
      const queued = [batcher.submit([2, 3, 4]), batcher.submit([5, 6])];
      expect(batcher.pending).toBe(5);
      const refused = batcher.submit([7, 8]);
      await expect(refused).rejects.toBeInstanceOf(OverloadedError);
      await expect(refused).rejects.toMatchObject({ code: 'OVERLOADED', message: expect.stringMatching(/5 items waiting, at most 6.*retry/) });
      // one more item still fits
      const fits = batcher.submit([9]);
      expect(batcher.pending).toBe(6);
      release();
      expect(await first).toEqual([2]);
      expect(await Promise.all(queued)).toEqual([[3, 4, 5], [6, 7]]);
      expect(await fits).toEqual([10]);
      expect(batcher.pending).toBe(0);
      await expect(batcher.submit([7, 8])).resolves.toEqual([8, 9]);
    });

    it('always admits one call into an empty queue, however large', async () => {
      const { batcher, release } = gated(2);
      release();
      await expect(batcher.submit([1, 2, 3, 4, 5])).resolves.toEqual([2, 3, 4, 5, 6]);
    });
  });

  it.each([
    [{ maxQueuedItems: 0 }, 'maxQueuedItems must be a positive integer'],
    [{ maxBatchSize: 0 }, 'maxBatchSize must be a positive integer'],
    [{ maxBatchSize: 2.5 }, 'maxBatchSize must be a positive integer'],
    [{ maxDelayMs: -1 }, 'maxDelayMs must be a non-negative number'],
    [{ maxConcurrent: 0 }, 'maxConcurrent must be a positive integer'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new MicroBatcher(async (x: number[]) => x, options)).toThrow(message);
  });
});
