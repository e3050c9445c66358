/**
 * Judgement sets read from a seed catalogue directory (see seed/README.md), restricted to one split
 * (the test split: the evaluation gallery is the test-split products):
 *
 * - text:     queries/text-<split>.jsonl + .qrels (grades 1 and 2); segment "colour+category" holds
 *             the queries that state exactly a colour and a category, split into
 *             "colour+category, literal" (the text names both values word for word) and
 *             "colour+category, paraphrased" (a synonym or a misspelling for one of them);
 * - composed: queries/composed-<split>.jsonl; the target product is the one relevant item (grade 1)
 *             and the reference product is never retrieved;
 * - realshot: queries/realshot-test.jsonl + .qrels (a degraded photo of one product);
 * - image:    each style's base product image as the query; the style's other variants are relevant
 *             (grade 1) and the query product itself is not retrieved;
 * - outfits:  queries/../outfits/fitb.jsonl; fill in the blank: the candidates are ranked, the answer
 *             is relevant (MRR and hit@1 = FITB accuracy);
 * - index:    the text queries judged by exact search (its top 10 are relevant), so recall@10 of the
 *             approximate index against exact search is a metric of the same module.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, UnavailableError } from '../domain/errors';
import type { EvalQuery, JudgementSet } from './evaluation-run';
import type { JudgementSetProvider } from './evaluation.service';
import type { Qrels } from './metrics';
import { parseQrels } from './trec-format';

export const SEED_SETS = ['text', 'image', 'composed', 'realshot', 'outfits', 'index'] as const;
export type SeedSetName = (typeof SEED_SETS)[number];

/** An outfit query: the partial outfit and the candidates for its blank. */
export interface OutfitQuery extends EvalQuery {
  items: string[];
  candidates: string[];
}

/** The text set's segments of queries that state exactly a colour and a category. */
export const COLOUR_CATEGORY_SEGMENTS = {
  all: 'colour+category',
  literal: 'colour+category, literal',
  paraphrased: 'colour+category, paraphrased',
} as const;

/** Judges text queries by exact search: query id -> the exact top-k ids. */
export type ExactJudge = (queries: EvalQuery[], k: number) => Promise<Qrels>;

const words = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

/**
 * Whether `text` names an attribute value word for word: the value's words in a row, the last one
 * also in its plural ("blue ankle boots" names "ankle-boot" and "blue"; "navy tee" does not name
 * "t-shirt").
 */
export function namesWordForWord(text: string, value: string): boolean {
  const t = words(text);
  const v = words(value);
  if (!v.length) return false;
  const last = v[v.length - 1];
  const matchesAt = (i: number): boolean =>
    v.every((w, j) => t[i + j] === w || (j === v.length - 1 && (t[i + j] === `${last}s` || t[i + j] === `${last}es`)));
  for (let i = 0; i + v.length <= t.length; i++) if (matchesAt(i)) return true;
  return false;
}

export interface SeedJudgementSetOptions {
  catalogDir: string;
  split?: 'train' | 'test';
  /** Needed for the index set. */
  exactJudge?: ExactJudge;
  /** Queries of the index set (the first N text queries; default 500). */
  indexQueries?: number;
  /** Cut-off judged by exact search for the index set (default 10). */
  indexDepth?: number;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new UnavailableError(`${what} not found: ${file} does not exist (generate the catalogue with python3 -m seed.generator, or pass another catalogue directory)`, {
      file,
    });
  }
}

export async function readJsonLines<T>(file: string, what: string): Promise<T[]> {
  const text = await readText(file, what);
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      throw new InvalidInputError(`${file}:${i + 1}: not valid JSON`);
    }
  });
  return out;
}

function requireString(v: unknown, file: string, field: string, i: number): string {
  if (typeof v !== 'string' || v === '') throw new InvalidInputError(`${file}, record ${i + 1}: field "${field}" must be a non-empty string`);
  return v;
}

