/**
 * Judgement sets read from a seed catalogue directory (see seed/README.md), restricted to one split:
 * `test` (the default; the reported numbers) or `validation` (for choices). The train split has no
 * evaluation sets (held-out queries, composed qrels, real-shot photos and outfit questions exist for
 * validation and test only), so it is refused.
 *
 * - text:             queries/text-<split>.jsonl + .qrels (grades 1 and 2), every row: the
 *                     in-distribution queries, then the held-out ones (phrased with the
 *                     evaluation-only lexicon of seed/generator/heldout.py). Segments: the
 *                     in-distribution colour+category queries (literal and paraphrased), seen and
 *                     unseen vocabulary, in-distribution and held-out, and one per held-out kind;
 * - composed:         queries/composed-<split>.jsonl; each row's `targetIds` are relevant (grade 1)
 *                     and the reference product is never retrieved. Segments by where the targets
 *                     lie (sibling: the reference's own style; cross-style: other styles, held out)
 *                     and by the kind of change;
 * - composed-meaning: the same queries judged by meaning (queries/composed-<split>-meaning.qrels:
 *                     every product with the reference's category and each asked value, whatever
 *                     its style), segmented by kind and by target;
 * - realshot:         queries/realshot-<split>.jsonl + .qrels, the held-out photo family
 *                     (degradations training never uses);
 * - realshot-indist:  queries/realshot-indist-<split>.jsonl + .qrels, the family that resembles
 *                     training's augmentations;
 * - image:            each style's base product image as the query; the style's other variants are
 *                     relevant (grade 1) and the query product itself is not retrieved;
 * - outfits:          outfits/fitb.jsonl (rows of the split); fill in the blank: the candidates are
 *                     ranked, the answer is relevant (MRR and hit@1 = FITB accuracy);
 * - index:            the text queries judged by exact search (its top 10 are relevant), so recall@10
 *                     of the approximate index against exact search is a metric of the same module.
 *
 * Reading is strict: a malformed row fails with its file, line and field.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DomainError, InvalidInputError, UnavailableError } from '../domain/errors';
import type { EvalQuery, JudgementSet, QuerySegment } from './evaluation-run';
import type { JudgementSetProvider } from './evaluation.service';
import type { Qrels } from './metrics';
import { parseQrels } from './trec-format';

/** The splits that have evaluation sets: validation for choices, test for the reports. */
export const EVALUATION_SPLITS = ['validation', 'test'] as const;
export type EvaluationSplit = (typeof EVALUATION_SPLITS)[number];

/** Every set, in the order `--set all` runs them. */
export const SEED_SETS = ['text', 'image', 'composed', 'composed-meaning', 'realshot', 'realshot-indist', 'outfits', 'index'] as const;
export type SeedSetName = (typeof SEED_SETS)[number];

/** An outfit query: the partial outfit and the candidates for its blank. */
export interface OutfitQuery extends EvalQuery {
  items: string[];
  candidates: string[];
}

/**
 * The text set's segments of in-distribution queries that state exactly a colour and a category
 * (the set of the P@10 target), split by whether the text names both values word for word.
 */
export const COLOUR_CATEGORY_SEGMENTS = {
  all: 'colour+category',
  literal: 'colour+category, literal',
  paraphrased: 'colour+category, paraphrased',
} as const;

/**
 * The text set's segments by the rows' `vocabulary` and `distribution` keys (a row without them is
 * seen and in-distribution). Seen vocabulary holds the in-distribution queries and the held-out
 * kinds phrased with the catalogue's own words; unseen vocabulary the held-out kinds with an
 * unseen colour or garment word or a misspelling in every word.
 */
export const TEXT_SEGMENTS = {
  seenVocabulary: 'seen vocabulary',
  unseenVocabulary: 'unseen vocabulary',
  inDistribution: 'in-distribution',
  heldOut: 'held-out',
} as const;

/**
 * The held-out kinds of text queries (seed/README.md), each with its segment name and the column
 * label of the tables. Every one is phrased with the evaluation-only lexicon.
 */
