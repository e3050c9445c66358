import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import type { EvaluationRun, JudgementSet, MetricAggregate, QuerySegment } from '../../../src/evaluation/evaluation-run';
import { METRICS_END, METRICS_START, metricTables, replaceMetricsSection, SET_METRICS } from '../../../src/evaluation/models-readme';
import { renderReport } from '../../../src/evaluation/report.html';
import { COLOUR_CATEGORY_SEGMENTS, HELD_OUT_TEXT_KINDS, TEXT_SEGMENTS } from '../../../src/evaluation/seed-judgement-sets';
import { buildSet, buildVariant } from './fakes';

const settings = { createdAt: '2026-01-01T00:00:00.000Z', bootstrapSamples: 100, permutationSamples: 100 };
const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `q${from + i}`);

/**
 * 40 text queries: q0..q11 in-distribution (q0..q5 colour+category, q0 and q1 literal), q12..q39
 * held out, their kinds in turn: literal, unseen colour, unseen category and unseen both 4 each,
 * the other four kinds 3 each.
 */
const heldKind = (i: number) => HELD_OUT_TEXT_KINDS[(i - 12) % HELD_OUT_TEXT_KINDS.length];
const unseenKinds = new Set<string>(['unseen-color', 'unseen-category', 'unseen-both', 'typo']);
const held = Array.from({ length: 28 }, (_, j) => 12 + j);
const textSegments: QuerySegment[] = [
  { name: COLOUR_CATEGORY_SEGMENTS.all, queryIds: ids(0, 6) },
  { name: COLOUR_CATEGORY_SEGMENTS.literal, queryIds: ids(0, 2) },
  { name: COLOUR_CATEGORY_SEGMENTS.paraphrased, queryIds: ids(2, 6) },
  { name: TEXT_SEGMENTS.seenVocabulary, queryIds: [...ids(0, 12), ...held.filter((i) => !unseenKinds.has(heldKind(i).kind)).map((i) => `q${i}`)] },
  { name: TEXT_SEGMENTS.unseenVocabulary, queryIds: held.filter((i) => unseenKinds.has(heldKind(i).kind)).map((i) => `q${i}`) },
  { name: TEXT_SEGMENTS.inDistribution, queryIds: ids(0, 12) },
  { name: TEXT_SEGMENTS.heldOut, queryIds: ids(12, 40) },
  ...HELD_OUT_TEXT_KINDS.map((k) => ({ name: k.segment, queryIds: held.filter((i) => heldKind(i).kind === k.kind).map((i) => `q${i}`) })),
];

/** 30 composed queries: 20 sibling (5 per kind), 10 cross-style (5 with one change, 5 with two). */
const composedSegments: QuerySegment[] = [
  { name: 'sibling', queryIds: ids(0, 20) },
  { name: 'cross-style', queryIds: ids(20, 30) },
  { name: 'sibling: colour', queryIds: ids(0, 5) },
  { name: 'sibling: shade', queryIds: ids(5, 10) },
  { name: 'sibling: pattern', queryIds: ids(10, 15) },
  { name: 'sibling: material', queryIds: ids(15, 20) },
  { name: 'cross-style (one change)', queryIds: ids(20, 25) },
  { name: 'cross-style (two changes)', queryIds: ids(25, 30) },
];
const meaningSegments: QuerySegment[] = [
  { name: 'colour', queryIds: ids(0, 10) },
  { name: 'shade', queryIds: ids(10, 15) },
  { name: 'pattern', queryIds: ids(15, 20) },
  { name: 'material', queryIds: ids(20, 25) },
  { name: 'two changes', queryIds: ids(25, 30) },
  { name: 'sibling', queryIds: ids(0, 20) },
  { name: 'cross-style', queryIds: ids(20, 30) },
];

const set = (name: string, n: number, segments: QuerySegment[], split = 'test'): JudgementSet => ({ ...buildSet(n), name, segments, split });
const run = (s: JudgementSet, variants: ReturnType<typeof buildVariant>[], extra: object = {}) =>
  runEvaluation(s, variants, { ...settings, id: `ev-${s.name}`, metrics: SET_METRICS[s.name], ...extra });

