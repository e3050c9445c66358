import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import type { EvaluationRun, JudgementSet } from '../../../src/evaluation/evaluation-run';
import { METRICS_END, METRICS_START, metricTables, replaceMetricsSection } from '../../../src/evaluation/models-readme';
import { renderReport } from '../../../src/evaluation/report.html';
import { buildSet, buildVariant } from './fakes';

const settings = { createdAt: '2026-01-01T00:00:00.000Z', bootstrapSamples: 100, permutationSamples: 100 };
const textSegments = [
  { name: 'colour+category', queryIds: ['q0', 'q1', 'q2'] },
  { name: 'colour+category, literal', queryIds: ['q0', 'q1'] },
  { name: 'colour+category, paraphrased', queryIds: ['q2'] },
];
const named = (set: JudgementSet, name: string): JudgementSet => ({ ...set, name, segments: name === 'text' ? textSegments : [] });

let text: EvaluationRun;
let composed: EvaluationRun;
let index: EvaluationRun;
beforeAll(async () => {
  text = await runEvaluation(
    named(buildSet(30), 'text'),
    [buildVariant('fashion-text-gru', 0.2, 1), buildVariant('fashion-text-pretriplet', 0.4, 2), buildVariant('fashion-text', 0.6, 3)],
    { ...settings, id: 'ev-text', metrics: ['mrr', 'map', 'ndcg@10', 'p@50', 'r@50', 'p@10'] },
  );
  composed = await runEvaluation(
    named(buildSet(30), 'composed'),
    [buildVariant('image-only', 0.1, 1), buildVariant('text-only', 0.2, 2), buildVariant('sum', 0.3, 3), buildVariant('fusion', 0.6, 4)],
    { ...settings, id: 'ev-composed', metrics: ['r@10', 'r@50', 'mrr'] },
  );
  index = await runEvaluation(named(buildSet(10), 'index'), [buildVariant('exact', 1, 1), buildVariant('hnsw', 0.9, 1)], {
    ...settings,
    id: 'ev-index',
    metrics: ['r@10'],
    depth: 10,
  });
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
  });
});

describe('models README tables', () => {
  const tables = () => metricTables([text, composed, index], 'npm run eval -- --set all --write-models-readme');

  it('prints the text table with relative gains beside the paper, composed gains and the index recall', () => {
    const md = tables();
    expect(md).toContain('| Variant | MRR | MAP | NDCG@10 | P@50 | R@50 | P@10 (colour+category) | P@10 literal | P@10 paraphrased |\n');
    expect(md).toMatch(/\| fashion-text-gru( \| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]){8} \|\n/);
    expect(md).toContain('30 queries, 3 of them naming a colour and a category: 2 literal');
    expect(md).toContain('and 1 paraphrased');
    const mrr = text.comparisons.find((c) => c.variant === 'fashion-text' && c.metric === 'mrr')!;
    expect(md).toContain(`| MRR | +${(mrr.relativeGain! * 100).toFixed(1)}% | +7.8% |`);
    expect(md).toContain('| MAP | ');
    expect(md).toContain('+15.8%');
    expect(md).toContain('| Variant | R@10 | R@50 | Mean |');
    expect(md).toMatch(/Fusion over the best baseline \(sum\) on mean recall: [+-]\d+\.\d% \(DeepStyle reported 18-21%/);
    expect(md).toContain('Recall of HNSW top-10 vs exact top-10');
    expect(md).toContain('data sha256:test');
    expect(md).toContain('fashion-text@1.0.0');
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
