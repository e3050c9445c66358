/**
 * `npm run migrate -- --to qdrant [--from-dir DATA_DIR] [--batch N]`
 *
 * Copies an embedded store into Qdrant through the store port only (scroll with vectors from the
 * source, upsert into the target), with a progress bar on stderr. After each batch a checkpoint file
 * next to the source records the position reached, so an interrupted run (Ctrl-C, crash, Qdrant
 * outage) resumes where it stopped. At the end the product counts of both stores are compared and a
 * mismatch exits non-zero.
 *
 * Environment (read here only): QDRANT_URL (required), QDRANT_API_KEY, QDRANT_COLLECTION
 * (default "products"), QDRANT_QUANTIZATION (none | scalar | binary, for a new collection) and
 * DATA_DIR (the default source directory).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../domain/errors';
import { currentEmbeddedDirectory } from '../gallery/gallery-locations';
import { EmbeddedStore } from '../stores/embedded/embedded.store';
import { quantization } from '../stores/qdrant/qdrant-options';
import { createQdrantStore } from '../stores/qdrant/qdrant.store';
import type { VectorStore } from '../stores/vector-store';

export const USAGE = 'usage: npm run migrate -- --to qdrant [--from-dir DATA_DIR] [--batch N]';
export const DEFAULT_BATCH = 256;
const MAX_BATCH = 10_000;

export interface MigrateArgs {
  to: 'qdrant';
  fromDir?: string;
  batch: number;
  help: boolean;
}

/** Parses the command line; throws InvalidInputError naming the bad argument. */
export function parseMigrateArgs(argv: string[]): MigrateArgs {
  const out: MigrateArgs = { to: 'qdrant', batch: DEFAULT_BATCH, help: false };
  let to: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = (): string => {
      if (value !== undefined) return value;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new InvalidInputError(`${arg} needs a value\n${USAGE}`);
      i++;
      return next;
    };
    switch (arg) {
      case '--to':
        to = take();
        break;
      case '--from-dir':
        out.fromDir = take();
        break;
      case '--batch': {
        const raw = take();
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < 1 || n > MAX_BATCH) throw new InvalidInputError(`--batch must be an integer from 1 to ${MAX_BATCH} (got ${raw})`);
        out.batch = n;
        break;
      }
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        throw new InvalidInputError(`unexpected argument "${argv[i]}"\n${USAGE}`);
    }
  }
  if (!out.help) {
    if (to === undefined) throw new InvalidInputError(`--to is required\n${USAGE}`);
    if (to !== 'qdrant') throw new InvalidInputError(`--to ${to} is not supported; the only target is qdrant\n${USAGE}`);
  }
  return out;
}

export interface Checkpoint {
  /** Where the products go, so that a checkpoint is never applied to another target. */
  target: string;
  /** Scroll position after the last migrated batch (null: the source is exhausted). */
  next: string | null;
  /** Id of the last migrated product. */
  lastId: string | null;
  migrated: number;
}

export function checkpointPath(sourceDir: string, collection: string): string {
  return path.join(sourceDir, `migrate-qdrant-${collection}.checkpoint.json`);
}

export function readCheckpoint(file: string, target: string): Checkpoint | null {
  if (!existsSync(file)) return null;
  let parsed: Partial<Checkpoint>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new InvalidInputError(`checkpoint ${file} is not valid JSON; delete it to start the migration over`);
  }
  if (parsed.target !== target) return null;
  if (typeof parsed.migrated !== 'number' || (parsed.next !== null && typeof parsed.next !== 'string')) {
    throw new InvalidInputError(`checkpoint ${file} is damaged; delete it to start the migration over`);
  }
  return { target, next: parsed.next, lastId: parsed.lastId ?? null, migrated: parsed.migrated };
}

/** Written to a temporary file and renamed, so a crash never leaves half a checkpoint. */
export function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(tmp, file);
}

