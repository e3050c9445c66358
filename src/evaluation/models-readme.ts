/**
 * The metric tables of models/README.md, generated from evaluation runs (one implementation of each
 * metric: this module only formats recorded runs). The section between the markers is replaced;
 * the markers are appended when absent. A README can hold several such sections, each between the
 * markers of its name (`<!-- NAME:start -->`, `<!-- NAME:end -->`); the default one is "metrics".
 */
import { InvalidInputError } from '../domain/errors';
import type { EvaluationRun, MetricAggregate } from './evaluation-run';
import { COLOUR_CATEGORY_SEGMENTS } from './seed-judgement-sets';

export const DEFAULT_SECTION = 'metrics';
export const SECTION_NAME = /^[a-z][a-z0-9-]*$/;

/** The markers around the section `name` (the default section: `<!-- metrics:start -->` ... `<!-- metrics:end -->`). */
export function sectionMarkers(name: string = DEFAULT_SECTION): { start: string; end: string } {
  if (!SECTION_NAME.test(name)) throw new InvalidInputError(`metrics section name "${name}" must be lower-case letters, digits and hyphens, starting with a letter`);
  return { start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` };
}

export const METRICS_START = sectionMarkers().start;
export const METRICS_END = sectionMarkers().end;

/** Segments of the text set whose P@10 the text tables show (see SeedJudgementSets). */
export const TEXT_P10_SEGMENTS: Array<{ segment: string; column: string }> = [
  { segment: COLOUR_CATEGORY_SEGMENTS.all, column: 'P@10 (colour+category)' },
  { segment: COLOUR_CATEGORY_SEGMENTS.literal, column: 'P@10 literal' },
  { segment: COLOUR_CATEGORY_SEGMENTS.paraphrased, column: 'P@10 paraphrased' },
];

/** Metrics per set as the CLI runs them (and as the tables read them). */
export const SET_METRICS: Record<string, string[]> = {
  text: ['mrr', 'map', 'ndcg@10', 'p@50', 'r@50', 'p@10'],
  composed: ['r@10', 'r@50', 'mrr'],
  realshot: ['mrr', 'r@1', 'r@10', 'r@50'],
  image: ['mrr', 'map', 'ndcg@10', 'r@10'],
  outfits: ['mrr', 'hit@1'],
  index: ['r@10'],
};

/** Relative gains reported in the literature, printed beside ours. */
export const PAPER_TEXT_GAINS: Record<string, number> = { mrr: 0.078, map: 0.158, 'ndcg@10': 0.088 };
export const PAPER_COMPOSED_GAIN = '18-21%';

const num = (x: number): string => x.toFixed(3);
const withCi = (a: MetricAggregate | undefined): string => (a ? `${num(a.mean)} [${num(a.lower)}, ${num(a.upper)}]` : 'n/a');
const gain = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const pValue = (p: number): string => (p < 0.0001 ? '<0.0001' : p.toFixed(4));

function agg(run: EvaluationRun, variant: string, metric: string, segment?: string): MetricAggregate | undefined {
  const v = run.variants.find((x) => x.name === variant);
  if (!v) return undefined;
  const list = segment ? v.segments.find((s) => s.segment === segment)?.aggregates : v.aggregates;
  return list?.find((a) => a.metric === metric);
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function provenance(run: EvaluationRun): string {
  const models = run.models.map((m) => `${m.name}@${m.version}`).join(', ');
  return `_Run ${run.id} (${run.createdAt.slice(0, 10)}): ${run.set.scoredQueries} queries, data ${run.catalog.dataHash ?? 'unknown'}, models ${models || 'none'}; ${Math.round(run.settings.confidenceLevel * 100)}% bootstrap intervals (${run.settings.bootstrapSamples} resamples, seed ${run.settings.seed})._`;
}

function comparisonFor(run: EvaluationRun, variant: string, metric: string) {
  return run.comparisons.find((c) => c.variant === variant && c.metric === metric);
}

function textSection(run: EvaluationRun): string {
  const metrics = SET_METRICS.text.filter((m) => run.settings.metrics.includes(m) && m !== 'p@10');
  const header = ['Variant', ...metrics.map(label), ...TEXT_P10_SEGMENTS.map((s) => s.column)];
  const rows = run.variants.map((v) => [
    v.name,
    ...metrics.map((m) => withCi(agg(run, v.name, m))),
    ...TEXT_P10_SEGMENTS.map((s) => withCi(agg(run, v.name, 'p@10', s.segment))),
  ]);
  const size = (segment: string): number => run.variants[0]?.segments.find((s) => s.segment === segment)?.queries ?? 0;
  const baseline = run.comparisons[0]?.baseline;
  const last = run.variants[run.variants.length - 1]?.name;
  const lines = ['### Text queries', '', table(header, rows), ''];
  if (size(COLOUR_CATEGORY_SEGMENTS.all) > 0) {
    lines.push(
      `${run.set.scoredQueries} queries, ${size(COLOUR_CATEGORY_SEGMENTS.all)} of them naming a colour and a category: ${size(COLOUR_CATEGORY_SEGMENTS.literal)} literal (both named word for word, "blue ankle boots") and ${size(COLOUR_CATEGORY_SEGMENTS.paraphrased)} paraphrased (a synonym or a misspelling for either, "cobalt booties").`,
      '',
    );
  }
  if (baseline && last && last !== baseline) {
    const gains = Object.keys(PAPER_TEXT_GAINS)
      .filter((m) => run.settings.metrics.includes(m))
      .map((m) => {
        const c = comparisonFor(run, last, m);
        return [label(m), gain(c?.relativeGain ?? null), gain(PAPER_TEXT_GAINS[m]), c ? pValue(c.permutationP) : 'n/a', c ? pValue(c.tTestP) : 'n/a'];
      });
    lines.push(
      `Relative gain of ${last} over ${baseline} (the paper reported RoBERTa over GRU):`,
      '',
      table(['Metric', 'Ours', 'Paper', 'Randomisation p', 't-test p'], gains),
      '',
    );
  }
  lines.push(provenance(run));
  return lines.join('\n');
}

function composedSection(run: EvaluationRun): string {
  const rows = run.variants.map((v) => {
    const r10 = agg(run, v.name, 'r@10');
    const r50 = agg(run, v.name, 'r@50');
    return [v.name, withCi(r10), withCi(r50), r10 && r50 ? num((r10.mean + r50.mean) / 2) : 'n/a'];
  });
  const lines = ['### Composed queries', '', table(['Variant', 'R@10', 'R@50', 'Mean'], rows), ''];
  const fusion = run.variants.find((v) => v.name === 'fusion');
  if (fusion) {
    const mean = (name: string): number => ((agg(run, name, 'r@10')?.mean ?? 0) + (agg(run, name, 'r@50')?.mean ?? 0)) / 2;
    const baselines = run.variants.filter((v) => v.name !== 'fusion');
    if (baselines.length) {
      const best = baselines.reduce((a, b) => (mean(b.name) > mean(a.name) ? b : a));
      const rel = mean(best.name) === 0 ? null : (mean('fusion') - mean(best.name)) / mean(best.name);
      lines.push(`Fusion over the best baseline (${best.name}) on mean recall: ${gain(rel)} (DeepStyle reported ${PAPER_COMPOSED_GAIN} over its baselines).`, '');
    }
  }
  lines.push(provenance(run));
  return lines.join('\n');
}

function genericSection(run: EvaluationRun, title: string): string {
  const metrics = run.settings.metrics;
  const rows = run.variants.map((v) => [v.name, ...metrics.map((m) => withCi(agg(run, v.name, m)))]);
  return [`### ${title}`, '', table(['Variant', ...metrics.map(label)], rows), '', provenance(run)].join('\n');
}

function indexSection(run: EvaluationRun): string {
  const hnsw = agg(run, 'hnsw', 'r@10');
  return [
    '### Index: HNSW against exact search',
    '',
    table(['Recall of HNSW top-10 vs exact top-10'], [[withCi(hnsw)]]),
    '',
    provenance(run),
  ].join('\n');
}

export function label(metric: string): string {
  const [kind, k] = metric.split('@');
  const base = { mrr: 'MRR', map: 'MAP', ndcg: 'NDCG', p: 'P', r: 'R', hit: 'Hit' }[kind] ?? metric;
  return k ? `${base}@${k}` : base;
}

/** Columns of the search-service tables, per set (P@10 of text is the colour+category segment). */
export const SERVICE_TABLE_METRICS: Record<string, string[]> = {
  text: ['mrr', 'map', 'ndcg@10', 'p@10', 'p@50', 'r@50'],
  composed: ['r@10', 'r@50'],
  realshot: ['mrr', 'r@10'],
};

const SERVICE_SET_TITLES: Record<string, string> = { text: 'Text queries', composed: 'Composed queries', realshot: 'Real-shot photos' };

/**
 * The search service's runs (src/evaluation/search-service-variants.ts): what users get, re-ranking
 * included. Its synonym table was written for the catalogue's vocabulary, so these numbers are an
 * upper bound for unseen phrasing; the tower tables above are the model comparison.
 */
function serviceSection(runs: EvaluationRun[]): string {
  const lines = [
    '### Search service',
    '',
    'The API\'s search service end to end (dense sources, BM25, RRF, attribute re-ranking). The re-ranker\'s synonym table was written for the catalogue\'s vocabulary and overlaps the query wording, so these numbers are an upper bound for unseen phrasing; the tower tables above are the model comparison.',
  ];
  for (const set of Object.keys(SERVICE_TABLE_METRICS)) {
    const run = runs.find((r) => r.set.name === set);
    if (!run) continue;
    const metrics = SERVICE_TABLE_METRICS[set];
    const header = ['Variant', ...metrics.map((m) => (set === 'text' && m === 'p@10' ? 'P@10 (colour+category)' : label(m)))];
    const rows = run.variants.map((v) => [
      v.name,
      ...metrics.map((m) => withCi(set === 'text' && m === 'p@10' ? agg(run, v.name, m, COLOUR_CATEGORY_SEGMENTS.all) : agg(run, v.name, m))),
    ]);
    lines.push('', `#### ${SERVICE_SET_TITLES[set]}`, '', table(header, rows), '', provenance(run));
  }
  return lines.join('\n');
}

/**
 * The markdown of the metric tables for the given runs (one per set); `serviceRuns` (runs of the
 * search-service variants on the text, composed and realshot sets) add the "Search service" tables.
 */
export function metricTables(runs: EvaluationRun[], command: string, serviceRuns: EvaluationRun[] = []): string {
  const by = (name: string) => runs.find((r) => r.set.name === name);
  const parts: string[] = [];
  const text = by('text');
  if (text) parts.push(textSection(text));
  const composed = by('composed');
  if (composed) parts.push(composedSection(composed));
  const realshot = by('realshot');
  if (realshot) parts.push(genericSection(realshot, 'Real-shot photos'));
  const image = by('image');
  if (image) parts.push(genericSection(image, 'Image queries (other variants of the style)'));
  const outfits = by('outfits');
  if (outfits) parts.push(genericSection(outfits, 'Outfits: fill in the blank'));
  const index = by('index');
  if (index) parts.push(indexSection(index));
  if (serviceRuns.some((r) => SERVICE_TABLE_METRICS[r.set.name])) parts.push(serviceSection(serviceRuns));
  return [`Generated by \`${command}\`; do not edit by hand. Means with ${runs[0] ? Math.round(runs[0].settings.confidenceLevel * 100) : 95}% bootstrap confidence intervals.`, '', parts.join('\n\n')].join('\n');
}

/**
 * Replaces the section `name` between its markers, or appends a heading, the markers and the section
 * when the markers are absent.
 */
export function replaceMetricsSection(readme: string, section: string, name: string = DEFAULT_SECTION): string {
  const markers = sectionMarkers(name);
  const start = readme.indexOf(markers.start);
  const end = readme.indexOf(markers.end);
  const block = `${markers.start}\n${section.trim()}\n${markers.end}`;
  if (start >= 0 && end > start) return readme.slice(0, start) + block + readme.slice(end + markers.end.length);
  if (start >= 0 || end >= 0) throw new InvalidInputError(`models README has only one of the markers ${markers.start} / ${markers.end}: fix it by hand`);
  const base = readme.trimEnd();
  const heading = name === DEFAULT_SECTION ? 'Metrics' : `Metrics: ${name}`;
  return `${base}${base ? '\n\n' : ''}## ${heading}\n\n${block}\n`;
}
