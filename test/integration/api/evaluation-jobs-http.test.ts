/**
 * An evaluation job with heavy statistics (3,000 queries, 10,000 bootstrap resamples, 100,000 sign
 * flips) runs in the background of the real HTTP front and Apollo server while /healthz keeps
 * answering within 200 ms: the statistics run on a worker thread. Fake judgement set and variants.
 */
import type { AddressInfo } from 'node:net';
import { requestAccess } from '../../../src/auth/authorizer';
import { createLogger } from '../../../src/config/logger';
import { MemoryEvaluationRunStore } from '../../../src/evaluation/evaluation-run.store';
import { EvaluationService } from '../../../src/evaluation/evaluation.service';
import { workerStatistics } from '../../../src/evaluation/statistics-worker.runner';
import { createApolloServer } from '../../../src/graphql/apollo.server';
import { createContext, type ApiServices } from '../../../src/graphql/context';
import { createHttpServer, listen } from '../../../src/server/http.server';
import { buildSet, buildVariant } from '../../unit/evaluation/fakes';
import type { Application } from '../../../src/main';
import { gql, http } from './api-fixtures';

jest.setTimeout(120_000);

describe('an evaluation job on a worker thread', () => {
  let app: Application;
  let close: () => Promise<void>;
  let evaluation: EvaluationService;

  beforeAll(async () => {
    evaluation = new EvaluationService(
      new MemoryEvaluationRunStore(),
      { setNames: () => ['big'], load: async () => buildSet(3000, 'big') },
      { variantNames: () => ['weak', 'strong'], variants: async (_s, names) => names.map((n, i) => buildVariant(n, n === 'strong' ? 0.9 : 0.3, i + 1)) },
      { defaultMetrics: {}, statistics: workerStatistics },
    );
    // Only evaluation operations run here; the other services are never reached.
    const services = { evaluation } as unknown as ApiServices;
    const analyst = requestAccess({ kind: 'key', name: 'analyst', roles: ['analyst'] }, []);
    const logger = createLogger('silent');
    const apollo = createApolloServer(logger);
    await apollo.start();
    const server = createHttpServer({
      apollo,
      context: (request) => createContext(services, { access: analyst, requestId: request.requestId }),
      readiness: () => ({ ready: true, checks: {} }),
      routes: [],
      maxBodyBytes: 1 << 20,
      logger,
    });
    const address = await listen(server, 0, '127.0.0.1');
    app = { url: `http://127.0.0.1:${(address as AddressInfo).port}`, port: address.port, ready: Promise.resolve(), close: async () => undefined };
    close = async () => {
      await evaluation.close();
      await new Promise((r) => server.close(r));
      await apollo.stop();
    };
  });

  afterAll(() => close?.());

  it('keeps /healthz answering within 200 ms during the statistics, and cancels at once', async () => {
    const started = await gql(app, 'mutation { evaluate(input: { set: "big", bootstrapSamples: 10000, permutationSamples: 100000 }) { id state progress { total } } }');
    expect(started.json.errors).toBeUndefined();
    const { id } = started.json.data.evaluate;
    expect(started.json.data.evaluate.progress.total).toBe(6000);

    const job = async () => (await gql(app, 'query($id: ID!) { evaluationJob(id: $id) { state progress { phase done total } } }', { id })).json.data.evaluationJob;
    let current = await job();
    for (let i = 0; i < 600 && current.progress.phase !== 'STATISTICS'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      current = await job();
    }
    expect(current).toMatchObject({ state: 'RUNNING', progress: { phase: 'STATISTICS' } });

    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      expect((await http(app, 'GET', '/healthz')).status).toBe(200);
      latencies.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Math.max(...latencies)).toBeLessThan(200);
    expect((await job()).state).toBe('RUNNING');

    const t = Date.now();
    const cancelled = await gql(app, 'mutation($id: ID!) { cancelEvaluation(id: $id) { state } }', { id });
    expect(cancelled.json.data.cancelEvaluation.state).toBe('CANCELLED');
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
