/**
 * The metric tables of models/README.md, generated from evaluation runs (one implementation of each
 * metric: this module only formats recorded runs). The section between the markers is replaced;
 * the markers are appended when absent. A README can hold several such sections, each between the
 * markers of its name (`<!-- NAME:start -->`, `<!-- NAME:end -->`); the default one is "metrics".
 *
 * Every table says which of its queries are in-distribution (phrased, photographed or judged as
 * training data is) and which are held out. A set without a run leaves its table out.
 */
import { InvalidInputError } from '../domain/errors';
import type { COMPOSED_VARIANTS } from './encoder-variants';
import type { EvaluationRun, MetricAggregate } from './evaluation-run';
import {
  COLOUR_CATEGORY_SEGMENTS,
  COMPOSED_MEANING_KIND_SEGMENTS,
  COMPOSED_SEGMENTS,
  COMPOSED_TARGET_SEGMENTS,
  HELD_OUT_TEXT_KINDS,
  REALSHOT_FAMILIES,
  TEXT_SEGMENTS,
} from './seed-judgement-sets';

export const DEFAULT_SECTION = 'metrics';
export const SECTION_NAME = /^[a-z][a-z0-9-]*$/;

/** The markers around the section `name` (the default section: `<!-- metrics:start -->` ... `<!-- metrics:end -->`). */
export function sectionMarkers(name: string = DEFAULT_SECTION): { start: string; end: string } {
  if (!SECTION_NAME.test(name)) throw new InvalidInputError(`metrics section name "${name}" must be lower-case letters, digits and hyphens, starting with a letter`);
  return { start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` };
}

export const METRICS_START = sectionMarkers().start;
export const METRICS_END = sectionMarkers().end;

/** Segments of the text set whose P@10 the text comparison table shows (see SeedJudgementSets). */
export const TEXT_P10_SEGMENTS: Array<{ segment: string; column: string }> = [
  { segment: COLOUR_CATEGORY_SEGMENTS.all, column: 'P@10 (colour+category)' },
  { segment: COLOUR_CATEGORY_SEGMENTS.literal, column: 'P@10 literal' },
  { segment: COLOUR_CATEGORY_SEGMENTS.paraphrased, column: 'P@10 paraphrased' },
];

/** Columns of the "Vocabulary and phrasing" table: seen and unseen vocabulary, then each held-out kind. */
export const VOCABULARY_COLUMNS: ReadonlyArray<{ segment: string; label: string }> = [
  { segment: TEXT_SEGMENTS.seenVocabulary, label: TEXT_SEGMENTS.seenVocabulary },
  { segment: TEXT_SEGMENTS.unseenVocabulary, label: TEXT_SEGMENTS.unseenVocabulary },
  ...HELD_OUT_TEXT_KINDS.map((k) => ({ segment: k.segment, label: k.label })),
];

/** Tower variants of the composed-by-kind table: the sum-of-embeddings baseline beside fusion. */
export const COMPOSED_KIND_TABLE_VARIANTS: ReadonlyArray<(typeof COMPOSED_VARIANTS)[number]> = ['sum', 'fusion'];

const REALSHOT_METRICS = ['mrr', 'r@1', 'r@10', 'r@50'];

/** Metrics per set as the CLI runs them (and as the tables read them). */
export const SET_METRICS: Record<string, string[]> = {
  text: ['mrr', 'map', 'ndcg@10', 'p@50', 'r@50', 'p@10'],
  composed: ['r@10', 'r@50', 'mrr'],
  'composed-meaning': ['p@10', 'ndcg@10', 'r@50'],
  realshot: REALSHOT_METRICS,
  'realshot-indist': REALSHOT_METRICS,
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

/** A variant's aggregate of `metric`, over all queries or one segment; undefined for an empty segment. */
function agg(run: EvaluationRun, variant: string, metric: string, segment?: string): MetricAggregate | undefined {
  const v = run.variants.find((x) => x.name === variant);
  if (!v) return undefined;
  if (!segment) return v.aggregates.find((a) => a.metric === metric);
  const s = v.segments.find((x) => x.segment === segment);
  return s && s.queries > 0 ? s.aggregates.find((a) => a.metric === metric) : undefined;
}

/** Scored queries of a segment (0 when the run has no such segment). */
function size(run: EvaluationRun, segment: string): number {
  return run.variants[0]?.segments.find((s) => s.segment === segment)?.queries ?? 0;
}

/** (R@10 + R@50) / 2 of a variant, over all queries or a segment; null when either is missing. */
function meanRecall(run: EvaluationRun, variant: string, segment?: string): number | null {
  const r10 = agg(run, variant, 'r@10', segment);
  const r50 = agg(run, variant, 'r@50', segment);
  return r10 && r50 ? (r10.mean + r50.mean) / 2 : null;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const heading = (level: number, title: string): string => `${'#'.repeat(level)} ${title}`;

function provenance(run: EvaluationRun, what?: string): string {
  const models = run.models.map((m) => `${m.name}@${m.version}`).join(', ');
  const split = run.catalog.split ? `${run.catalog.split} split, ` : '';
  const subject = what ? `${what[0].toUpperCase()}${what.slice(1)}: run` : 'Run';
  return `_${subject} ${run.id} (${run.createdAt.slice(0, 10)}): ${run.set.scoredQueries} queries, ${split}data ${run.catalog.dataHash ?? 'unknown'}, models ${models || 'none'}; ${Math.round(run.settings.confidenceLevel * 100)}% bootstrap intervals (${run.settings.bootstrapSamples} resamples, seed ${run.settings.seed})._`;
}

function comparisonFor(run: EvaluationRun, variant: string, metric: string) {
  return run.comparisons.find((c) => c.variant === variant && c.metric === metric);
}

/** "label 12, label 30, ...": the scored queries behind each column. */
function queryCounts(run: EvaluationRun, columns: ReadonlyArray<{ segment: string; label: string }>): string {
  return `Queries per column: ${columns.map((c) => `${c.label} ${size(run, c.segment)}`).join(', ')}.`;
}

/**
 * The text tables of one run: the comparison over all queries with the colour+category P@10, the
 * relative gains (towers only), and the vocabulary and phrasing table of the held-out kinds.
 */
function textSection(run: EvaluationRun, level: number, withGains: boolean): string {
  const metrics = SET_METRICS.text.filter((m) => run.settings.metrics.includes(m) && m !== 'p@10');
  const header = ['Variant', ...metrics.map(label), ...TEXT_P10_SEGMENTS.map((s) => s.column)];
  const rows = run.variants.map((v) => [
    v.name,
    ...metrics.map((m) => withCi(agg(run, v.name, m))),
    ...TEXT_P10_SEGMENTS.map((s) => withCi(agg(run, v.name, 'p@10', s.segment))),
  ]);
  const lines = [heading(level, 'Text queries'), '', table(header, rows), ''];
  const inDistribution = size(run, TEXT_SEGMENTS.inDistribution);
  const heldOut = size(run, TEXT_SEGMENTS.heldOut);
  const counts: string[] = [];
  if (heldOut > 0) {
    counts.push(
      `${run.set.scoredQueries} queries: ${inDistribution} in-distribution (phrased as training queries are) and ${heldOut} held out (phrased with the evaluation-only lexicon, per kind below); ${metrics.map(label).join(', ')} are over all of them.`,
    );
  }
  if (size(run, COLOUR_CATEGORY_SEGMENTS.all) > 0) {
    counts.push(
      `${heldOut > 0 ? 'The P@10 columns hold the' : `${run.set.scoredQueries} queries,`} ${size(run, COLOUR_CATEGORY_SEGMENTS.all)} ${heldOut > 0 ? 'in-distribution queries' : 'of them'} naming a colour and a category: ${size(run, COLOUR_CATEGORY_SEGMENTS.literal)} literal (both named word for word, "blue ankle boots") and ${size(run, COLOUR_CATEGORY_SEGMENTS.paraphrased)} paraphrased (a synonym or a misspelling for either, "cobalt booties").`,
    );
  }
  if (counts.length) lines.push(counts.join(' '), '');
  const baseline = run.comparisons[0]?.baseline;
  const last = run.variants[run.variants.length - 1]?.name;
  if (withGains && baseline && last && last !== baseline) {
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
  if (heldOut > 0 && run.settings.metrics.includes('p@10')) {
    const half = run.catalog.split ? ` (its ${run.catalog.split} half)` : '';
    lines.push(
      heading(level + 1, 'Vocabulary and phrasing (P@10)'),
      '',
      table(
        ['Variant', ...VOCABULARY_COLUMNS.map((c) => c.label)],
        run.variants.map((v) => [v.name, ...VOCABULARY_COLUMNS.map((c) => withCi(agg(run, v.name, 'p@10', c.segment)))]),
      ),
      '',
      queryCounts(run, VOCABULARY_COLUMNS),
      '',
      `Held out: ${HELD_OUT_TEXT_KINDS.map((k) => k.label).join(', ')}. Every held-out kind is phrased with seed/generator/heldout.py's evaluation-only lexicon${half}, which no training text, title or parser table contains; unseen vocabulary holds the held-out queries with an unseen colour or garment word, or a typo in every word. In-distribution: seen vocabulary holds the ${inDistribution} in-distribution queries (phrased as training queries are) together with the held-out queries whose words are all the catalogue's own.`,
      '',
    );
  }
  lines.push(provenance(run));
  return lines.join('\n');
}

/**
 * The composed tables: recall on sibling requests (with fusion over the best baseline), mean recall
 * per kind of request with the held-out cross-style rows marked, and P@10 judged by meaning.
 * `kindVariants` names the variants of the per-kind table (null: every variant of the run).
 */
function composedSection(composed: EvaluationRun | undefined, meaning: EvaluationRun | undefined, level: number, kindVariants: readonly string[] | null): string {
  const lines = [heading(level, 'Composed queries'), ''];
  if (composed) {
    const sibling = COMPOSED_TARGET_SEGMENTS.find((s) => s.target === 'sibling')!.segment;
    const rows = composed.variants.map((v) => {
      const mean = meanRecall(composed, v.name, sibling);
      return [v.name, withCi(agg(composed, v.name, 'r@10', sibling)), withCi(agg(composed, v.name, 'r@50', sibling)), mean === null ? 'n/a' : num(mean)];
    });
    lines.push(
      table(['Variant', 'R@10', 'R@50', 'Mean'], rows),
      '',
      `Sibling requests, ${size(composed, sibling)} of ${composed.set.scoredQueries} queries (in-distribution): the target is the one variant of the reference's own style that differs in the asked attribute, the kind of request training's fusion stage learns from. Mean is (R@10 + R@50) / 2.`,
      '',
    );
    const fusion = composed.variants.find((v) => v.name === 'fusion');
    const baselines = composed.variants.filter((v) => v.name !== 'fusion');
    if (fusion && baselines.length) {
      const mean = (name: string): number => meanRecall(composed, name, sibling) ?? 0;
      const best = baselines.reduce((a, b) => (mean(b.name) > mean(a.name) ? b : a));
      const rel = mean(best.name) === 0 ? null : (mean('fusion') - mean(best.name)) / mean(best.name);
      lines.push(`Fusion over the best baseline (${best.name}) on mean recall of sibling requests: ${gain(rel)} (DeepStyle reported ${PAPER_COMPOSED_GAIN} over its baselines).`, '');
    }
    const columns = composed.variants.map((v) => v.name).filter((n) => kindVariants === null || kindVariants.includes(n));
    if (columns.length && COMPOSED_SEGMENTS.some((s) => size(composed, s.segment) > 0)) {
      lines.push(
        heading(level + 1, 'Composed queries by kind: (R@10 + R@50) / 2'),
        '',
        table(
          ['Requests', 'Queries', 'Distribution', ...columns],
          COMPOSED_SEGMENTS.map((s) => [
            s.segment,
            String(size(composed, s.segment)),
            s.heldOut ? `held out: ${s.heldOut}` : 'in-distribution',
            ...columns.map((n) => {
              const m = meanRecall(composed, n, s.segment);
              return m === null ? 'n/a' : num(m);
            }),
          ]),
        ),
        '',
        "Cross-style requests are phrased as sibling ones, but their targets are products of other styles with the reference's category, the asked value and the reference's other visual attributes (1 to 50 each), which training's fusion stage never targets; two changes ask for a colour of another family and a material or pattern at once.",
        '',
      );
    }
    lines.push(provenance(composed));
  }
  if (meaning) {
    const columns = [{ segment: '', label: 'all' }, ...COMPOSED_MEANING_KIND_SEGMENTS.map((s) => ({ segment: s.segment, label: s.segment }))];
    const value = (variant: string, segment: string): string => withCi(agg(meaning, variant, 'p@10', segment || undefined));
    const counts = columns.map((c) => `${c.label} ${c.segment ? size(meaning, c.segment) : meaning.set.scoredQueries}`).join(', ');
    const twoChanges = COMPOSED_MEANING_KIND_SEGMENTS.find((s) => s.kind === 'two-attribute')!.segment;
    lines.push(
      ...(composed ? [''] : []),
      heading(level + 1, 'Composed queries judged by meaning (P@10)'),
      '',
      table(
        ['Variant', ...columns.map((c) => c.label)],
        meaning.variants.map((v) => [v.name, ...columns.map((c) => value(v.name, c.segment))]),
      ),
      '',
      `Queries per column: ${counts}.`,
      '',
      `Every product of the split other than the reference with the reference's category and each asked value is relevant, whatever its style and other attributes. The judgement is held out as a whole: training's fusion stage only ever targets a variant of the reference's own style. The one-change requests are phrased as in training; ${twoChanges} (two requests joined by "and") are held out as requests too.`,
      '',
      provenance(meaning),
    );
  }
  return lines.join('\n');
}

