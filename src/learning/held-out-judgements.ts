/**
 * The judgement set a candidate query model is promoted on: held-out-judgements.json, written by
 * training (training/traffic/finetune.py) from the latest part of the search log that training never
 * read. For each query: the products the log showed for it (and, for a query chain, the products the
 * shopper clicked after rewording) as candidates, and those judged relevant by position-debiased
 * clicks. Towers are compared by how they rank the candidates (counterfactual evaluation on logged
 * lists): only logged products carry a judgement, so ranking the whole catalogue would blame a model
 * for every unjudged product it puts first.
 */
import { promises as fs } from 'node:fs';
import { InvalidInputError } from '../domain/errors';
import type { EvalQuery, JudgementSet } from '../evaluation/evaluation-run';

export interface HeldOutJudgements {
  /** Time the held-out part of the log starts at. */
  from: string;
  source: string;
  set: JudgementSet;
  /** Query id -> the products judged for it. */
  candidates: Map<string, string[]>;
}

interface FileShape {
  from?: unknown;
  source?: unknown;
  queries?: { text?: unknown; candidates?: unknown; relevant?: unknown }[];
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function parseHeldOutJudgements(json: unknown, file = 'held-out-judgements.json'): HeldOutJudgements {
  const f = json as FileShape;
  if (typeof f?.from !== 'string' || !Array.isArray(f.queries)) throw new InvalidInputError(`${file}: needs "from" (a time) and "queries" (a list)`);
  const queries: EvalQuery[] = [];
  const qrels = new Map<string, Map<string, number>>();
  const candidates = new Map<string, string[]>();
  f.queries.forEach((q, i) => {
    if (typeof q.text !== 'string' || !strings(q.candidates) || !strings(q.relevant)) {
      throw new InvalidInputError(`${file}: queries[${i}] needs text, candidates and relevant (product ids)`);
    }
    const id = `q${i + 1}`;
    queries.push({ id, text: q.text });
    qrels.set(id, new Map(q.relevant.map((p) => [p, 1])));
    candidates.set(id, [...new Set([...q.candidates, ...q.relevant])]);
  });
  return { from: f.from, source: typeof f.source === 'string' ? f.source : '', set: { name: 'held-out-clicks', queries, qrels }, candidates };
}

export async function readHeldOutJudgements(file: string): Promise<HeldOutJudgements> {
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new InvalidInputError(`${file} not found: the candidate folder must come from python -m training.train --events`);
  });
  return parseHeldOutJudgements(JSON.parse(text), file);
}
