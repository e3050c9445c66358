/**
 * Where evaluation runs are kept. The file store writes one JSON file per run under a folder
 * (data/evaluations by default); the memory store serves tests and one-off runs.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '../domain/errors';
import { summarize, type EvaluationRun, type EvaluationRunSummary } from './evaluation-run';

export interface EvaluationRunStore {
  save(run: EvaluationRun): Promise<void>;
  /** The run, or null when unknown. */
  get(id: string): Promise<EvaluationRun | null>;
  /** Summaries, newest first. */
  list(page: { limit: number; offset: number }): Promise<{ items: EvaluationRunSummary[]; total: number }>;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function assertRunId(id: string): void {
  if (!RUN_ID.test(id) || id.includes('..')) {
    throw new InvalidInputError(`"${id}" is not an evaluation run id: letters, digits, '.', '_' and '-' only`, { id });
  }
}

function newestFirst(a: EvaluationRunSummary, b: EvaluationRunSummary): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1;
}

export class MemoryEvaluationRunStore implements EvaluationRunStore {
  private readonly runs = new Map<string, EvaluationRun>();

  async save(run: EvaluationRun): Promise<void> {
    assertRunId(run.id);
    this.runs.set(run.id, run);
  }

  async get(id: string): Promise<EvaluationRun | null> {
    return this.runs.get(id) ?? null;
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: EvaluationRunSummary[]; total: number }> {
    const all = [...this.runs.values()].map(summarize).sort(newestFirst);
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }
}

/** `<dir>/<id>.json` holds a run; `<dir>/<id>.summary.json` its summary, so listing stays cheap. */
export class FileEvaluationRunStore implements EvaluationRunStore {
  constructor(private readonly dir: string) {}

  async save(run: EvaluationRun): Promise<void> {
    assertRunId(run.id);
    await mkdir(this.dir, { recursive: true });
    await this.writeAtomic(join(this.dir, `${run.id}.json`), JSON.stringify(run));
    await this.writeAtomic(join(this.dir, `${run.id}.summary.json`), JSON.stringify(summarize(run)));
  }

  async get(id: string): Promise<EvaluationRun | null> {
    assertRunId(id);
    try {
      return JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as EvaluationRun;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: EvaluationRunSummary[]; total: number }> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { items: [], total: 0 };
      throw err;
    }
    const summaries = await Promise.all(
      files.filter((f) => f.endsWith('.summary.json')).map(async (f) => JSON.parse(await readFile(join(this.dir, f), 'utf8')) as EvaluationRunSummary),
    );
    summaries.sort(newestFirst);
    return { items: summaries.slice(page.offset, page.offset + page.limit), total: summaries.length };
  }

  private async writeAtomic(path: string, text: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
  }
}

export async function requireRun(store: EvaluationRunStore, id: string): Promise<EvaluationRun> {
  const run = await store.get(id);
  if (!run) throw new NotFoundError(`no evaluation run "${id}"`, { id });
  return run;
}
