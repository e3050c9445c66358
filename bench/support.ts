/**
 * What the benchmark scripts share: a free loopback port for the server they start, a small seeded
 * random generator so that two runs send the same sequence of requests or build the same data,
 * percentiles and latency summaries, JSON-lines reading and markdown tables.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { seededRandom } from '../src/domain/seeded-random';

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Mulberry32 (src/domain/seeded-random.ts). */
export { seededRandom };

/** Nearest-rank percentile (p in 0..100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export interface LatencySummary {
  /** Requests that succeeded (latencies given). */
  requests: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  throughputRps: number;
}

/** p50, p95 and mean of latencies in ms (rounded to 0.01), and throughput over `seconds` of wall time. */
export function summariseLatencies(latenciesMs: number[], seconds: number): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    meanMs: round(sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length)),
    throughputRps: round(seconds > 0 ? sorted.length / seconds : NaN),
  };
}

/** The objects of a JSON-lines file, blank lines skipped. */
export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** A markdown table: `align` holds 'l' or 'r' per column. */
export function markdownTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/**
 * Readers of command-line values that add to `problems` instead of throwing, so that a script can
 * name every bad argument at once.
 */
export function argumentReaders(problems: string[]) {
  return {
    /** An integer from min to max; min (and a problem) otherwise. */
    int(name: string, value: string | undefined, min: number, max: number): number {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < min || n > max) {
        problems.push(`${name} expects an integer from ${min} to ${max}, got ${value ?? 'nothing'}`);
        return min;
      }
      return n;
    },
    /** A non-empty comma-separated list of allowed names; null (and a problem) otherwise. */
    list<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T[] | null {
      const names = (value ?? '').split(',').filter(Boolean);
      if (names.length === 0 || names.some((n) => !(allowed as readonly string[]).includes(n))) {
        problems.push(`${name} expects a list of ${allowed.join(', ')}, got ${value ?? 'nothing'}`);
        return null;
      }
      return names as T[];
    },
  };
}

/** The command that ran this script, as `npm run <script> -- <arguments>`. */
export function benchCommand(script: string): string {
  return [`npm run ${script}`, ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
}

/** Writes bench/results/<name>.json (and <name>.md with the markdown, which is also printed). */
export function writeResults(name: string, report: unknown, markdown?: string): void {
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  if (markdown === undefined) return;
  writeFileSync(path.join(dir, `${name}.md`), `${markdown}\n`);
  console.log(markdown);
}
