/**
 * A kill during the HNSW checkpoint never forces a re-index: a writer that checkpoints in a loop is
 * SIGKILLed at random moments (most land inside a checkpoint: writing the graph, fsync, renames);
 * every reopen loads a saved graph and re-indexes only the rows written after it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { seededRandom } from '../../contract/vector-store.contract';
import { checkpointItem, CHECKPOINT_DIMS, CHECKPOINT_PRODUCTS } from './checkpoint-kill.fixture';

jest.setTimeout(180_000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'checkpoint-kill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer, lets it checkpoint `rounds` times, then SIGKILLs it `delayMs` later. */
function runAndKill(rounds: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'checkpoint-kill.child.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let checkpoints = 0;
    let armed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      checkpoints = (out.match(/^checkpoint \d+$/gm) ?? []).length;
      if (!armed && checkpoints >= rounds) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(checkpoints) : reject(new Error(`writer exited with ${code}: ${err}`))));
  });
}

test('every reopen after a kill during checkpoints loads a saved graph instead of rebuilding', async () => {
  const rand = seededRandom(42);
  for (let kill = 0; kill < 6; kill++) {
    const checkpoints = await runAndKill(2, Math.floor(rand() * 40));
    expect(checkpoints).toBeGreaterThanOrEqual(2);
    const store = new EmbeddedStore({ directory: dir, indexOnClose: false });
    await store.open(CHECKPOINT_DIMS);
    try {
      const status = store.indexStatus();
      for (const space of ['image', 'text'] as const) {
        expect(status[space]!.load.kind).toBe('loaded');
        expect(status[space]!.load.pending).toBeLessThan(CHECKPOINT_PRODUCTS / 10);
      }
      expect(await store.count()).toBe(CHECKPOINT_PRODUCTS);
      // The graph answers: a stored vector finds its product.
      const probe = checkpointItem(7, 0).product.id;
      const v = (await store.getVector(probe, 'image'))!;
      expect((await store.search({ dense: [{ space: 'image', vector: v }], limit: 1 }))[0].id).toBe(probe);
    } finally {
      // Closing without indexing the pending rows keeps this check quick; the next writer run starts from here.
      await store.close();
    }
  }
});
