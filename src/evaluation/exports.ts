/**
 * Exports of an evaluation run: CSV (per-query rows, aggregates, comparisons), JSON Lines (the whole
 * run as typed records), TREC run files (one per variant) and the TREC qrels it was scored against.
 * Numbers are written as the shortest decimal that parses back to the same double, so every export
 * parses back to the same numbers.
 */
import { InvalidInputError } from '../domain/errors';
import type { Comparison, EvaluationRun, MetricAggregate, QueryRow } from './evaluation-run';
import { formatNumber, formatQrels, formatRun } from './trec-format';
import { qrelsFromRecord } from './evaluation-run';

export type ExportFormat = 'csv' | 'aggregates-csv' | 'comparisons-csv' | 'jsonl' | 'trec-run' | 'trec-qrels';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'aggregates-csv', 'comparisons-csv', 'jsonl', 'trec-run', 'trec-qrels'];

// ---------------------------------------------------------------- CSV (RFC 4180)

function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? formatNumber(value) : value;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStarted = false;
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new InvalidInputError('CSV ends inside a quoted field');
  if (fieldStarted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function queriesCsv(run: EvaluationRun): string {
  const metrics = run.settings.metrics;
  return toCsv(
    ['run', 'set', 'variant', 'query', 'retrieved', 'relevant', ...metrics],
    run.queries.map((q) => [run.id, run.set.name, q.variant, q.queryId, q.retrieved, q.relevant, ...metrics.map((m) => q.values[m])]),
  );
}

export function aggregatesCsv(run: EvaluationRun): string {
  const rows: (string | number)[][] = [];
  for (const v of run.variants) {
    for (const a of v.aggregates) rows.push([run.id, run.set.name, v.name, '', a.metric, a.mean, a.lower, a.upper, a.level]);
    for (const s of v.segments) {
      for (const a of s.aggregates) rows.push([run.id, run.set.name, v.name, s.segment, a.metric, a.mean, a.lower, a.upper, a.level]);
    }
  }
  return toCsv(['run', 'set', 'variant', 'segment', 'metric', 'mean', 'ci_lower', 'ci_upper', 'ci_level'], rows);
}

const COMPARISON_COLUMNS: (keyof Comparison)[] = [
  'baseline',
  'variant',
  'metric',
  'baselineMean',
  'variantMean',
  'meanDifference',
  'relativeGain',
  'differenceLower',
  'differenceUpper',
  'permutationP',
  'tTestP',
  't',
  'degreesOfFreedom',
  'queries',
];

export function comparisonsCsv(run: EvaluationRun): string {
  return toCsv(
    ['run', ...COMPARISON_COLUMNS],
    run.comparisons.map((c) => [run.id, ...COMPARISON_COLUMNS.map((k) => c[k] as string | number | null)]),
  );
}

/** Per-query rows parsed back from `queriesCsv`. */
export function parseQueriesCsv(text: string): QueryRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header || header.slice(0, 6).join(',') !== 'run,set,variant,query,retrieved,relevant') {
    throw new InvalidInputError('not a per-query CSV export: expected header run,set,variant,query,retrieved,relevant,<metrics>');
  }
  const metrics = header.slice(6);
  return rows.map((r) => ({
    variant: r[2],
    queryId: r[3],
    retrieved: Number(r[4]),
    relevant: Number(r[5]),
    values: Object.fromEntries(metrics.map((m, i) => [m, Number(r[6 + i])])),
  }));
}

export function parseAggregatesCsv(text: string): { variant: string; segment: string | null; aggregate: MetricAggregate }[] {
  const [header, ...rows] = parseCsv(text);
  if (!header || header.join(',') !== 'run,set,variant,segment,metric,mean,ci_lower,ci_upper,ci_level') {
    throw new InvalidInputError('not an aggregates CSV export');
  }
  return rows.map((r) => ({
    variant: r[2],
    segment: r[3] === '' ? null : r[3],
    aggregate: { metric: r[4], mean: Number(r[5]), lower: Number(r[6]), upper: Number(r[7]), level: Number(r[8]) },
  }));
}

export function parseComparisonsCsv(text: string): Comparison[] {
  const [header, ...rows] = parseCsv(text);
  if (!header || header.join(',') !== ['run', ...COMPARISON_COLUMNS].join(',')) throw new InvalidInputError('not a comparisons CSV export');
  const num = (s: string): number | null => (s === '' ? null : Number(s));
  return rows.map((r) => ({
    baseline: r[1],
    variant: r[2],
    metric: r[3],
    baselineMean: Number(r[4]),
    variantMean: Number(r[5]),
    meanDifference: Number(r[6]),
    relativeGain: num(r[7]),
    differenceLower: Number(r[8]),
    differenceUpper: Number(r[9]),
    permutationP: Number(r[10]),
    tTestP: Number(r[11]),
    t: num(r[12]),
    degreesOfFreedom: Number(r[13]),
    queries: Number(r[14]),
  }));
}

