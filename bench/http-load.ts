/**
 * What the HTTP benchmarks share: starting the real server (src/main.ts) on a loopback port and
 * waiting for /readyz, posting GraphQL over keep-alive connections, a bounded request loop at a
 * given concurrency (latency percentiles and throughput), and the resident memory of the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, summariseLatencies, type LatencySummary } from './support';

export const ROOT = path.resolve(__dirname, '..');

// ---- the server -------------------------------------------------------------------------------

export interface ServerStart {
  /** Environment of the server on top of this process's (DATA_DIR, CATALOG_DIR, ...); HOST and PORT are set here. */
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Told every line the server writes (stdout and stderr), e.g. to follow ingest progress. */
  onLine?: (line: string) => void;
  /** Options of node before the script, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
}

export interface RunningServer {
  port: number;
  pid: number;
  /** Seconds from spawn to the first /readyz 200. */
  readySeconds: number;
  /** The last lines the server wrote. */
  log(): string;
  stop(): Promise<void>;
}

export function getStatus(port: number, pathname: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Spawns `node --import tsx src/main.ts` on 127.0.0.1 and resolves once /readyz answers 200. */
export async function startServer(start: ServerStart): Promise<RunningServer> {
  const port = await freePort();
  const log: string[] = [];
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...(start.nodeArgs ?? []), '--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...start.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let partial = '';
  const keep = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      log.push(line);
      if (log.length > 400) log.shift();
      start.onLine?.(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  const tail = () => [...log, partial].join('\n').slice(-4000);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    });

  const deadline = t0 + start.readyTimeoutMs;
  while (performance.now() < deadline) {
    if (exited !== null) throw new Error(`the server exited with code ${exited}:\n${tail()}`);
    if ((await getStatus(port, '/readyz')) === 200) {
      return { port, pid: child.pid ?? -1, readySeconds: Math.round((performance.now() - t0) / 100) / 10, log: tail, stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`the server was not ready within ${start.readyTimeoutMs / 1000} s:\n${tail()}`);
}

/** VmRSS and VmHWM (peak) of a process in MB, from /proc/<pid>/status; null where /proc is not there. */
export function residentMemoryMb(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

// ---- GraphQL over HTTP ------------------------------------------------------------------------

/** `headers` go on top of the JSON content headers (e.g. `Authorization: Bearer <key>` for the operations that need a role). */
export function post(agent: http.Agent, port: number, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts one GraphQL request body and returns `data`; throws on a non-JSON answer or any GraphQL error. */
export async function graphqlOnce(agent: http.Agent, port: number, body: string, headers?: Record<string, string>): Promise<any> {
  const { status, text } = await post(agent, port, body, headers);
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
  }
  if (parsed.errors?.length) {
    throw new Error(`HTTP ${status}: ${parsed.errors.map((e: any) => `${e.extensions?.code ?? 'ERROR'} ${e.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** One query on a fresh connection (set-up reads such as serviceInfo). */
export async function graphqlQuery(port: number, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<any> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await graphqlOnce(agent, port, JSON.stringify({ query, variables }), headers);
  } finally {
    agent.destroy();
  }
}

/** The part of the `serviceInfo` query the reports record. */
export interface ServiceInfo {
  index: string;
  store: string;
  productCount: number;
  models: { name: string; version: string; role: string }[];
}

export interface IngestStatus {
  state: string;
  catalogHash: string | null;
  processed: number;
  total: number;
  reused: boolean;
}

export async function serviceAndIngest(port: number): Promise<{ service: ServiceInfo; ingest: IngestStatus }> {
  const data = await graphqlQuery(
    port,
    '{ serviceInfo { index store productCount models { name version role } } ingestStatus { state catalogHash processed total reused } }',
  );
  return { service: data.serviceInfo as ServiceInfo, ingest: data.ingestStatus as IngestStatus };
}

// ---- load -------------------------------------------------------------------------------------

export interface LoadResult extends LatencySummary {
  concurrency: number;
  errors: number;
  firstError: string | null;
}

/**
 * Sends GraphQL bodies (`body(i)` for i = 0, 1, ...) from `concurrency` workers over keep-alive
 * connections, `requests` of them, or until `requests.until()` turns true; latency of each
 * successful request, throughput over the whole run.
 */
export async function runLoad(port: number, concurrency: number, requests: number | { until: () => boolean }, body: (i: number) => string): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const done = typeof requests === 'number' ? (i: number) => i >= requests : () => requests.until();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (done(i)) return;
      const payload = body(i);
      const started = performance.now();
      try {
        await graphqlOnce(agent, port, payload);
        latencies.push(performance.now() - started);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { concurrency, errors, firstError, ...summariseLatencies(latencies, seconds) };
}
