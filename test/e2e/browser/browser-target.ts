/**
 * What the browser tests share: the real server in a child process, API keys made with the keys
 * CLI in its data directory, and Chromium's launch arguments.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const ROOT = path.resolve(__dirname, '../../..');
export const SCREENSHOTS = path.join(ROOT, 'test-output/browser');
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Target {
  url: string;
  close: () => Promise<void>;
  /** A text query with more than one page of results. */
  text: string;
  /** Creates an API key in the server's data directory with `npm run keys -- create`; returns the key. */
  createKey: (role: string, name: string) => Promise<string>;
}

/**
 * The real server (src/main.ts, as `npm start` runs it) in a child process on 127.0.0.1 with a
 * temporary DATA_DIR, serving the first 500 products of the demo catalogue. It runs the trained
 * models in models/ when they are there, else the tiny fixture models (these tests check the pages,
 * not the ranking quality). A child process keeps onnxruntime out of Jest's sandboxed globals.
 */
export async function startTarget(): Promise<Target> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-browser-'));
  const modelsDir = existsSync(path.join(ROOT, 'models/manifest.json')) ? 'models' : 'test/fixtures/tiny-manifest';
  const port = await freePort();
  const output: string[] = [];
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    CATALOG_DIR: path.join(ROOT, 'seed/demo'),
    CATALOG_LIMIT: '500',
    MODELS_DIR: path.join(ROOT, modelsDir),
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const close = async () => {
    if (running) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const createKey = async (role: string, name: string): Promise<string> => {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/keys.ts'), 'create', '--role', role, '--name', name], {
      cwd: ROOT,
      env,
    });
    const key = stdout.trim();
    if (!key) throw new Error('npm run keys -- create printed no key');
    return key;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (!running) break;
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return { url, close, text: 'red dress', createKey };
    await new Promise((r) => setTimeout(r, 250));
  }
  await close();
  throw new Error(`the server did not become ready:\n${output.join('').slice(-3000)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
