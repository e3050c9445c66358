/** evaluate, evaluationJob and cancelEvaluation through GraphQL, with a fake judgement set and variants. */
import { MemoryEvaluationRunStore } from '../../../src/evaluation/evaluation-run.store';
import { EvaluationService } from '../../../src/evaluation/evaluation.service';
import { buildSet, buildVariant } from '../evaluation/fakes';
import { createTestApi } from './test-api';

const JOB = `id set state createdAt startedAt finishedAt queuePosition progress { phase done total } error { message code } run { id set queryCount variants { name } }`;

function service(options: Partial<ConstructorParameters<typeof EvaluationService>[3]> = {}) {
  return new EvaluationService(
    new MemoryEvaluationRunStore(),
    { setNames: () => ['fake'], load: async () => buildSet(12) },
    { variantNames: () => ['weak', 'strong'], variants: async (_s, names) => names.map((n, i) => buildVariant(n, n === 'strong' ? 0.9 : 0.3, i + 1)) },
    { defaultMetrics: { fake: ['mrr', 'ndcg@10'] }, ...options },
  );
}

describe('evaluation jobs through GraphQL', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  afterEach(() => api.close());

  async function waitForState(id: string, states: string[], phase?: string) {
    for (let i = 0; i < 400; i++) {
      const r = await api.exec(`query($id: ID!) { evaluationJob(id: $id) { ${JOB} } }`, { id });
      const job = r.data!.evaluationJob;
      if (states.includes(job.state) && (!phase || job.progress.phase === phase)) return job;
      await new Promise((res) => setTimeout(res, 5));
    }
    throw new Error(`job ${id} never reached ${states}`);
  }

  it('evaluate answers at once with a job; evaluationJob reports it finished with its run, readable as evaluationRun', async () => {
    api = await createTestApi(10, { services: { evaluation: service() } });
    const r = await api.exec(`mutation { evaluate(input: { set: "fake", bootstrapSamples: 50, permutationSamples: 50 }) { ${JOB} } }`);
    expect(r.errors).toBeUndefined();
    const job = r.data!.evaluate;
    expect(job).toMatchObject({ set: 'fake', progress: { done: 0, total: 24 }, error: null, run: null });
    expect(job.id).toMatch(/^ev-/);
    const done = await waitForState(job.id, ['SUCCEEDED']);
    expect(done).toMatchObject({ progress: { phase: null, done: 24, total: 24 }, run: { id: job.id, set: 'fake', queryCount: 12, variants: [{ name: 'weak' }, { name: 'strong' }] } });
    expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    const run = await api.exec(`query($id: ID!) { evaluationRun(id: $id) { id } evaluationRuns { totalCount } }`, { id: job.id });
    expect(run.data).toEqual({ evaluationRun: { id: job.id }, evaluationRuns: { totalCount: 1 } });
  });

  it('cancelEvaluation cancels a running job; an unknown id is NOT_FOUND, a malformed one BAD_USER_INPUT', async () => {
    api = await createTestApi(10, { services: { evaluation: service({ statistics: (_t, o) => new Promise((_r, reject) => o?.signal?.addEventListener('abort', () => reject(o.signal!.reason))) }) } });
    const { id } = (await api.exec(`mutation { evaluate(input: { set: "fake" }) { id } }`)).data!.evaluate;
    const running = await waitForState(id, ['RUNNING'], 'STATISTICS');
    expect(running.progress.total).toBeGreaterThan(0);
    const cancelled = await api.exec(`mutation($id: ID!) { cancelEvaluation(id: $id) { ${JOB} } }`, { id });
    expect(cancelled.data!.cancelEvaluation).toMatchObject({ id, state: 'CANCELLED', run: null, error: null });
    const unknown = await api.exec(`mutation { cancelEvaluation(id: "ev-20260101T000000Z-abcdef") { id } }`);
    expect(unknown.errors![0].extensions!.code).toBe('NOT_FOUND');
    const malformed = await api.exec(`{ evaluationJob(id: "../x") { id } }`);
    expect(malformed.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect((await api.exec(`{ evaluationJob(id: "ev-20260101T000000Z-abcdef") { id } }`)).data).toEqual({ evaluationJob: null });
  });

  it('refuses bad input and requests over the caps at once with BAD_USER_INPUT, a full queue with OVERLOADED', async () => {
    api = await createTestApi(10, { services: { evaluation: service({ maxQueuedJobs: 0, statistics: () => new Promise(() => undefined) }) } });
    for (const input of ['{ set: "nope" }', '{ set: "fake", bootstrapSamples: 1000000 }', '{ set: "fake", permutationSamples: 1000000 }', '{ set: "fake", metrics: ["ndcg"] }']) {
      const r = await api.exec(`mutation { evaluate(input: ${input}) { id } }`);
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await api.exec(`mutation { evaluate(input: { set: "fake" }) { id } }`)).errors).toBeUndefined();
    const full = await api.exec(`mutation { evaluate(input: { set: "fake" }) { id } }`);
    expect(full.errors![0]).toMatchObject({ message: expect.stringMatching(/evaluation queue is full/), extensions: { code: 'OVERLOADED' } });
  });

  it('needs the analyst role', async () => {
    api = await createTestApi(10, { services: { evaluation: service() } });
    expect((await api.exec(`mutation { evaluate(input: { set: "fake" }) { id } }`, {}, { key: null })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect((await api.exec(`{ evaluationJob(id: "ev-20260101T000000Z-abcdef") { id } }`, {}, { key: null })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect((await api.exec(`mutation { cancelEvaluation(id: "ev-20260101T000000Z-abcdef") { id } }`, {}, { key: null })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });
});