// ---------------------------------------------------------------- JSON Lines

/**
 * One JSON object per line: a `run` header (identity, settings, models, catalogue), then `variant`,
 * `comparison`, `query` and `ranking` records. Parsing the lines back gives the same run.
 */
export function toJsonLines(run: EvaluationRun): string {
  const lines: unknown[] = [];
  lines.push({
    type: 'run',
    id: run.id,
    createdAt: run.createdAt,
    set: run.set,
    settings: run.settings,
    models: run.models,
    catalog: run.catalog,
    skippedQueries: run.skippedQueries,
    qrels: run.qrels,
  });
  for (const v of run.variants) lines.push({ type: 'variant', ...v });
  for (const c of run.comparisons) lines.push({ type: 'comparison', ...c });
  for (const q of run.queries) lines.push({ type: 'query', ...q });
  for (const [variant, byQuery] of Object.entries(run.rankings)) {
    for (const [queryId, docs] of Object.entries(byQuery)) lines.push({ type: 'ranking', variant, queryId, docs });
  }
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

export function parseJsonLines(text: string): EvaluationRun {
  let run: EvaluationRun | null = null;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: Record<string, unknown> & { type?: string };
    try {
      rec = JSON.parse(line);
    } catch {
      throw new InvalidInputError(`JSON Lines export, line ${i + 1}: not valid JSON`);
    }
    const { type, ...body } = rec;
    if (type === 'run') {
      const b = body as Pick<EvaluationRun, 'id' | 'createdAt' | 'set' | 'settings' | 'models' | 'catalog' | 'skippedQueries' | 'qrels'>;
      run = { ...b, variants: [], comparisons: [], queries: [], rankings: {} };
      return;
    }
    if (!run) throw new InvalidInputError(`JSON Lines export, line ${i + 1}: records before the "run" header`);
    const r: EvaluationRun = run;
    if (type === 'variant') r.variants.push(body as unknown as EvaluationRun['variants'][number]);
    else if (type === 'comparison') r.comparisons.push(body as unknown as Comparison);
    else if (type === 'query') r.queries.push(body as unknown as QueryRow);
    else if (type === 'ranking') {
      const { variant, queryId, docs } = body as { variant: string; queryId: string; docs: EvaluationRun['rankings'][string][string] };
      (r.rankings[variant] ??= {})[queryId] = docs;
    } else throw new InvalidInputError(`JSON Lines export, line ${i + 1}: unknown record type "${String(type)}"`);
  });
  if (!run) throw new InvalidInputError('JSON Lines export has no "run" header');
  return run;
}

// ---------------------------------------------------------------- TREC

export function trecRun(run: EvaluationRun, variant: string): string {
  const byQuery = run.rankings[variant];
  if (!byQuery) {
    throw new InvalidInputError(`run ${run.id} has no variant "${variant}": choose one of ${Object.keys(run.rankings).join(', ')}`);
  }
  return formatRun(new Map(Object.entries(byQuery)), variant);
}

export function trecQrels(run: EvaluationRun): string {
  return formatQrels(qrelsFromRecord(run.qrels));
}

/** One export as text; `variant` is required for trec-run when the run has several variants. */
export function exportRun(run: EvaluationRun, format: ExportFormat, variant?: string | null): string {
  switch (format) {
    case 'csv':
      return queriesCsv(run);
    case 'aggregates-csv':
      return aggregatesCsv(run);
    case 'comparisons-csv':
      return comparisonsCsv(run);
    case 'jsonl':
      return toJsonLines(run);
    case 'trec-qrels':
      return trecQrels(run);
    case 'trec-run': {
      const names = run.variants.map((v) => v.name);
      const chosen = variant ?? (names.length === 1 ? names[0] : null);
      if (!chosen) throw new InvalidInputError(`a TREC run holds one variant: name one of ${names.join(', ')}`);
      return trecRun(run, chosen);
    }
  }
}

/** File names of a run's exports, relative to its output folder. */
export function exportFiles(run: EvaluationRun): { file: string; format: ExportFormat; variant?: string }[] {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return [
    { file: 'queries.csv', format: 'csv' },
    { file: 'aggregates.csv', format: 'aggregates-csv' },
    { file: 'comparisons.csv', format: 'comparisons-csv' },
    { file: 'run.jsonl', format: 'jsonl' },
    { file: 'qrels.txt', format: 'trec-qrels' },
    ...run.variants.map((v) => ({ file: `${safe(v.name)}.run`, format: 'trec-run' as const, variant: v.name })),
  ];
}