/** Both real-shot families in one table, held-out family first. */
function realshotSection(runs: Map<string, EvaluationRun>, level: number): string {
  const families = REALSHOT_FAMILIES.filter((f) => runs.has(f.set));
  const metrics = SET_METRICS.realshot.filter((m) => families.some((f) => runs.get(f.set)!.settings.metrics.includes(m)));
  const rows = families.flatMap((f) => {
    const run = runs.get(f.set)!;
    return run.variants.map((v) => [f.label, String(run.set.scoredQueries), v.name, ...metrics.map((m) => withCi(agg(run, v.name, m)))]);
  });
  return [
    heading(level, 'Real-shot photos'),
    '',
    table(['Family', 'Photos', 'Variant', ...metrics.map(label)], rows),
    '',
    "Held-out family: a perspective warp, light falling off across the garment with a cast shadow, motion blur, skin-toned fingers over the garment and chroma-subsampled JPEG at quality 20-45, none of which training's augmentations use. In-distribution family: crops, cluttered backgrounds, rotation, global lighting, Gaussian blur and JPEG without chroma subsampling, as training's augmentations do (seed/README.md).",
    '',
    families.map((f) => provenance(runs.get(f.set)!, f.label)).join('\n\n'),
  ].join('\n');
}

function genericSection(run: EvaluationRun, title: string, note: string): string {
  const metrics = run.settings.metrics;
  const rows = run.variants.map((v) => [v.name, ...metrics.map((m) => withCi(agg(run, v.name, m)))]);
  return [`### ${title}`, '', table(['Variant', ...metrics.map(label)], rows), '', note, '', provenance(run)].join('\n');
}