/** A one-line progress bar; redrawn in place on a terminal, one line per tenth otherwise. */
export function progressBar(write: (text: string) => void, isTTY: boolean, width = 30): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * width);
    const line = `migrate [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} (${Math.floor(fraction * 100)}%)`;
    if (isTTY) {
      write(`\r${line}${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth !== lastTenth || done >= total) {
      lastTenth = tenth;
      write(`${line}\n`);
    }
  };
}

export class MigrationInterrupted extends Error {
  constructor(readonly migrated: number) {
    super(`migration interrupted after ${migrated} product(s); run the same command again to resume`);
    this.name = 'MigrationInterrupted';
  }
}

export class CountMismatch extends Error {
  constructor(
    readonly source: number,
    readonly target: number,
  ) {
    super(
      `count mismatch: the source holds ${source} product(s), the target ${target}. ` +
        (target > source ? 'The target held other products before; migrate into an empty collection.' : 'Run the migration again.'),
    );
    this.name = 'CountMismatch';
  }
}

export interface MigrationOptions {
  batch: number;
  checkpointFile: string;
  /** Identifies the target (e.g. URL and collection) in the checkpoint. */
  target: string;
  progress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface MigrationReport {
  total: number;
  migrated: number;
  resumedFrom: number;
  sourceCount: number;
  targetCount: number;
}

/**
 * Copies every product of `source` into `target` (both open), resuming from the checkpoint file when
 * it belongs to the same target; removes the checkpoint once the counts agree.
 */
export async function migrateStore(source: VectorStore, target: VectorStore, options: MigrationOptions): Promise<MigrationReport> {
  const total = await source.count();
  const checkpoint = readCheckpoint(options.checkpointFile, options.target);
  const resumedFrom = checkpoint?.migrated ?? 0;
  let migrated = resumedFrom;
  let after = checkpoint ? checkpoint.next : null;
  let lastId = checkpoint?.lastId ?? null;
  let finished = checkpoint !== null && checkpoint.next === null;
  options.progress?.(migrated, total);
  while (!finished) {
    if (options.signal?.aborted) throw new MigrationInterrupted(migrated);
    const page = await source.scroll({ after, limit: options.batch, withVectors: true });
    if (page.items.length > 0) {
      await target.upsert(page.items);
      migrated += page.items.length;
      lastId = page.items[page.items.length - 1].product.id;
    }
    after = page.next;
    finished = after === null;
    writeCheckpoint(options.checkpointFile, { target: options.target, next: after, lastId, migrated });
    options.progress?.(migrated, total);
  }
  const sourceCount = await source.count();
  const targetCount = await target.count();
  if (sourceCount !== targetCount) throw new CountMismatch(sourceCount, targetCount);
  // The vectors keep the models that embedded them: so does their record.
  const record = await source.spaceRecord();
  if (record) await target.recordSpace(record);
  rmSync(options.checkpointFile, { force: true });
  return { total, migrated, resumedFrom, sourceCount, targetCount };
}

export interface MigrateSettings {
  fromDir: string;
  batch: number;
  qdrant: { url: string; apiKey?: string; collection: string; quantization: 'none' | 'scalar' | 'binary' };
}

export interface MigrateIo {
  stderr: (text: string) => void;
  isTTY: boolean;
  signal?: AbortSignal;
}

/** Opens both stores, migrates, closes them; resolves to the process exit code. */
export async function runMigration(settings: MigrateSettings, io: MigrateIo): Promise<number> {
  if (!existsSync(settings.fromDir)) {
    io.stderr(`no embedded store at ${settings.fromDir}; pass --from-dir or set DATA_DIR\n`);
    return 2;
  }
  const source = new EmbeddedStore({ directory: currentEmbeddedDirectory(settings.fromDir) });
  let target: VectorStore | undefined;
  let sourceOpen = false;
  try {
    target = createQdrantStore(
      { url: settings.qdrant.url, apiKey: settings.qdrant.apiKey },
      { collection: settings.qdrant.collection, quantization: quantization(settings.qdrant.quantization) },
    );
    await source.open({});
    sourceOpen = true;
    const { dimensions } = await source.info();
    await target.open(dimensions);
    const report = await migrateStore(source, target, {
      batch: settings.batch,
      checkpointFile: checkpointPath(settings.fromDir, settings.qdrant.collection),
      target: `${settings.qdrant.url.replace(/\/+$/, '')}/collections/${settings.qdrant.collection}`,
      progress: progressBar(io.stderr, io.isTTY),
      signal: io.signal,
    });
    const resumed = report.resumedFrom > 0 ? ` (resumed after ${report.resumedFrom})` : '';
    io.stderr(`migrated ${report.migrated} product(s)${resumed} into ${settings.qdrant.collection}; counts match (${report.targetCount})\n`);
    return 0;
  } catch (error) {
    if (error instanceof MigrationInterrupted) {
      io.stderr(`\n${error.message}\n`);
      return 130;
    }
    io.stderr(`\nmigration failed: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  } finally {
    if (sourceOpen) await source.close();
    await target?.close();
  }
}

/** Settings from the command line and the environment; throws InvalidInputError on a bad value. */
export function migrateSettings(args: MigrateArgs, env: Record<string, string | undefined>): MigrateSettings {
  const url = env.QDRANT_URL?.trim();
  if (!url) throw new InvalidInputError('QDRANT_URL is not set; e.g. QDRANT_URL=http://localhost:6333 npm run migrate -- --to qdrant');
  const q = env.QDRANT_QUANTIZATION?.trim() || 'none';
  if (q !== 'none' && q !== 'scalar' && q !== 'binary') throw new InvalidInputError(`QDRANT_QUANTIZATION must be none, scalar or binary (got ${q})`);
  return {
    fromDir: args.fromDir ?? (env.DATA_DIR?.trim() || 'data/store'),
    batch: args.batch,
    qdrant: { url, apiKey: env.QDRANT_API_KEY?.trim() || undefined, collection: env.QDRANT_COLLECTION?.trim() || 'products', quantization: q },
  };
}

async function main(): Promise<number> {
  let settings: MigrateSettings;
  try {
    const args = parseMigrateArgs(process.argv.slice(2));
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    settings = migrateSettings(args, process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runMigration(settings, { stderr: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true, signal: controller.signal });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
