/**
 * The server's Prometheus metrics (prom-client, the de-facto Prometheus client for Node: text
 * exposition format, histograms, collect-time gauges and the standard process metrics), kept in a
 * registry of their own. This class implements the observer interfaces that the HTTP server, the
 * GraphQL plugin, the batched encoders and the timed store declare, so none of those modules
 * depends on prom-client; main.ts hands it to each.
 *
 * Label values are bounded: routes come from a fixed list, operations are schema root fields,
 * modes and error codes are fixed sets, queues and encoders are named by the code.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS_S = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export interface IngestProgress {
  state: string;
  processed: number;
  total: number;
}

export interface MetricsOptions {
  /** Also collect Node's process metrics (memory, CPU, event-loop delay, GC): on in the server. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'route'>;
  private readonly operations: Counter<'operation' | 'mode' | 'outcome'>;
  private readonly operationDuration: Histogram<'operation' | 'mode'>;
  private readonly errors: Counter<'code'>;
  private readonly batchSize: Histogram<'encoder'>;
  private readonly batchDuration: Histogram<'encoder'>;
  private readonly batchFailures: Counter<'encoder'>;
  private readonly storeDuration: Histogram<'operation'>;
  private readonly storeFailures: Counter<'operation'>;
  private readonly queues = new Map<string, () => number>();
  private ingest: (() => IngestProgress) | null = null;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.httpDuration = new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request, by route', labelNames: ['route'], buckets: LATENCY_BUCKETS_S, registers });
    this.operations = new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL root fields resolved, by field (operation), search mode and outcome (OK or the error code)',
      labelNames: ['operation', 'mode', 'outcome'],
      registers,
    });
    this.operationDuration = new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'Time to resolve a GraphQL root field, by field (operation) and search mode',
      labelNames: ['operation', 'mode'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.errors = new Counter({ name: 'graphql_errors_total', help: 'Errors in GraphQL responses, by extensions.code', labelNames: ['code'], registers });
    this.batchSize = new Histogram({ name: 'encoder_batch_size', help: 'Inputs per encoder model run, by encoder', labelNames: ['encoder'], buckets: BATCH_SIZE_BUCKETS, registers });
    this.batchDuration = new Histogram({ name: 'encoder_batch_duration_seconds', help: 'Time of one encoder model run, by encoder', labelNames: ['encoder'], buckets: LATENCY_BUCKETS_S, registers });
    this.batchFailures = new Counter({ name: 'encoder_batch_failures_total', help: 'Encoder model runs that failed, by encoder', labelNames: ['encoder'], registers });
    this.storeDuration = new Histogram({ name: 'store_operation_duration_seconds', help: 'Time of a vector store call, by operation', labelNames: ['operation'], buckets: LATENCY_BUCKETS_S, registers });
    this.storeFailures = new Counter({ name: 'store_operation_failures_total', help: 'Vector store calls that failed, by operation', labelNames: ['operation'], registers });
    const queues = this.queues;
    new Gauge({
      name: 'queue_depth',
      help: 'Items waiting in a bounded queue, by queue',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const [queue, read] of queues) this.set({ queue }, read());
      },
    });
    const ingest = () => this.ingest?.() ?? null;
    new Gauge({
      name: 'ingest_products_processed',
      help: 'Catalogue products processed by the current or last ingest',
      registers,
      collect() {
        const p = ingest();
        if (p) this.set(p.processed);
      },
    });
    new Gauge({
      name: 'ingest_products_total',
      help: 'Catalogue products the current or last ingest covers',
      registers,
      collect() {
        const p = ingest();
        if (p) this.set(p.total);
      },
    });
    new Gauge({
      name: 'ingest_complete',
      help: '1 when the catalogue ingest has completed, else 0',
      registers,
      collect() {
        const p = ingest();
        if (p) this.set(p.state === 'COMPLETE' ? 1 : 0);
      },
    });
  }

  /** Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // --- HttpObserver
  requestFinished(r: { route: string; method: string; status: number; seconds: number }): void {
    this.httpRequests.inc({ route: r.route, method: boundedMethod(r.method), status: String(r.status) });
    this.httpDuration.observe({ route: r.route }, r.seconds);
  }

  // --- GraphQLObserver
  rootFieldResolved(r: { operation: string; mode: string; outcome: string; seconds: number }): void {
    this.operations.inc({ operation: r.operation, mode: r.mode, outcome: r.outcome });
    this.operationDuration.observe({ operation: r.operation, mode: r.mode }, r.seconds);
  }

  errorsSent(codes: readonly string[]): void {
    for (const code of codes) this.errors.inc({ code });
  }

  // --- EncoderObserver
  batchRun(encoder: string, r: { size: number; seconds: number; ok: boolean }): void {
    this.batchSize.observe({ encoder }, r.size);
    this.batchDuration.observe({ encoder }, r.seconds);
    if (!r.ok) this.batchFailures.inc({ encoder });
  }

  /** Reports a queue's depth at each scrape (encoders' micro-batchers, ingest fetches, ...). */
  watchQueue(queue: string, depth: () => number): void {
    this.queues.set(queue, depth);
  }

  // --- StoreObserver
  storeCall(operation: string, r: { seconds: number; ok: boolean }): void {
    this.storeDuration.observe({ operation }, r.seconds);
    if (!r.ok) this.storeFailures.inc({ operation });
  }

  /** Reports ingest progress at each scrape. */
  watchIngest(progress: () => IngestProgress): void {
    this.ingest = progress;
  }

  /**
   * Constant series naming the loaded models and index (value 1), for dashboards and alerts. Called
   * again after a model reload, it replaces the series: only the models serving now are listed.
   */
  describeModels(index: string, models: readonly { role: string; name: string; version: string }[]): void {
    const registers = [this.registry];
    this.modelInfo ??= new Gauge({ name: 'model_info', help: 'Loaded models (value 1), by role, name and version', labelNames: ['role', 'name', 'version'], registers });
    this.indexInfo ??= new Gauge({ name: 'index_info', help: 'The vector index the server serves (value 1)', labelNames: ['index'], registers });
    this.modelInfo.reset();
    this.indexInfo.reset();
    for (const m of models) this.modelInfo.set({ role: m.role, name: m.name, version: m.version }, 1);
    this.indexInfo.set({ index }, 1);
  }
  private modelInfo: Gauge<'role' | 'name' | 'version'> | null = null;
  private indexInfo: Gauge<'index'> | null = null;
}

const METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);

function boundedMethod(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}
