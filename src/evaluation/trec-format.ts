/**
 * TREC qrels and run files, as read and written by trec_eval.
 *
 * qrels: `qid iter docno grade` (iter is ignored, written as 0).
 * run:   `qid Q0 docno rank score tag` (rank is informational; order comes from the score, ties by
 *        docno descending, as trec_eval does).
 */
import { InvalidInputError } from '../domain/errors';
import { orderByScore, type Qrels, type ScoredDoc } from './metrics';

const ID = /^\S+$/;

function lines(text: string): { line: string; n: number }[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0 && !line.startsWith('#'));
}

export function parseQrels(text: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  for (const { line, n } of lines(text)) {
    const parts = line.split(/\s+/);
    if (parts.length !== 4) {
      throw new InvalidInputError(`qrels line ${n}: expected 4 fields "qid 0 docno grade", got ${parts.length}: "${line}"`, { line: n });
    }
    const [qid, , docno, gradeText] = parts;
    const grade = Number(gradeText);
    if (!Number.isInteger(grade)) {
      throw new InvalidInputError(`qrels line ${n}: grade "${gradeText}" is not an integer`, { line: n });
    }
    let q = qrels.get(qid);
    if (!q) qrels.set(qid, (q = new Map()));
    q.set(docno, grade);
  }
  if (qrels.size === 0) throw new InvalidInputError('qrels hold no judgement: expected lines "qid 0 docno grade"');
  return qrels;
}

export function formatQrels(qrels: Qrels): string {
  const out: string[] = [];
  for (const [qid, judgements] of qrels) {
    assertId(qid, 'query id');
    for (const [docno, grade] of judgements) {
      assertId(docno, 'document id');
      out.push(`${qid} 0 ${docno} ${grade}`);
    }
  }
  return out.join('\n') + '\n';
}

export interface ParsedRun {
  /** query id -> ranked document ids in trec_eval order. */
  ranked: Map<string, string[]>;
  /** query id -> documents with scores, in trec_eval order. */
  scored: Map<string, ScoredDoc[]>;
  tags: Set<string>;
}

export function parseRun(text: string): ParsedRun {
  const raw = new Map<string, ScoredDoc[]>();
  const tags = new Set<string>();
  for (const { line, n } of lines(text)) {
    const parts = line.split(/\s+/);
    if (parts.length !== 6) {
      throw new InvalidInputError(`run line ${n}: expected 6 fields "qid Q0 docno rank score tag", got ${parts.length}`, { line: n });
    }
    const [qid, , docno, , scoreText, tag] = parts;
    const score = Number(scoreText);
    if (!Number.isFinite(score)) throw new InvalidInputError(`run line ${n}: score "${scoreText}" is not a number`, { line: n });
    let q = raw.get(qid);
    if (!q) raw.set(qid, (q = []));
    q.push({ id: docno, score });
    tags.add(tag);
  }
  const ranked = new Map<string, string[]>();
  const scored = new Map<string, ScoredDoc[]>();
  for (const [qid, docs] of raw) {
    const order = orderByScore(docs);
    const best = new Map<string, number>();
    for (const d of docs) if (!best.has(d.id)) best.set(d.id, d.score);
    ranked.set(qid, order);
    scored.set(qid, order.map((id) => ({ id, score: best.get(id)! })));
  }
  return { ranked, scored, tags };
}

/** Writes documents in the given order with their scores; scores round-trip exactly. */
export function formatRun(run: ReadonlyMap<string, readonly ScoredDoc[]>, tag: string): string {
  assertId(tag, 'run tag');
  const out: string[] = [];
  for (const [qid, docs] of run) {
    assertId(qid, 'query id');
    docs.forEach((d, i) => {
      assertId(d.id, 'document id');
      out.push(`${qid} Q0 ${d.id} ${i + 1} ${formatNumber(d.score)} ${tag}`);
    });
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** Shortest decimal that parses back to the same double. */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

function assertId(id: string, what: string): void {
  if (!ID.test(id)) throw new InvalidInputError(`${what} "${id}" cannot be written to a TREC file: it must be non-empty without whitespace`);
}
