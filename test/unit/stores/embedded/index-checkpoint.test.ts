/**
 * The HNSW checkpoint of the embedded store: every state a kill during a checkpoint can leave loads
 * a graph without a full re-index, a damaged current graph falls back to the previous one, and a
 * store written with the single-file layout still loads.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../../../../src/stores/embedded/embedded.store';
import type { StoredProduct } from '../../../../src/stores/vector-store';
import { aProduct, randomVector, seededRandom } from '../../../contract/vector-store.contract';

const DIMS = { image: 12, text: 6 };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'index-checkpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function items(from: number, n: number): StoredProduct[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const rand = seededRandom(1000 + i);
    return { product: aProduct(`p${String(i).padStart(5, '0')}`), vectors: { image: randomVector(rand, DIMS.image), text: randomVector(rand, DIMS.text) } };
  });
}

interface Meta {
  format: number;
  current: { file: string; seq: number; generation: number };
  previous: { file: string; seq: number } | null;
}
const meta = (space = 'image'): Meta => JSON.parse(readFileSync(join(dir, `${space}.hnsw.json`), 'utf8')) as Meta;

async function open(): Promise<EmbeddedStore> {
  const store = new EmbeddedStore({ directory: dir, exactBudget: 0 });
  await store.open(DIMS);
  return store;
}

/** Two checkpoints: 100 products, then 30 more. */
async function twoCheckpoints(): Promise<void> {
  const store = await open();
  await store.upsert(items(0, 100));
  await store.flushIndex();
  await store.upsert(items(100, 30));
  await store.flushIndex();
  await store.close();
}

async function expectFindsEveryProduct(store: EmbeddedStore, n: number): Promise<void> {
  for (const it of items(0, n).filter((_, i) => i % 9 === 0)) {
    const [hit] = await store.search({ dense: [{ space: 'image', vector: it.vectors.image! }], limit: 1 });
    expect(hit.id).toBe(it.product.id);
  }
}

describe('HNSW checkpoints', () => {
  test('keep the current and the previous graph file, and nothing else', async () => {
    await twoCheckpoints();
    const m = meta();
    expect(m.format).toBe(2);
    expect(m.previous).not.toBeNull();
    expect(m.previous!.seq).toBeLessThan(m.current.seq);
    const files = readdirSync(dir).filter((f) => f.startsWith('image.'));
    expect(files.sort()).toEqual([m.current.file, m.previous!.file, 'image.hnsw.json'].sort());
  });

  test('a torn temporary file from a kill while writing the graph or the checkpoint is ignored', async () => {
    await twoCheckpoints();
    const m = meta();
    const next = `image.${m.current.generation + 1}.hnsw.tmp`;
    writeFileSync(join(dir, next), readFileSync(join(dir, m.current.file)).subarray(0, 100));
    writeFileSync(join(dir, 'image.hnsw.json.tmp'), '{"format":2,"curr');
    const store = await open();
    expect(store.indexStatus().image!.load).toEqual({ kind: 'loaded', checkpointSeq: m.current.seq, pending: 0, graph: 'current' });
    await expectFindsEveryProduct(store, 130);
    await store.upsert(items(130, 1));
    await store.flushIndex();
    await store.close();
    // The next checkpoint cleans the leftovers up.
    expect(existsSync(join(dir, next))).toBe(false);
    expect(existsSync(join(dir, 'image.hnsw.json.tmp'))).toBe(false);
  });

  test('a kill after the new graph is in place but before the checkpoint names it loads the older graph and catches up', async () => {
    const store = await open();
    await store.upsert(items(0, 100));
    await store.flushIndex();
    const before = readFileSync(join(dir, 'image.hnsw.json'));
    const seqBefore = meta().current.seq;
    await store.upsert(items(100, 30));
    await store.flushIndex();
    await store.close();
    // The state between the graph's rename and the checkpoint's: the old checkpoint, both graph files.
    writeFileSync(join(dir, 'image.hnsw.json'), before);
    const reopened = await open();
    expect(reopened.indexStatus().image!.load).toEqual({ kind: 'loaded', checkpointSeq: seqBefore, pending: 30, graph: 'current' });
    await expectFindsEveryProduct(reopened, 130);
    await reopened.close();
  });

  test('a damaged current graph falls back to the previous one instead of a full re-index', async () => {
    await twoCheckpoints();
    const m = meta();
    const file = join(dir, m.current.file);
    writeFileSync(file, readFileSync(file).subarray(0, 64));
    const store = await open();
    expect(store.indexStatus().image!.load).toEqual({ kind: 'loaded', checkpointSeq: m.previous!.seq, pending: 30, graph: 'previous' });
    expect(store.indexStatus().text!.load).toMatchObject({ kind: 'loaded', graph: 'current', pending: 0 });
    await expectFindsEveryProduct(store, 130);
    await store.close();
    // The close saved a sound graph again.
    const again = await open();
    expect(again.indexStatus().image!.load).toMatchObject({ kind: 'loaded', graph: 'current', pending: 0 });
    await again.close();
  });

  test('only when neither graph is usable is the graph rebuilt from the database', async () => {
    await twoCheckpoints();
    const m = meta();
    for (const f of [m.current.file, m.previous!.file]) writeFileSync(join(dir, f), 'torn');
    const store = await open();
    expect(store.indexStatus().image!.load).toMatchObject({ kind: 'rebuild', reason: expect.stringMatching(/does not match/), pending: 130 });
    await store.flushIndex();
    await expectFindsEveryProduct(store, 130);
    await store.close();
  });

  test('an unreadable checkpoint means a rebuild, with the reason', async () => {
    await twoCheckpoints();
    writeFileSync(join(dir, 'image.hnsw.json'), '{"format":2,');
    const store = await open();
    expect(store.indexStatus().image!.load).toMatchObject({ kind: 'rebuild', reason: 'unreadable checkpoint' });
    await store.close();
  });

  test('a store written with the single-file layout (checkpoint format 1) still loads', async () => {
    const store = await open();
    await store.upsert(items(0, 50));
    await store.close();
    const m = JSON.parse(readFileSync(join(dir, 'image.hnsw.json'), 'utf8')) as { current: { file: string; seq: number; bytes: number; sha256: string } };
    renameSync(join(dir, m.current.file), join(dir, 'image.hnsw'));
    writeFileSync(
      join(dir, 'image.hnsw.json'),
      JSON.stringify({ format: 1, space: 'image', dim: DIMS.image, seq: m.current.seq, bytes: m.current.bytes, sha256: m.current.sha256, m: 16, efConstruction: 100 }),
    );
    const legacy = await open();
    expect(legacy.indexStatus().image!.load).toEqual({ kind: 'loaded', checkpointSeq: m.current.seq, pending: 0, graph: 'current' });
    await expectFindsEveryProduct(legacy, 50);
    await legacy.upsert(items(50, 1));
    await legacy.close();
    // The next checkpoint moves it to numbered files and keeps the old file as the fallback.
    expect(meta().previous!.file).toBe('image.hnsw');
  });
});
