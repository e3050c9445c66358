/**
 * The Prometheus metrics: valid text exposition with the documented series, the /metrics route and
 * its optional key, the GraphQL plugin's per-operation counts, and the encoder and store observers.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import { createLogger } from '../../../src/config/logger';
import { batchTextEncoder } from '../../../src/encoders/batched.encoder';
import type { GraphQLContext } from '../../../src/graphql/context';
import { searchModeLabel } from '../../../src/graphql/metrics.plugin';
import { Metrics } from '../../../src/observability/metrics';
import { createHttpServer, listen } from '../../../src/server/http.server';
import { createMetricsRoute } from '../../../src/server/metrics.routes';
import { timedStore } from '../../../src/stores/timed.store';
import { createTestApi } from '../graphql/test-api';
import { FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

/** Parses the text exposition, failing on any line that is not a comment or a sample. */
function parseExposition(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|NaN))$/i.exec(line);
    if (!m) throw new Error(`not a valid exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function sample(parsed: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}) {
  return parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('Metrics exposition', () => {
  it('exposes every documented series in valid Prometheus text format', async () => {
    const metrics = new Metrics();
    metrics.requestFinished({ route: '/graphql', method: 'POST', status: 200, seconds: 0.03 });
    metrics.requestFinished({ route: '/graphql', method: 'POST', status: 200, seconds: 0.2 });
    metrics.requestFinished({ route: 'other', method: 'BREW', status: 404, seconds: 0.001 });
    metrics.rootFieldResolved({ operation: 'search', mode: 'image', outcome: 'OK', seconds: 0.04 });
    metrics.rootFieldResolved({ operation: 'upsertProducts', mode: '', outcome: 'UNAUTHENTICATED', seconds: 0.001 });
    metrics.errorsSent(['UNAUTHENTICATED', 'BAD_USER_INPUT', 'BAD_USER_INPUT']);
    metrics.batchRun('text', { size: 12, seconds: 0.008, ok: true });
    metrics.batchRun('image', { size: 3, seconds: 0.05, ok: false });
    metrics.storeCall('search', { seconds: 0.004, ok: true });
    let depth = 7;
    metrics.watchQueue('encoder_text', () => depth);
    metrics.watchIngest(() => ({ state: 'RUNNING', processed: 40, total: 100 }));
    metrics.describeModels('fashion-space@1.2.0', [{ role: 'text', name: 'fashion-text', version: '3.1.0' }]);

    const text = await metrics.exposition();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const parsed = parseExposition(text);
    expect(Object.fromEntries(parsed.types)).toMatchObject({
      http_requests_total: 'counter',
      http_request_duration_seconds: 'histogram',
      graphql_operations_total: 'counter',
      graphql_operation_duration_seconds: 'histogram',
      graphql_errors_total: 'counter',
      encoder_batch_size: 'histogram',
      encoder_batch_duration_seconds: 'histogram',
      encoder_batch_failures_total: 'counter',
      store_operation_duration_seconds: 'histogram',
      queue_depth: 'gauge',
      ingest_products_processed: 'gauge',
      ingest_products_total: 'gauge',
      ingest_complete: 'gauge',
      model_info: 'gauge',
      index_info: 'gauge',
    });
    expect(sample(parsed, 'http_requests_total', { route: '/graphql', method: 'POST', status: '200' })).toBe(2);
    expect(sample(parsed, 'http_requests_total', { route: 'other', method: 'OTHER', status: '404' })).toBe(1);
    expect(sample(parsed, 'http_request_duration_seconds_bucket', { route: '/graphql', le: '0.05' })).toBe(1);
    expect(sample(parsed, 'http_request_duration_seconds_bucket', { route: '/graphql', le: '+Inf' })).toBe(2);
    expect(sample(parsed, 'http_request_duration_seconds_count', { route: '/graphql' })).toBe(2);
    expect(sample(parsed, 'graphql_operations_total', { operation: 'search', mode: 'image', outcome: 'OK' })).toBe(1);
    expect(sample(parsed, 'graphql_operations_total', { operation: 'upsertProducts', outcome: 'UNAUTHENTICATED' })).toBe(1);
    expect(sample(parsed, 'graphql_operation_duration_seconds_count', { operation: 'search', mode: 'image' })).toBe(1);
    expect(sample(parsed, 'graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBe(2);
    expect(sample(parsed, 'encoder_batch_size_bucket', { encoder: 'text', le: '16' })).toBe(1);
    expect(sample(parsed, 'encoder_batch_size_bucket', { encoder: 'text', le: '8' })).toBe(0);
    expect(sample(parsed, 'encoder_batch_size_sum', { encoder: 'text' })).toBe(12);
    expect(sample(parsed, 'encoder_batch_failures_total', { encoder: 'image' })).toBe(1);
    expect(sample(parsed, 'store_operation_duration_seconds_count', { operation: 'search' })).toBe(1);
    expect(sample(parsed, 'queue_depth', { queue: 'encoder_text' })).toBe(7);
    expect(sample(parsed, 'ingest_products_processed')).toBe(40);
    expect(sample(parsed, 'ingest_products_total')).toBe(100);
    expect(sample(parsed, 'ingest_complete')).toBe(0);
    expect(sample(parsed, 'model_info', { role: 'text', name: 'fashion-text', version: '3.1.0' })).toBe(1);
    expect(sample(parsed, 'index_info', { index: 'fashion-space@1.2.0' })).toBe(1);

    // gauges are read at each scrape
    depth = 0;
    expect(sample(parseExposition(await metrics.exposition()), 'queue_depth', { queue: 'encoder_text' })).toBe(0);
  });

  it('adds the process metrics when asked (resident memory for the soak)', async () => {
    const parsed = parseExposition(await new Metrics({ processMetrics: true }).exposition());
    expect(sample(parsed, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(parsed.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });
});

describe('GET /metrics', () => {
  let server: ReturnType<typeof createHttpServer>;
  let base: string;
  let decision: 'ALLOWED' | 'UNAUTHENTICATED' | 'FORBIDDEN' = 'ALLOWED';
  const metrics = new Metrics();
  beforeAll(async () => {
    server = createHttpServer({
      apollo: {} as ApolloServer<GraphQLContext>,
      context: () => ({}) as GraphQLContext,
      readiness: () => ({ ready: true, checks: {} }),
      routes: [createMetricsRoute({ metrics, authorize: () => decision })],
      maxBodyBytes: 1024,
      logger: createLogger('silent'),
      observer: metrics,
    });
    base = `http://127.0.0.1:${((await listen(server, 0, '127.0.0.1')) as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const call = (method: string) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${base}/metrics`, { method }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves the exposition, counting its own scrapes', async () => {
    decision = 'ALLOWED';
    await call('GET');
    await new Promise((r) => setTimeout(r, 10));
    const r = await call('GET');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(parseExposition(r.body), 'http_requests_total', { route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses without detail when a key is required and missing or wrong, 403 for a key without the role', async () => {
    decision = 'UNAUTHENTICATED';
    const denied = await call('GET');
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer');
    expect(denied.body).not.toMatch(/http_requests_total/);
    decision = 'FORBIDDEN';
    expect((await call('GET')).status).toBe(403);
    decision = 'ALLOWED';
    expect((await call('POST')).status).toBe(405);
  });
});