function indexSection(run: EvaluationRun): string {
  const hnsw = agg(run, 'hnsw', 'r@10');
  return [
    '### Index: HNSW against exact search',
    '',
    table(['Recall of HNSW top-10 vs exact top-10'], [[withCi(hnsw)]]),
    '',
    `The first ${run.set.scoredQueries} text queries, each judged by its exact top 10 with the default text tower: this measures the approximate index against exact search, not a model against judgements, so it has no held-out part.`,
    '',
    provenance(run),
  ].join('\n');
}

export function label(metric: string): string {
  const [kind, k] = metric.split('@');
  const base = { mrr: 'MRR', map: 'MAP', ndcg: 'NDCG', p: 'P', r: 'R', hit: 'Hit' }[kind] ?? metric;
  return k ? `${base}@${k}` : base;
}

/** Sets whose search-service runs the "Search service" tables show. */
const SERVICE_SETS = ['text', 'composed', 'composed-meaning', 'realshot', 'realshot-indist'];

/**
 * The search service's runs (src/evaluation/search-service-variants.ts): what users get, re-ranking
 * included, in the same tables as the towers. Its tables were written for the catalogue's
 * vocabulary, so its in-distribution numbers are an upper bound; the held-out columns show unseen
 * phrasing.
 */
function serviceSection(runs: EvaluationRun[]): string {
  const by = (name: string) => runs.find((r) => r.set.name === name);
  const parts = [
    [
      '### Search service',
      '',
      "The API's search service end to end: query understanding (spelling, recognised attributes, exclusions, prices), the dense sources, the attribute source and BM25 fused by RRF, attribute re-ranking; `search-no-understanding` searches the text as typed. Query understanding learns the catalogue's phrases from the train split's titles, which the generator writes with the same synonym tables as the in-distribution queries, so their numbers are an upper bound; the held-out columns are phrased with the evaluation-only lexicon, which no table of the service contains, and show what unseen phrasing gets. The tower tables above are the model comparison.",
    ].join('\n'),
  ];
  const text = by('text');
  if (text) parts.push(textSection(text, 4, false));
  const composed = by('composed');
  const meaning = by('composed-meaning');
  if (composed || meaning) parts.push(composedSection(composed, meaning, 4, null));
  const realshot = realshotRuns(runs);
  if (realshot.size) parts.push(realshotSection(realshot, 4));
  return parts.join('\n\n');
}

