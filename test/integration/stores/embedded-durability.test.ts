import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { cosine } from '../../contract/vector-store.contract';
import { durableItem, DURABLE_DIMS } from './durable-ingest.fixture';

jest.setTimeout(120_000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'embedded-durability-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged at least `minAcks` products, then SIGKILLs it. */
function ingestAndKill(minAcks: number, batchSize: number): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'durable-ingest.child.ts'), dir, String(batchSize)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<string, string>();
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const [word, id, version] = line.split(' ');
        if (word === 'ack') acked.set(id, version);
      }
      if (!killed && acked.size >= minAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

test('a SIGKILLed writer loses no acknowledged product, and the store reopens sound', async () => {
  const batchSize = 25;
  const first = await ingestAndKill(400, batchSize);
  // A second writer run on the same directory, killed again, exercises recovery of a recovered store.
  const second = await ingestAndKill(300, batchSize);
  const acked = new Map([...first, ...second]);
  expect(acked.size).toBeGreaterThanOrEqual(400);

  const store = new EmbeddedStore({ directory: dir });
  await store.open(DURABLE_DIMS);
  try {
    expect(store.integrityCheck()).toBe('ok');
    const ids = [...acked.keys()];
    const products = await store.getProducts(ids);
    const missing = ids.filter((_, i) => products[i] === null);
    expect(missing).toEqual([]);

    for (const [id, version] of acked) {
      const n = Number(id.slice(1));
      const stored = (await store.getProducts([id]))[0]!;
      // A write after the last acknowledgement may have committed before the kill, so an acked v1 may read as v2.
      const latest = stored.title;
      expect(version === 'v2' ? latest === 'v2' : latest === 'v1' || latest === 'v2').toBe(true);
      const expected = durableItem(n, latest);
      const image = await store.getVector(id, 'image');
      const text = await store.getVector(id, 'text');
      expect(cosine(image!, expected.vectors.image!)).toBeCloseTo(1, 5);
      expect(cosine(text!, expected.vectors.text!)).toBeCloseTo(1, 5);
    }

    // Batches are atomic: every stored product belongs to a complete batch (no torn batch).
    const total = await store.count();
    expect(total % batchSize).toBe(0);

    // Acknowledged products are searchable by vector and by text.
    const sample = ids.filter((_, i) => i % 37 === 0);
    for (const id of sample) {
      const v = (await store.getVector(id, 'image'))!;
      const [hit] = await store.search({ dense: [{ space: 'image', vector: v }], limit: 1 });
      expect(hit.id).toBe(id);
      const [lexical] = await store.search({ dense: [], lexical: { text: `DP-${Number(id.slice(1))}` }, limit: 1 });
      expect(lexical.id).toBe(id);
    }
  } finally {
    await store.close();
  }
});