export const HELD_OUT_TEXT_KINDS = [
  { kind: 'literal', segment: 'literal colour and garment', label: 'literal' },
  { kind: 'unseen-color', segment: 'unseen colour word', label: 'unseen colour' },
  { kind: 'unseen-category', segment: 'unseen garment word', label: 'unseen category' },
  { kind: 'unseen-both', segment: 'unseen colour and garment words', label: 'unseen both' },
  { kind: 'typo', segment: 'one typo per word', label: 'one typo per word' },
  { kind: 'sentence', segment: 'in a sentence', label: 'in a sentence' },
  { kind: 'exclusion', segment: 'colour excluded', label: 'exclusion' },
  { kind: 'price', segment: 'under a price', label: 'price' },
] as const;

const VOCABULARIES = ['seen', 'unseen'] as const;
const DISTRIBUTIONS = ['in', 'held-out'] as const;

/** The kinds of composed request (`kind` of a composed row). */
export const COMPOSED_KINDS = ['color', 'shade', 'pattern', 'material', 'two-attribute'] as const;
export type ComposedKind = (typeof COMPOSED_KINDS)[number];
/** Where a composed request's targets lie (`target` of a composed row). */
export const COMPOSED_TARGETS = ['sibling', 'cross-style'] as const;
export type ComposedTarget = (typeof COMPOSED_TARGETS)[number];

/** Segments of both composed sets by target: the reference's own style, or other styles. */
export const COMPOSED_TARGET_SEGMENTS: ReadonlyArray<{ target: ComposedTarget; segment: string }> = [
  { target: 'sibling', segment: 'sibling' },
  { target: 'cross-style', segment: 'cross-style' },
];

/**
 * Segments of the composed set by target and kind. Sibling requests are the kind training's fusion
 * stage learns from; cross-style targets lie outside the reference's style, which training never
 * asks for (`heldOut` says why a segment is held out).
 */
export const COMPOSED_SEGMENTS: ReadonlyArray<{ segment: string; target: ComposedTarget; kinds: readonly ComposedKind[]; heldOut: string | null }> = [
  { segment: 'sibling: colour', target: 'sibling', kinds: ['color'], heldOut: null },
  { segment: 'sibling: shade', target: 'sibling', kinds: ['shade'], heldOut: null },
  { segment: 'sibling: pattern', target: 'sibling', kinds: ['pattern'], heldOut: null },
  { segment: 'sibling: material', target: 'sibling', kinds: ['material'], heldOut: null },
  { segment: 'cross-style (one change)', target: 'cross-style', kinds: ['color', 'shade', 'pattern', 'material'], heldOut: "targets outside the reference's style" },
  { segment: 'cross-style (two changes)', target: 'cross-style', kinds: ['two-attribute'], heldOut: "targets outside the reference's style" },
];

/** Segments of the composed-meaning set by kind of change (sibling and cross-style rows together). */
export const COMPOSED_MEANING_KIND_SEGMENTS: ReadonlyArray<{ kind: ComposedKind; segment: string }> = [
  { kind: 'color', segment: 'colour' },
  { kind: 'shade', segment: 'shade' },
  { kind: 'pattern', segment: 'pattern' },
  { kind: 'material', segment: 'material' },
  { kind: 'two-attribute', segment: 'two changes' },
];

/** The two real-shot photo families: their set, files, the rows' `family` value and table label. */
export const REALSHOT_FAMILIES = [
  { set: 'realshot', file: 'realshot', family: 'held-out', label: 'held-out family' },
  { set: 'realshot-indist', file: 'realshot-indist', family: 'in-distribution', label: 'in-distribution family' },
] as const;

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
  /** The split whose sets are read (default test). */
  split?: EvaluationSplit;
  /** Needed for the index set. */
  exactJudge?: ExactJudge;
  /** Queries of the index set (the first N text queries; default 500). */
  indexQueries?: number;
  /** Cut-off judged by exact search for the index set (default 10). */
  indexDepth?: number;
}

/** Refuses a split without evaluation sets, naming the ones that have them. */
export function assertEvaluationSplit(split: string): EvaluationSplit {
  if ((EVALUATION_SPLITS as readonly string[]).includes(split)) return split as EvaluationSplit;
  const why = split === 'train' ? ': the train split has no evaluation sets (held-out queries, composed qrels, real-shot photos and outfit questions exist for validation and test only)' : '';
  throw new InvalidInputError(`split "${split}" cannot be evaluated${why}; choose ${EVALUATION_SPLITS.join(' or ')}`, { split });
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

/** A parsed JSON line and its 1-based line number in the file. */
interface JsonRecord<T> {
  value: T;
  line: number;
}

async function readJsonRecords<T>(file: string, what: string): Promise<JsonRecord<T>[]> {
  const text = await readText(file, what);
  const out: JsonRecord<T>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InvalidInputError(`${file}:${i + 1}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${file}:${i + 1}: expected a JSON object`);
    out.push({ value: value as T, line: i + 1 });
  });
  return out;
}