function realshotRuns(runs: EvaluationRun[]): Map<string, EvaluationRun> {
  const out = new Map<string, EvaluationRun>();
  for (const f of REALSHOT_FAMILIES) {
    const run = runs.find((r) => r.set.name === f.set);
    if (run) out.set(f.set, run);
  }
  return out;
}

/**
 * The markdown of the metric tables for the given runs (one per set); `serviceRuns` (runs of the
 * search-service variants on the text, composed and real-shot sets) add the "Search service" tables.
 */
export function metricTables(runs: EvaluationRun[], command: string, serviceRuns: EvaluationRun[] = []): string {
  const by = (name: string) => runs.find((r) => r.set.name === name);
  const parts: string[] = [];
  const text = by('text');
  if (text) parts.push(textSection(text, 3, true));
  const composed = by('composed');
  const meaning = by('composed-meaning');
  if (composed || meaning) parts.push(composedSection(composed, meaning, 3, COMPOSED_KIND_TABLE_VARIANTS));
  const realshot = realshotRuns(runs);
  if (realshot.size) parts.push(realshotSection(realshot, 3));
  const image = by('image');
  if (image) {
    parts.push(
      genericSection(
        image,
        'Image queries (other variants of the style)',
        "Each style's base render is the query and the style's other variants are relevant: clean renders as in training (in-distribution), of styles training never learns from.",
      ),
    );
  }
  const outfits = by('outfits');
  if (outfits) {
    parts.push(
      genericSection(
        outfits,
        'Outfits: fill in the blank',
        "Four candidates per blank, only one completing a compatible outfit, over products of styles training never learns from; the compatibility rules are those of the training outfits (in-distribution).",
      ),
    );
  }
  const index = by('index');
  if (index) parts.push(indexSection(index));
  if (serviceRuns.some((r) => SERVICE_SETS.includes(r.set.name))) parts.push(serviceSection(serviceRuns));
  const splits = [...new Set([...runs, ...serviceRuns].map((r) => r.catalog.split).filter((s): s is string => !!s))];
  const on = splits.length ? ` Judged on the ${splits.join(' and ')} split${splits.length > 1 ? 's' : ''} of the catalogue.` : '';
  const first = runs[0] ?? serviceRuns[0];
  const level = first ? Math.round(first.settings.confidenceLevel * 100) : 95;
  return [`Generated by \`${command}\`; do not edit by hand. Means with ${level}% bootstrap confidence intervals.${on}`, '', parts.join('\n\n')].join('\n');
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
