/**
 * `npm run migrate`: an embedded store copied into a fake Qdrant server on 127.0.0.1 that validates
 * every request against Qdrant's OpenAPI 1.19 specification and keeps points in memory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkpointPath,
  migrateSettings,
  parseMigrateArgs,
  progressBar,
  runMigration,
  type MigrateSettings,
} from '../../../src/cli/migrate';
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { productPointId } from '../../../src/stores/qdrant/point-id';
import { createQdrantStore } from '../../../src/stores/qdrant/qdrant.store';
import { FakeQdrant, serveFake } from '../stores/qdrant/support/fake-qdrant';
import { aStored } from '../stores/qdrant/support/products';

const DIMS = { image: 4, text: 3 };
const COLLECTION = 'migrated';
const PRODUCTS = Array.from({ length: 23 }, (_, i) => aStored(`m-${String(i).padStart(2, '0')}`, i, { price: i, attributes: { color: [i % 2 ? 'red' : 'blue'] } }));

let dir: string;
let fake: FakeQdrant;
let server: { url: string; close: () => Promise<void> };

async function seedSource(): Promise<void> {
  const store = new EmbeddedStore({ directory: dir });
  await store.open(DIMS);
  await store.upsert(PRODUCTS);
  await store.close();
}

function settings(batch = 5): MigrateSettings {
  return { fromDir: dir, batch, qdrant: { url: server.url, collection: COLLECTION, quantization: 'binary' } };
}

function capture(onText?: (text: string) => void) {
  const out: string[] = [];
  return {
    out,
    io: {
      isTTY: false,
      stderr: (text: string) => {
        out.push(text);
        onText?.(text);
      },
    },
  };
}

const upserted = () => fake.requests.filter((r) => r.operationId === 'upsert_points').flatMap((r) => r.body.points.map((p: { payload: { product_id: string } }) => p.payload.product_id));

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'migrate-test-'));
  fake = new FakeQdrant();
  server = await serveFake(fake);
  await seedSource();
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  expect(fake.violations).toEqual([]);
});

describe('migrate', () => {
  it('copies every product with its vectors, shows progress and verifies the counts', async () => {
    const { out, io } = capture();
    expect(await runMigration(settings(), io)).toBe(0);
    const collection = fake.collection(COLLECTION)!;
    expect(collection.points.size).toBe(PRODUCTS.length);
    expect(collection.config.quantization_config).toEqual({ binary: { always_ram: true } });
    expect(collection.config.vectors).toEqual({ image: { size: 4, distance: 'Cosine' }, text: { size: 3, distance: 'Cosine' } });
    const point = collection.points.get(productPointId('m-07'))!;
    expect(point.payload).toMatchObject({ product_id: 'm-07', price: 7, attributes: { color: ['red'] } });
    expect(point.vector.image).toHaveLength(4);
    expect(point.vector.lexical.indices.length).toBeGreaterThan(0);
    expect(fake.requests.filter((r) => r.operationId === 'upsert_points').map((r) => r.body.points.length)).toEqual([5, 5, 5, 5, 3]);
    expect(out.join('')).toContain('migrate [##############################] 23/23 (100%)');
    expect(out.join('')).toContain('migrated 23 product(s) into migrated; counts match (23)');
    expect(existsSync(checkpointPath(dir, COLLECTION))).toBe(false);
  });

  it('resumes after an interruption without copying the same batches again', async () => {
    const controller = new AbortController();
    const first = capture((text) => {
      if (text.includes(' 10/23 ')) controller.abort();
    });
    expect(await runMigration(settings(), { ...first.io, signal: controller.signal })).toBe(130);
    expect(first.out.join('')).toContain('migration interrupted after 10 product(s); run the same command again to resume');
    const checkpoint = JSON.parse(readFileSync(checkpointPath(dir, COLLECTION), 'utf8'));
    expect(checkpoint).toMatchObject({ migrated: 10, lastId: upserted()[9] });
    expect(fake.collection(COLLECTION)!.points.size).toBe(10);

    const before = upserted().length;
    const second = capture();
    expect(await runMigration(settings(), second.io)).toBe(0);
    const resumed = upserted().slice(before);
    expect(resumed).toHaveLength(13);
    expect(new Set([...upserted()]).size).toBe(23);
    expect(second.out.join('')).toContain('migrated 23 product(s) (resumed after 10) into migrated; counts match (23)');
    expect(existsSync(checkpointPath(dir, COLLECTION))).toBe(false);
  });

  it('keeps its place when Qdrant rejects a batch, and finishes on the next run', async () => {
    let upserts = 0;
    fake.on('upsert_points', (request, f) => {
      upserts++;
      if (upserts === 3) return { status: 400, error: 'Wrong input: payload too large' };
      return f.standard('upsert_points')(request, f);
    });
    const first = capture();
    expect(await runMigration(settings(), first.io)).toBe(1);
    expect(first.out.join('')).toMatch(/migration failed: Qdrant rejected upsert products \(HTTP 400\): Wrong input: payload too large/);
    expect(JSON.parse(readFileSync(checkpointPath(dir, COLLECTION), 'utf8')).migrated).toBe(10);
    expect(fake.collection(COLLECTION)!.points.size).toBe(10);

    const second = capture();
    expect(await runMigration(settings(), second.io)).toBe(0);
    expect(second.out.join('')).toContain('migrated 23 product(s) (resumed after 10) into migrated; counts match (23)');
    expect(upserts).toBe(3 + 3);
  });

  it('exits non-zero when the counts differ at the end', async () => {
    const other = createQdrantStore({ url: server.url }, { collection: COLLECTION });
    await other.open(DIMS);
    await other.upsert([aStored('stranger', 1)]);
    const { out, io } = capture();
    expect(await runMigration(settings(), io)).toBe(1);
    expect(out.join('')).toContain('count mismatch: the source holds 23 product(s), the target 24');
  });

  it('says where the source is missing', async () => {
    const { out, io } = capture();
    expect(await runMigration({ ...settings(), fromDir: path.join(dir, 'nope') }, io)).toBe(2);
    expect(out.join('')).toMatch(/no embedded store at .*nope/);
  });
});

describe('migrate arguments and settings', () => {
  it.each([
    [['--to', 'qdrant'], { to: 'qdrant', batch: 256, help: false }],
    [['--to=qdrant', '--from-dir', 'data/x', '--batch', '50'], { to: 'qdrant', fromDir: 'data/x', batch: 50, help: false }],
    [['--help'], { to: 'qdrant', batch: 256, help: true }],
  ])('parses %j', (argv, expected) => {
    expect(parseMigrateArgs(argv)).toEqual(expected);
  });

  it.each([
    [[], /--to is required/],
    [['--to', 'embedded'], /only target is qdrant/],
    [['--to', 'qdrant', '--batch', '0'], /--batch must be an integer from 1 to 10000/],
    [['--to', 'qdrant', '--batch', 'many'], /--batch must be an integer/],
    [['--to', 'qdrant', '--from-dir'], /--from-dir needs a value/],
    [['--to', 'qdrant', '--fast'], /unexpected argument "--fast"/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseMigrateArgs(argv)).toThrow(message);
  });

  it('reads the Qdrant connection from the environment it is given', () => {
    const args = parseMigrateArgs(['--to', 'qdrant']);
    expect(migrateSettings(args, { QDRANT_URL: 'http://q:6333', QDRANT_API_KEY: 'k', QDRANT_COLLECTION: 'shop', DATA_DIR: 'data/s' })).toEqual({
      fromDir: 'data/s',
      batch: 256,
      qdrant: { url: 'http://q:6333', apiKey: 'k', collection: 'shop', quantization: 'none' },
    });
    expect(() => migrateSettings(args, {})).toThrow(/QDRANT_URL is not set/);
    expect(() => migrateSettings(args, { QDRANT_URL: 'http://q', QDRANT_QUANTIZATION: 'pq' })).toThrow(/QDRANT_QUANTIZATION must be none, scalar or binary/);
  });

  it('draws a progress bar in place on a terminal and by tenths otherwise', () => {
    const tty: string[] = [];
    const bar = progressBar((t) => tty.push(t), true, 10);
    bar(0, 4);
    bar(2, 4);
    bar(4, 4);
    expect(tty).toEqual(['\rmigrate [----------] 0/4 (0%)', '\rmigrate [#####-----] 2/4 (50%)', '\rmigrate [##########] 4/4 (100%)\n']);
    const lines: string[] = [];
    const plain = progressBar((t) => lines.push(t), false, 10);
    for (let i = 0; i <= 100; i++) plain(i, 100);
    expect(lines).toHaveLength(11);
  });
});