const ci = (a: MetricAggregate): string => `${a.mean.toFixed(3)} [${a.lower.toFixed(3)}, ${a.upper.toFixed(3)}]`;
const segmentAgg = (r: EvaluationRun, variant: string, segment: string, metric: string): MetricAggregate =>
  r.variants.find((v) => v.name === variant)!.segments.find((s) => s.segment === segment)!.aggregates.find((a) => a.metric === metric)!;
const meanRecall = (r: EvaluationRun, variant: string, segment: string): string =>
  ((segmentAgg(r, variant, segment, 'r@10').mean + segmentAgg(r, variant, segment, 'r@50').mean) / 2).toFixed(3);

let text: EvaluationRun;
let composed: EvaluationRun;
let meaning: EvaluationRun;
let realshot: EvaluationRun;
let realshotIndist: EvaluationRun;
let index: EvaluationRun;
beforeAll(async () => {
  text = await run(set('text', 40, textSegments), [buildVariant('fashion-text-gru', 0.2, 1), buildVariant('fashion-text-pretriplet', 0.4, 2), buildVariant('fashion-text', 0.6, 3)]);
  const composedVariants = [buildVariant('image-only', 0.1, 1), buildVariant('text-only', 0.2, 2), buildVariant('sum', 0.3, 3), buildVariant('fusion', 0.6, 4)];
  composed = await run(set('composed', 30, composedSegments), composedVariants);
  meaning = await run(set('composed-meaning', 30, meaningSegments), composedVariants);
  realshot = await run(set('realshot', 20, []), [buildVariant('fashion-image', 0.3, 5)]);
  realshotIndist = await run(set('realshot-indist', 10, []), [buildVariant('fashion-image', 0.7, 6)]);
  index = await run(set('index', 10, []), [buildVariant('exact', 1, 1), buildVariant('hnsw', 0.9, 1)], { depth: 10 });
});