export async function readJsonLines<T>(file: string, what: string): Promise<T[]> {
  return (await readJsonRecords<T>(file, what)).map((r) => r.value);
}

/** TREC qrels of a catalogue file; a malformed line names the file. */
async function readQrels(file: string, what: string): Promise<Qrels> {
  const text = await readText(file, what);
  try {
    return parseQrels(text);
  } catch (e) {
    if (e instanceof DomainError) throw new InvalidInputError(`${file}: ${e.message}`, { file });
    throw e;
  }
}

function fieldError(file: string, line: number, field: string, what: string): InvalidInputError {
  return new InvalidInputError(`${file}:${line}: field "${field}" must be ${what}`, { file, line, field });
}

function requireString(v: unknown, file: string, field: string, line: number): string {
  if (typeof v !== 'string' || v === '') throw fieldError(file, line, field, 'a non-empty string');
  return v;
}

function requireStringList(v: unknown, file: string, field: string, line: number): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === '')) throw fieldError(file, line, field, 'a non-empty array of product ids');
  return v as string[];
}

/** `v` when it is one of `allowed`; `fallback` when absent. */
function requireOneOf<T extends string>(v: unknown, allowed: readonly T[], file: string, field: string, line: number, fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw fieldError(file, line, field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  return v as T;
}

/** A named segment of the given query ids; a segment with no query is left out. */
function segments(...list: Array<[string, string[]]>): QuerySegment[] {
  return list.filter(([, ids]) => ids.length > 0).map(([name, queryIds]) => ({ name, queryIds }));
}

interface SeedProduct {
  id: string;
  styleId: string;
  split: string;
  variant: number;
  image: string;
}

interface TextRow {
  id: string;
  text: string;
  stated: Record<string, string>;
  kind: string | null;
  vocabulary: (typeof VOCABULARIES)[number];
  distribution: (typeof DISTRIBUTIONS)[number];
}

interface ComposedRow {
  id: string;
  referenceId: string;
  modifier: string;
  targetIds: string[];
  kind: ComposedKind;
  target: ComposedTarget;
}

export class SeedJudgementSets implements JudgementSetProvider {
  readonly split: EvaluationSplit;
  private readonly cache = new Map<string, Promise<JudgementSet>>();
  private composedRows: Promise<ComposedRow[]> | null = null;

  constructor(private readonly options: SeedJudgementSetOptions) {
    this.split = assertEvaluationSplit(options.split ?? 'test');
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
      p = this.build(name as SeedSetName).then((set) => ({ ...set, split: this.split }));
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
      case 'composed-meaning':
        return this.composedMeaningSet();
      case 'realshot':
      case 'realshot-indist':
        return this.realshotSet(name);
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
    const records = await readJsonRecords<Record<string, unknown>>(file, 'text queries');
    const heldOutKinds = HELD_OUT_TEXT_KINDS.map((k) => k.kind);
    const rows: TextRow[] = records.map(({ value: r, line }) => {
      const stated = r.stated ?? {};
      if (typeof stated !== 'object' || stated === null || Array.isArray(stated) || Object.values(stated).some((v) => typeof v !== 'string')) {
        throw fieldError(file, line, 'stated', 'an object of attribute name -> value');
      }
      if (r.kind !== undefined && typeof r.kind !== 'string') throw fieldError(file, line, 'kind', 'a string');
      const distribution = requireOneOf(r.distribution, DISTRIBUTIONS, file, 'distribution', line, 'in');
      if (distribution === 'held-out') requireOneOf(r.kind, heldOutKinds, file, 'kind', line);
      return {
        id: requireString(r.id, file, 'id', line),
        text: requireString(r.text, file, 'text', line),
        stated: stated as Record<string, string>,
        kind: (r.kind as string | undefined) ?? null,
        vocabulary: requireOneOf(r.vocabulary, VOCABULARIES, file, 'vocabulary', line, 'seen'),
        distribution,
      };
    });
    const qrels = await readQrels(this.file('queries', `text-${this.split}.qrels`), 'text qrels');
    const ids = (keep: (r: TextRow) => boolean): string[] => rows.filter(keep).map((r) => r.id);
    const colourCategory = (r: TextRow): boolean => {
      const keys = Object.keys(r.stated).sort();
      return r.distribution === 'in' && keys.length === 2 && keys[0] === 'category' && (keys[1] === 'color' || keys[1] === 'colorFamily');
    };
    const literal = (r: TextRow): boolean => Object.values(r.stated).every((value) => namesWordForWord(r.text, value));
    return {
      name: 'text',
      queries: rows.map((r) => ({ id: r.id, text: r.text })),
      qrels,
      dataHash: await this.dataHash(),
      segments: segments(
        [COLOUR_CATEGORY_SEGMENTS.all, ids(colourCategory)],
        [COLOUR_CATEGORY_SEGMENTS.literal, ids((r) => colourCategory(r) && literal(r))],
        [COLOUR_CATEGORY_SEGMENTS.paraphrased, ids((r) => colourCategory(r) && !literal(r))],
        [TEXT_SEGMENTS.seenVocabulary, ids((r) => r.vocabulary === 'seen')],
        [TEXT_SEGMENTS.unseenVocabulary, ids((r) => r.vocabulary === 'unseen')],
        [TEXT_SEGMENTS.inDistribution, ids((r) => r.distribution === 'in')],
        [TEXT_SEGMENTS.heldOut, ids((r) => r.distribution === 'held-out')],
        ...HELD_OUT_TEXT_KINDS.map((k): [string, string[]] => [k.segment, ids((r) => r.distribution === 'held-out' && r.kind === k.kind)]),
      ),
    };
  }

  /** The composed rows of the split, read once for both composed sets. */
  private readComposedRows(): Promise<ComposedRow[]> {
    if (!this.composedRows) {
      const file = this.file('queries', `composed-${this.split}.jsonl`);
      this.composedRows = readJsonRecords<Record<string, unknown>>(file, 'composed queries').then((records) =>
        records.map(({ value: r, line }) => {
          const referenceId = requireString(r.referenceId, file, 'referenceId', line);
          const targetIds = requireStringList(r.targetIds, file, 'targetIds', line);
          if (targetIds.includes(referenceId)) throw fieldError(file, line, 'targetIds', `products other than the reference "${referenceId}"`);
          return {
            id: requireString(r.id, file, 'id', line),
            referenceId,
            modifier: requireString(r.modifier, file, 'modifier', line),
            targetIds,
            kind: requireOneOf(r.kind, COMPOSED_KINDS, file, 'kind', line),
            target: requireOneOf(r.target, COMPOSED_TARGETS, file, 'target', line),
          };
        }),
      );
      this.composedRows.catch(() => (this.composedRows = null));
    }
    return this.composedRows;
  }

  private composedQueries(rows: ComposedRow[]): EvalQuery[] {
    return rows.map((r) => ({ id: r.id, referenceId: r.referenceId, modifier: r.modifier, excludeIds: [r.referenceId] }));
  }

  private static targetSegments(rows: ComposedRow[]): Array<[string, string[]]> {
    return COMPOSED_TARGET_SEGMENTS.map(({ target, segment }) => [segment, rows.filter((r) => r.target === target).map((r) => r.id)]);
  }

  private async composedSet(): Promise<JudgementSet> {
    const rows = await this.readComposedRows();
    return {
      name: 'composed',
      queries: this.composedQueries(rows),
      qrels: new Map(rows.map((r) => [r.id, new Map(r.targetIds.map((id) => [id, 1]))])),
      dataHash: await this.dataHash(),
      segments: segments(
        ...SeedJudgementSets.targetSegments(rows),
        ...COMPOSED_SEGMENTS.map((s): [string, string[]] => [s.segment, rows.filter((r) => r.target === s.target && s.kinds.includes(r.kind)).map((r) => r.id)]),
      ),
    };
  }

  private async composedMeaningSet(): Promise<JudgementSet> {
    const rows = await this.readComposedRows();
    const file = this.file('queries', `composed-${this.split}-meaning.qrels`);
    const qrels = await readQrels(file, 'composed qrels by meaning');
    for (const r of rows) {
      if (qrels.get(r.id)?.has(r.referenceId)) throw new InvalidInputError(`${file}: query "${r.id}" judges its own reference product "${r.referenceId}", which is never retrieved`, { file });
    }
    return {
      name: 'composed-meaning',
      queries: this.composedQueries(rows),
      qrels,
      dataHash: await this.dataHash(),
      segments: segments(
        ...COMPOSED_MEANING_KIND_SEGMENTS.map(({ kind, segment }): [string, string[]] => [segment, rows.filter((r) => r.kind === kind).map((r) => r.id)]),
        ...SeedJudgementSets.targetSegments(rows),
      ),
    };
  }

  private async realshotSet(name: (typeof REALSHOT_FAMILIES)[number]['set']): Promise<JudgementSet> {
    const family = REALSHOT_FAMILIES.find((f) => f.set === name)!;
    const file = this.file('queries', `${family.file}-${this.split}.jsonl`);
    const records = await readJsonRecords<Record<string, unknown>>(file, `real-shot queries (${family.label})`);
    const queries = records.map(({ value: r, line }) => {
      if (r.family !== undefined) requireOneOf(r.family, [family.family], file, 'family', line);
      return { id: requireString(r.id, file, 'id', line), imagePath: this.inside(requireString(r.image, file, 'image', line), file, line) };
    });
    const qrels = await readQrels(this.file('queries', `${family.file}-${this.split}.qrels`), `real-shot qrels (${family.label})`);
    return { name, queries, qrels, dataHash: await this.dataHash() };
  }

  private async imageSet(): Promise<JudgementSet> {
    const file = this.file('products.jsonl');
    const products = (await readJsonRecords<SeedProduct>(file, 'catalogue')).filter((p) => p.value.split === this.split);
    const byStyle = new Map<string, SeedProduct[]>();
    for (const { value: p } of products) {
      const list = byStyle.get(p.styleId) ?? [];
      list.push(p);
      byStyle.set(p.styleId, list);
    }
    const queries: EvalQuery[] = [];
    const qrels = new Map<string, Map<string, number>>();
    for (const { value: p, line } of products) {
      if (p.variant !== 0) continue;
      const others = (byStyle.get(p.styleId) ?? []).filter((o) => o.id !== p.id);
      if (others.length === 0) continue;
      const id = `iq-${p.id}`;
      queries.push({ id, imagePath: this.inside(requireString(p.image, file, 'image', line), file, line), excludeIds: [p.id] });
      qrels.set(id, new Map(others.map((o) => [o.id, 1])));
    }
    return { name: 'image', queries, qrels, dataHash: await this.dataHash() };
  }

  private async outfitSet(): Promise<JudgementSet> {
    const file = this.file('outfits', 'fitb.jsonl');
    const records = (await readJsonRecords<{ id: string; split?: string; items: string[]; candidates: string[]; answer: string }>(file, 'outfit FITB questions')).filter(
      (r) => !r.value.split || r.value.split === this.split,
    );
    const queries: OutfitQuery[] = [];
    const qrels = new Map<string, Map<string, number>>();
    for (const { value: r, line } of records) {
      const id = requireString(r.id, file, 'id', line);
      queries.push({ id, items: requireStringList(r.items, file, 'items', line), candidates: requireStringList(r.candidates, file, 'candidates', line) });
      qrels.set(id, new Map([[requireString(r.answer, file, 'answer', line), 1]]));
    }
    return { name: 'outfits', queries, qrels, dataHash: await this.dataHash() };
  }

  private async indexSet(): Promise<JudgementSet> {
    const judge = this.options.exactJudge;
    if (!judge) throw new UnavailableError('the index set needs a store to judge queries by exact search');
    const text = await this.load('text');
    const queries = text.queries.slice(0, this.options.indexQueries ?? 500);
    return { name: 'index', queries, qrels: await judge(queries, this.options.indexDepth ?? 10), dataHash: text.dataHash };
  }

  private inside(relative: string, file: string, line: number): string {
    const root = path.resolve(this.options.catalogDir);
    const abs = path.resolve(root, relative);
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw fieldError(file, line, 'image', 'a path inside the catalogue directory');
    return abs;
  }
}