describe('GraphQL metrics plugin', () => {
  it('reports each root field by name, search mode and outcome, and each error code sent', async () => {
    const resolved: { operation: string; mode: string; outcome: string; seconds: number }[] = [];
    const sent: string[] = [];
    const api = await createTestApi(12, { observer: { rootFieldResolved: (r) => resolved.push(r), errorsSent: (codes) => sent.push(...codes) } });
    try {
      await api.exec(`{ search(input: { text: "red shirt", first: 2 }) { totalCount } }`, {}, { key: null });
      await api.exec(`{ search(input: { image: { productId: "p-0001" }, first: 2 }) { totalCount } }`, {}, { key: null });
      await api.exec(`{ search(input: { image: { productId: "no-such" }, modifier: "in red" }) { totalCount } }`, {}, { key: null });
      await api.exec(`mutation { deleteProducts(ids: ["p-0001"]) { deleted } }`, {}, { key: null });
      await api.exec(`{ product(id: "p-0002") { id } }`);
      await api.exec(`{ nope }`);
      expect(resolved.map(({ operation, mode, outcome }) => [operation, mode, outcome])).toEqual([
        ['search', 'text', 'OK'],
        ['search', 'image', 'OK'],
        ['search', 'composed', 'NOT_FOUND'],
        ['deleteProducts', '', 'UNAUTHENTICATED'],
        ['product', '', 'OK'],
      ]);
      expect(resolved.every((r) => r.seconds >= 0 && r.seconds < 5)).toBe(true);
      expect(sent).toEqual(['NOT_FOUND', 'UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED']);
    } finally {
      await api.close();
    }
  });

  it('labels modes from the result, or from the input when the search failed', () => {
    const table: [string, Record<string, unknown>, unknown, string][] = [
      ['search', { input: { text: 'x' } }, { mode: 'TEXT' }, 'text'],
      ['search', { input: { image: { url: 'u' }, modifier: 'm' } }, { mode: 'COMPOSED' }, 'composed'],
      ['search', { input: { image: { url: 'u' }, modifier: 'm' } }, undefined, 'composed'],
      ['search', { input: { image: { url: 'u' }, text: 't' } }, undefined, 'text_and_image'],
      ['search', { input: { image: { url: 'u' } } }, undefined, 'image'],
      ['search', { input: { text: 'x' } }, undefined, 'text'],
      ['search', { input: { text: 'x' } }, { mode: 'INVENTED' }, 'text'],
      ['similarProducts', { id: 'p' }, undefined, 'similar'],
      ['similarProducts', { id: 'p' }, { mode: 'SIMILAR' }, 'similar'],
      ['product', { id: 'p' }, { id: 'p' }, ''],
    ];
    for (const [field, args, result, expected] of table) expect(searchModeLabel(field, args, result)).toBe(expected);
  });
});