describe('HTML report', () => {
  it('is one offline document with an SVG chart per metric and per-query distributions', () => {
    const html = renderReport([text, composed], { title: 'Report <&>' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('Report &lt;&amp;&gt;');
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect((html.match(/<svg /g) ?? []).length).toBe(2 * (6 + 3));
    expect(html).toContain('aria-label="mrr with confidence intervals"');
    expect(html).toContain('aria-label="r@10 per-query distribution"');
    for (const v of text.variants) expect(html).toContain(v.name);
    expect(html).toContain('colour+category');
    expect(html).toContain('Paired tests against fashion-text-gru');
    expect(html).toContain('data: sha256:test (test split)');
  });
});

describe('models README tables', () => {
  const tables = () => metricTables([text, composed, meaning, realshot, realshotIndist, index], 'npm run eval -- --set all --write-models-readme');

  it('prints the text comparison with relative gains beside the paper and says what is in-distribution', () => {
    const md = tables();
    expect(md).toContain('Judged on the test split of the catalogue.');
    expect(md).toContain('| Variant | MRR | MAP | NDCG@10 | P@50 | R@50 | P@10 (colour+category) | P@10 literal | P@10 paraphrased |\n');
    expect(md).toMatch(/\| fashion-text-gru( \| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]){8} \|\n/);
    expect(md).toContain('40 queries: 12 in-distribution (phrased as training queries are) and 28 held out');
    expect(md).toContain('The P@10 columns hold the 6 in-distribution queries naming a colour and a category: 2 literal');
    expect(md).toContain('and 4 paraphrased');
    const mrr = text.comparisons.find((c) => c.variant === 'fashion-text' && c.metric === 'mrr')!;
    expect(md).toContain(`| MRR | +${(mrr.relativeGain! * 100).toFixed(1)}% | +7.8% |`);
    expect(md).toContain('+15.8%');
    expect(md).toContain('_Run ev-text (2026-01-01): 40 queries, test split, data sha256:test, models fashion-text@1.0.0');
  });

  it('prints the vocabulary and phrasing table with every held-out kind, its values and the queries per column', () => {
    const md = tables();
    expect(md).toContain('#### Vocabulary and phrasing (P@10)');
    expect(md).toContain(
      '| Variant | seen vocabulary | unseen vocabulary | literal | unseen colour | unseen category | unseen both | one typo per word | in a sentence | exclusion | price |\n',
    );
    expect(md).toMatch(/\| fashion-text-pretriplet( \| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]){10} \|\n/);
    const row = md.split('\n').find((l) => l.startsWith('| fashion-text |') && l.split('|').length === 13)!;
    const cells = row.split('|').slice(2, -1).map((c) => c.trim());
    expect(cells[1]).toBe(ci(segmentAgg(text, 'fashion-text', TEXT_SEGMENTS.unseenVocabulary, 'p@10')));
    expect(cells[3]).toBe(ci(segmentAgg(text, 'fashion-text', 'unseen colour word', 'p@10')));
    expect(cells[9]).toBe(ci(segmentAgg(text, 'fashion-text', 'under a price', 'p@10')));
    expect(md).toContain(
      'Queries per column: seen vocabulary 25, unseen vocabulary 15, literal 4, unseen colour 4, unseen category 4, unseen both 4, one typo per word 3, in a sentence 3, exclusion 3, price 3.',
    );
    expect(md).toContain('Held out: literal, unseen colour, unseen category, unseen both, one typo per word, in a sentence, exclusion, price.');
    expect(md).toContain("phrased with seed/generator/heldout.py's evaluation-only lexicon (its test half), which no training text, title or parser table contains");
    expect(md).toContain('In-distribution: seen vocabulary holds the 12 in-distribution queries');
  });

  it('leaves the vocabulary table out of a text run without held-out queries', async () => {
    const old = await run(set('text', 10, textSegments.slice(0, 3)), [buildVariant('fashion-text', 0.6, 3)]);
    const md = metricTables([old], 'cmd');
    expect(md).toContain('10 queries, 6 of them naming a colour and a category: 2 literal');
    expect(md).not.toContain('Vocabulary and phrasing');
  });

  it('prints composed recall on sibling requests, mean recall per kind with cross-style rows held out, and P@10 by meaning', () => {
    const md = tables();
    expect(md).toContain('| Variant | R@10 | R@50 | Mean |');
    expect(md).toContain(`| fusion | ${ci(segmentAgg(composed, 'fusion', 'sibling', 'r@10'))} | ${ci(segmentAgg(composed, 'fusion', 'sibling', 'r@50'))} | ${meanRecall(composed, 'fusion', 'sibling')} |`);
    expect(md).toContain('Sibling requests, 20 of 30 queries (in-distribution)');
    const best = ['image-only', 'text-only', 'sum'].reduce((a, b) => (Number(meanRecall(composed, b, 'sibling')) > Number(meanRecall(composed, a, 'sibling')) ? b : a));
    expect(md).toMatch(new RegExp(`Fusion over the best baseline \\(${best}\\) on mean recall of sibling requests: [+-]\\d+\\.\\d% \\(DeepStyle reported 18-21%`));

    expect(md).toContain('#### Composed queries by kind: (R@10 + R@50) / 2');
    expect(md).toContain('| Requests | Queries | Distribution | sum | fusion |');
    expect(md).toContain(`| sibling: colour | 5 | in-distribution | ${meanRecall(composed, 'sum', 'sibling: colour')} | ${meanRecall(composed, 'fusion', 'sibling: colour')} |`);
    expect(md).toContain(
      `| cross-style (two changes) | 5 | held out: targets outside the reference's style | ${meanRecall(composed, 'sum', 'cross-style (two changes)')} | ${meanRecall(composed, 'fusion', 'cross-style (two changes)')} |`,
    );
    expect(md).toContain("| cross-style (one change) | 5 | held out: targets outside the reference's style |");

    expect(md).toContain('#### Composed queries judged by meaning (P@10)');
    expect(md).toContain('| Variant | all | colour | shade | pattern | material | two changes |');
    expect(md).toMatch(/\| image-only( \| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]){6} \|\n/);
    expect(md).toContain(`| fusion | ${ci(meaning.variants[3].aggregates.find((a) => a.metric === 'p@10')!)} | ${ci(segmentAgg(meaning, 'fusion', 'colour', 'p@10'))} |`);
    expect(md).toContain('Queries per column: all 30, colour 10, shade 5, pattern 5, material 5, two changes 5.');
    expect(md).toContain('The judgement is held out as a whole');
    expect(md).toContain('_Run ev-composed-meaning (2026-01-01): 30 queries, test split');
  });

  it('prints both real-shot families in one table, the held-out family first', () => {
    const md = tables();
    expect(md).toContain('| Family | Photos | Variant | MRR | R@1 | R@10 | R@50 |');
    const heldOut = md.indexOf('| held-out family | 20 | fashion-image |');
    const indist = md.indexOf('| in-distribution family | 10 | fashion-image |');
    expect(heldOut).toBeGreaterThan(0);
    expect(indist).toBeGreaterThan(heldOut);
    expect(md).toContain(`| in-distribution family | 10 | fashion-image | ${ci(realshotIndist.variants[0].aggregates[0])} |`);
    expect(md).toContain('_Held-out family: run ev-realshot (2026-01-01): 20 queries');
    expect(md).toContain('._\n\n_In-distribution family: run ev-realshot-indist (2026-01-01): 10 queries');
    expect(md).toContain('Recall of HNSW top-10 vs exact top-10');
  });

  it('leaves out the tables of sets without a run', () => {
    const md = metricTables([realshotIndist], 'cmd');
    expect(md).toContain('| in-distribution family | 10 | fashion-image |');
    expect(md).not.toContain('held-out family |');
    expect(md).not.toContain('### Text queries');
    expect(md).not.toContain('### Composed queries');
    const onlyMeaning = metricTables([meaning], 'cmd');
    expect(onlyMeaning).toContain('### Composed queries');
    expect(onlyMeaning).toContain('#### Composed queries judged by meaning (P@10)');
    expect(onlyMeaning).not.toContain('| Variant | R@10 | R@50 | Mean |');
  });

  it('names the split of validation runs', async () => {
    const validation = await run(set('realshot', 20, [], 'validation'), [buildVariant('fashion-image', 0.3, 5)]);
    const md = metricTables([validation], 'cmd');
    expect(md).toContain('Judged on the validation split of the catalogue.');
    expect(md).toContain('20 queries, validation split, data sha256:test');
  });

  it('replaces only the section between the markers, and adds markers when absent', () => {
    const readme = `# Models\n\nintro\n\n${METRICS_START}\nold table\n${METRICS_END}\n\n## Training\nkeep me\n`;
    const out = replaceMetricsSection(readme, 'NEW');
    expect(out).toBe(`# Models\n\nintro\n\n${METRICS_START}\nNEW\n${METRICS_END}\n\n## Training\nkeep me\n`);
    expect(replaceMetricsSection(out, 'NEWER')).toContain(`${METRICS_START}\nNEWER\n${METRICS_END}`);
    expect(replaceMetricsSection('# Models\n', 'T')).toBe(`# Models\n\n## Metrics\n\n${METRICS_START}\nT\n${METRICS_END}\n`);
    expect(() => replaceMetricsSection(`# M\n${METRICS_START}\n`, 'T')).toThrow(/only one of the markers/);
  });

  it('keeps named sections apart', () => {
    const both = replaceMetricsSection(replaceMetricsSection('# Models\n', 'DEMO'), 'FULL', 'metrics-full-catalogue');
    expect(both).toBe(
      `# Models\n\n## Metrics\n\n${METRICS_START}\nDEMO\n${METRICS_END}\n\n## Metrics: metrics-full-catalogue\n\n<!-- metrics-full-catalogue:start -->\nFULL\n<!-- metrics-full-catalogue:end -->\n`,
    );
    const again = replaceMetricsSection(both, 'FULL2', 'metrics-full-catalogue');
    expect(again).toContain(`${METRICS_START}\nDEMO\n${METRICS_END}`);
    expect(again).toContain('<!-- metrics-full-catalogue:start -->\nFULL2\n<!-- metrics-full-catalogue:end -->');
    expect(() => replaceMetricsSection(both, 'X', 'Bad Name')).toThrow(/lower-case letters/);
  });
});
