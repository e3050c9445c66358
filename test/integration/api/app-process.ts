/** Runs app.child.ts as a separate server process and talks to it over HTTP (shutdown and kill -9 tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface AppProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stderr (its JSON log lines). */
  stderr(): string;
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the server process and resolves once it has ingested the catalogue and listens. */
export function startAppProcess(dataDir: string, catalogDir: string, shutdownTimeoutMs = 10_000): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'app.child.ts'), dataDir, catalogDir, String(shutdownTimeoutMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // As in production: Apollo installs its own signal handlers unless NODE_ENV is "test" (Jest's value).
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      stdout += c;
      const m = /^ready (\S+)$/m.exec(stdout);
      if (m) resolve({ child, url: m[1], stderr: () => stderr, exited });
    });
    child.on('error', reject);
    void exited.then(({ code, signal }) => reject(new Error(`server process ended before it was ready (code ${code}, signal ${signal}): ${stderr}`)));
  });
}

/** POSTs a GraphQL request with fetch; the JSON answer, or the error of a dropped connection. */
export async function post(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, json: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}