interface SeedProduct {
  id: string;
  styleId: string;
  split: string;
  variant: number;
  image: string;
}

export class SeedJudgementSets implements JudgementSetProvider {
  private readonly split: 'train' | 'test';
  private readonly cache = new Map<string, Promise<JudgementSet>>();

  constructor(private readonly options: SeedJudgementSetOptions) {
    this.split = options.split ?? 'test';
  }

  setNames(): string[] {
    return SEED_SETS.filter((s) => s !== 'index' || this.options.exactJudge !== undefined);
  }

  load(name: string): Promise<JudgementSet> {
    if (!(SEED_SETS as readonly string[]).includes(name)) {
      throw new InvalidInputError(`unknown judgement set "${name}": choose one of ${this.setNames().join(', ')}`);
    }
    let p = this.cache.get(name);
    if (!p) {
      p = this.build(name as SeedSetName);
      this.cache.set(name, p);
      p.catch(() => this.cache.delete(name));
    }
    return p;
  }

  /** sha256 of the split's product lines, from manifest.json (or computed when absent). */
  async dataHash(): Promise<string> {
    const dir = this.options.catalogDir;
    const manifest = await fs.readFile(path.join(dir, 'manifest.json'), 'utf8').catch(() => null);
    if (manifest) {
      const hash = (JSON.parse(manifest) as { dataHash?: Record<string, string> }).dataHash?.[this.split];
      if (hash) return hash.startsWith('sha256:') ? hash : `sha256:${hash}`;
    }
    const lines = (await readText(path.join(dir, 'products.jsonl'), 'catalogue'))
      .split('\n')
      .filter((l) => l.trim() !== '' && (JSON.parse(l) as { split?: string }).split === this.split);
    return `sha256:${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
  }

  private async build(name: SeedSetName): Promise<JudgementSet> {
    switch (name) {
      case 'text':
        return this.textSet();
      case 'composed':
        return this.composedSet();
      case 'realshot':
        return this.realshotSet();
      case 'image':
        return this.imageSet();
      case 'outfits':
        return this.outfitSet();
      case 'index':
        return this.indexSet();
    }
  }

  private file(...parts: string[]): string {
    return path.join(this.options.catalogDir, ...parts);
  }

  private async textSet(): Promise<JudgementSet> {
    const file = this.file('queries', `text-${this.split}.jsonl`);
    const rows = await readJsonLines<{ id: string; text: string; stated?: Record<string, string>; kind?: string }>(file, 'text queries');
    const queries = rows.map((r, i) => ({ id: requireString(r.id, file, 'id', i), text: requireString(r.text, file, 'text', i) }));
    const qrels = parseQrels(await readText(this.file('queries', `text-${this.split}.qrels`), 'text qrels'));
    const colourCategory = rows.filter((r) => {
      const keys = Object.keys(r.stated ?? {}).sort();
      return keys.length === 2 && keys[0] === 'category' && (keys[1] === 'color' || keys[1] === 'colorFamily');
    });
    const literal = (r: (typeof rows)[number]): boolean => Object.values(r.stated ?? {}).every((value) => namesWordForWord(r.text, value));
    const segments = [
      { name: COLOUR_CATEGORY_SEGMENTS.all, queryIds: colourCategory.map((r) => r.id) },
      { name: COLOUR_CATEGORY_SEGMENTS.literal, queryIds: colourCategory.filter(literal).map((r) => r.id) },
      { name: COLOUR_CATEGORY_SEGMENTS.paraphrased, queryIds: colourCategory.filter((r) => !literal(r)).map((r) => r.id) },
    ];
    return { name: 'text', queries, qrels, dataHash: await this.dataHash(), segments };
  }

  private async composedSet(): Promise<JudgementSet> {
    const file = this.file('queries', `composed-${this.split}.jsonl`);
    const rows = await readJsonLines<{ id: string; referenceId: string; modifier: string; targetId: string }>(file, 'composed queries');
    const queries: EvalQuery[] = [];
    const qrels = new Map<string, Map<string, number>>();
    rows.forEach((r, i) => {
      const id = requireString(r.id, file, 'id', i);
      const referenceId = requireString(r.referenceId, file, 'referenceId', i);
      queries.push({ id, referenceId, modifier: requireString(r.modifier, file, 'modifier', i), excludeIds: [referenceId] });
      qrels.set(id, new Map([[requireString(r.targetId, file, 'targetId', i), 1]]));
    });
    return { name: 'composed', queries, qrels, dataHash: await this.dataHash() };
  }

  private async realshotSet(): Promise<JudgementSet> {
    const file = this.file('queries', 'realshot-test.jsonl');
    const rows = await readJsonLines<{ id: string; image: string }>(file, 'real-shot queries');
    const queries = rows.map((r, i) => ({ id: requireString(r.id, file, 'id', i), imagePath: this.inside(requireString(r.image, file, 'image', i), file, i) }));
    const qrels = parseQrels(await readText(this.file('queries', 'realshot-test.qrels'), 'real-shot qrels'));
    return { name: 'realshot', queries, qrels, dataHash: await this.dataHash() };
  }

  private async imageSet(): Promise<JudgementSet> {
    const file = this.file('products.jsonl');
    const products = (await readJsonLines<SeedProduct>(file, 'catalogue')).filter((p) => p.split === this.split);
    const byStyle = new Map<string, SeedProduct[]>();
    for (const p of products) {
      const list = byStyle.get(p.styleId) ?? [];
      list.push(p);
      byStyle.set(p.styleId, list);
    }
    const queries: EvalQuery[] = [];
    const qrels = new Map<string, Map<string, number>>();
    products.forEach((p, i) => {
      if (p.variant !== 0) return;
      const others = (byStyle.get(p.styleId) ?? []).filter((o) => o.id !== p.id);
      if (others.length === 0) return;
      const id = `iq-${p.id}`;
      queries.push({ id, imagePath: this.inside(requireString(p.image, file, 'image', i), file, i), excludeIds: [p.id] });
      qrels.set(id, new Map(others.map((o) => [o.id, 1])));
    });
    return { name: 'image', queries, qrels, dataHash: await this.dataHash() };
  }

  private async outfitSet(): Promise<JudgementSet> {
    const file = this.file('outfits', 'fitb.jsonl');
    const rows = (await readJsonLines<{ id: string; split?: string; items: string[]; candidates: string[]; answer: string }>(file, 'outfit FITB questions')).filter(
      (r) => !r.split || r.split === this.split,
    );
    const queries: OutfitQuery[] = [];
    const qrels = new Map<string, Map<string, number>>();
    rows.forEach((r, i) => {
      const id = requireString(r.id, file, 'id', i);
      if (!Array.isArray(r.items) || !Array.isArray(r.candidates) || r.candidates.length === 0) {
        throw new InvalidInputError(`${file}, record ${i + 1}: "items" and "candidates" must be arrays of product ids`);
      }
      queries.push({ id, items: r.items, candidates: r.candidates });
      qrels.set(id, new Map([[requireString(r.answer, file, 'answer', i), 1]]));
    });
    return { name: 'outfits', queries, qrels, dataHash: await this.dataHash() };
  }

  private async indexSet(): Promise<JudgementSet> {
    const judge = this.options.exactJudge;
    if (!judge) throw new UnavailableError('the index set needs a store to judge queries by exact search');
    const text = await this.load('text');
    const queries = text.queries.slice(0, this.options.indexQueries ?? 500);
    return { name: 'index', queries, qrels: await judge(queries, this.options.indexDepth ?? 10), dataHash: text.dataHash };
  }

  private inside(relative: string, file: string, i: number): string {
    const root = path.resolve(this.options.catalogDir);
    const abs = path.resolve(root, relative);
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new InvalidInputError(`${file}, record ${i + 1}: image path must stay inside the catalogue directory`);
    return abs;
  }
}