describe('observed encoders and stores', () => {
  it('reports each micro-batched model run with its size and exposes the queue depth', async () => {
    const runs: { encoder: string; size: number; ok: boolean }[] = [];
    const queues = new Map<string, () => number>();
    const encoder = batchTextEncoder(new FakeTextEncoder(), {
      maxBatchSize: 8,
      maxDelayMs: 5,
      observer: { batchRun: (encoder, r) => runs.push({ encoder, size: r.size, ok: r.ok }), watchQueue: (q, d) => queues.set(q, d) },
    });
    const pending = [encoder.encode(['a', 'b']), encoder.encode(['c'])];
    expect(queues.get('encoder_text')!()).toBe(3);
    await Promise.all(pending);
    expect(runs).toEqual([{ encoder: 'text', size: 3, ok: true }]);
    expect(queues.get('encoder_text')!()).toBe(0);
  });

  it('times store calls, passes other members through and reports failures', async () => {
    const calls: { operation: string; ok: boolean }[] = [];
    const inner = new MemoryStore();
    const store = timedStore(inner, { storeCall: (operation, r) => calls.push({ operation, ok: r.ok }) });
    expect(store).toBeInstanceOf(MemoryStore);
    await store.count();
    await store.info();
    jest.spyOn(inner, 'facets').mockRejectedValueOnce(new Error('disk gone'));
    await expect(store.facets(['color'])).rejects.toThrow('disk gone');
    expect(calls).toEqual([
      { operation: 'count', ok: true },
      { operation: 'facets', ok: false },
    ]);
  });
});
