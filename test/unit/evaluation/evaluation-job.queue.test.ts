import { InvalidInputError, NotFoundError, OverloadedError } from '../../../src/domain/errors';
import { EvaluationJobQueue, type JobControl } from '../../../src/evaluation/evaluation-job.queue';

/** A job whose work waits until `finish` (or its abort signal), reporting progress on demand. */
function controllable() {
  let control!: JobControl;
  let finish!: (runId: string) => void;
  let fail!: (e: unknown) => void;
  let started = false;
  const work = (c: JobControl) => {
    control = c;
    started = true;
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      fail = reject;
      c.signal.addEventListener('abort', () => reject(c.signal.reason));
    });
  };
  return { work, finish: (id: string) => finish(id), fail: (e: unknown) => fail(e), control: () => control, started: () => started };
}

const tick = () => new Promise((r) => setImmediate(r));
const meta = (id: string, total = 10) => ({ id, set: 'text', total });

describe('EvaluationJobQueue', () => {
  it('runs a job in the background: RUNNING at once when none runs, with progress, then SUCCEEDED with its run', async () => {
    const queue = new EvaluationJobQueue({ clock: () => new Date('2026-01-02T03:04:05Z') });
    const job = controllable();
    const submitted = queue.submit(meta('ev-1'), job.work);
    expect(submitted).toMatchObject({ id: 'ev-1', set: 'text', state: 'RUNNING', progress: { phase: null, done: 0, total: 10 }, createdAt: '2026-01-02T03:04:05.000Z', runId: null });
    await tick();
    expect(job.started()).toBe(true);
    job.control().progress('RANKING', 4, 10);
    expect(queue.get('ev-1')!.progress).toEqual({ phase: 'RANKING', done: 4, total: 10 });
    job.control().progress('STATISTICS', 1, 3);
    expect(queue.get('ev-1')!.progress).toEqual({ phase: 'STATISTICS', done: 1, total: 3 });
    job.finish('ev-1');
    await tick();
    expect(queue.get('ev-1')).toMatchObject({ state: 'SUCCEEDED', runId: 'ev-1', finishedAt: '2026-01-02T03:04:05.000Z', error: null, queuePosition: null });
  });

  it('runs one job at a time, in order, and refuses beyond the queue with OVERLOADED', async () => {
    const queue = new EvaluationJobQueue({ maxQueued: 2 });
    const jobs = [controllable(), controllable(), controllable()];
    queue.submit(meta('ev-a'), jobs[0].work);
    expect(queue.submit(meta('ev-b'), jobs[1].work)).toMatchObject({ state: 'QUEUED', queuePosition: 0 });
    expect(queue.submit(meta('ev-c'), jobs[2].work)).toMatchObject({ state: 'QUEUED', queuePosition: 1 });
    expect(() => queue.submit(meta('ev-d'), controllable().work)).toThrow(OverloadedError);
    expect(() => queue.submit(meta('ev-d'), controllable().work)).toThrow(/queue is full \(1 running, 2 waiting\)/);
    expect(queue.depth).toEqual({ waiting: 2, running: 1 });
    await tick();
    expect([jobs[1].started(), jobs[2].started()]).toEqual([false, false]);
    jobs[0].finish('ev-a');
    await tick();
    await tick();
    expect(queue.get('ev-b')!.state).toBe('RUNNING');
    expect(queue.get('ev-c')!.queuePosition).toBe(0);
    expect(jobs[2].started()).toBe(false);
  });

  it('cancels a waiting job at once and a running one through its signal; a finished job stays as it is', async () => {
    const queue = new EvaluationJobQueue();
    const running = controllable();
    const waiting = controllable();
    queue.submit(meta('ev-r'), running.work);
    queue.submit(meta('ev-w'), waiting.work);
    await tick();
    expect(await queue.cancel('ev-w')).toMatchObject({ state: 'CANCELLED', queuePosition: null });
    expect(running.control().signal.aborted).toBe(false);
    expect(await queue.cancel('ev-r')).toMatchObject({ state: 'CANCELLED' });
    expect(running.control().signal.aborted).toBe(true);
    await tick();
    expect(waiting.started()).toBe(false);
    expect((await queue.cancel('ev-r')).state).toBe('CANCELLED');
    await expect(queue.cancel('ev-none')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports a domain error with its code and anything else as an internal error, told to the listener', async () => {
    const unexpected: unknown[] = [];
    const queue = new EvaluationJobQueue({ onUnexpectedError: (e) => unexpected.push(e) });
    const bad = controllable();
    queue.submit(meta('ev-bad'), bad.work);
    await tick();
    bad.fail(new InvalidInputError('query "q1" has no text'));
    await tick();
    expect(queue.get('ev-bad')).toMatchObject({ state: 'FAILED', error: { message: 'query "q1" has no text', code: 'BAD_USER_INPUT' } });
    const bug = controllable();
    queue.submit(meta('ev-bug'), bug.work);
    await tick();
    bug.fail(new TypeError('x is undefined'));
    await tick();
    expect(queue.get('ev-bug')).toMatchObject({ state: 'FAILED', error: { message: 'internal error', code: 'INTERNAL_SERVER_ERROR' } });
    expect(unexpected).toEqual([new TypeError('x is undefined')]);
  });

  it('fails a job whose work throws synchronously, and goes on with the next', async () => {
    const queue = new EvaluationJobQueue();
    queue.submit(meta('ev-throw'), () => {
      throw new InvalidInputError('bad');
    });
    const next = controllable();
    queue.submit(meta('ev-next'), next.work);
    await tick();
    await tick();
    expect(queue.get('ev-throw')!.state).toBe('FAILED');
    expect(next.started()).toBe(true);
  });

  it('forgets the oldest finished jobs beyond keepFinished', async () => {
    const queue = new EvaluationJobQueue({ keepFinished: 2 });
    for (const id of ['ev-1', 'ev-2', 'ev-3']) {
      queue.submit(meta(id), async () => id);
      await tick();
      await tick();
    }
    expect(queue.get('ev-1')).toBeNull();
    expect(queue.get('ev-2')!.state).toBe('SUCCEEDED');
    expect(queue.get('ev-3')!.state).toBe('SUCCEEDED');
  });

  it('on close cancels every job and refuses new ones', async () => {
    const queue = new EvaluationJobQueue();
    const running = controllable();
    queue.submit(meta('ev-1'), running.work);
    queue.submit(meta('ev-2'), controllable().work);
    await tick();
    await queue.close();
    expect([queue.get('ev-1')!.state, queue.get('ev-2')!.state]).toEqual(['CANCELLED', 'CANCELLED']);
    expect(() => queue.submit(meta('ev-3'), controllable().work)).toThrow(/shutting down/);
  });
});
