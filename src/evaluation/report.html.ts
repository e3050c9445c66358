/**
 * A self-contained HTML report of evaluation runs: tables, a chart of each metric with confidence
 * intervals per variant, and per-query distributions (histograms). Inline SVG and CSS only, so the
 * file opens offline.
 */
import type { EvaluationRun, MetricAggregate } from './evaluation-run';

const PALETTE = ['#3b6fb6', '#d9822b', '#3a9a5b', '#b8434e', '#7c5cb0', '#8c6d46', '#c05fa5', '#6b7280'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (x: number, digits = 4): string => x.toFixed(digits);
const pct = (x: number | null): string => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const pFmt = (p: number): string => (p < 0.0001 ? '<0.0001' : p.toFixed(4));

/** Horizontal bars of one metric's mean per variant with CI whiskers, on a 0..1 axis. */
export function metricChart(metric: string, rows: { variant: string; aggregate: MetricAggregate }[]): string {
  const rowH = 26;
  const left = 170;
  const width = 560;
  const plotW = width - left - 60;
  const height = rows.length * rowH + 40;
  const max = Math.max(1e-9, ...rows.map((r) => r.aggregate.upper));
  const scaleMax = max <= 1 ? 1 : max;
  const x = (v: number): number => left + (v / scaleMax) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="14" class="title">${escapeHtml(metric)}</text>`);
  rows.forEach((r, i) => {
    const y = 24 + i * rowH;
    const a = r.aggregate;
    const color = PALETTE[i % PALETTE.length];
    parts.push(`<text x="${left - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(r.variant)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${Math.max(0, x(a.mean) - left).toFixed(1)}" height="${rowH - 8}" fill="${color}" opacity="0.8"/>`);
    parts.push(`<line x1="${x(a.lower).toFixed(1)}" x2="${x(a.upper).toFixed(1)}" y1="${y + 11}" y2="${y + 11}" stroke="#111" stroke-width="1.5"/>`);
    for (const v of [a.lower, a.upper]) {
      parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${y + 5}" y2="${y + 17}" stroke="#111" stroke-width="1.5"/>`);
    }
    parts.push(`<text x="${(x(a.upper) + 4).toFixed(1)}" y="${y + 15}" class="value">${fmt(a.mean, 3)}</text>`);
  });
  const axisY = 24 + rows.length * rowH;
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" stroke="#999"/>`);
  for (let t = 0; t <= 4; t++) {
    const v = (scaleMax * t) / 4;
    parts.push(`<text x="${x(v).toFixed(1)}" y="${axisY + 13}" text-anchor="middle" class="tick">${fmt(v, 2)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(metric)} with confidence intervals">${parts.join('')}</svg>`;
}

/** Histogram of per-query values in [0, 1] (10 bins) for each variant, as grouped bars. */
export function distributionChart(metric: string, series: { variant: string; values: number[] }[]): string {
  const bins = 10;
  const width = 560;
  const height = 200;
  const left = 40;
  const bottom = 170;
  const plotW = width - left - 10;
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) c[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++;
    return c.map((n) => (s.values.length ? n / s.values.length : 0));
  });
  const max = Math.max(1e-9, ...counts.flat());
  const binW = plotW / bins;
  const barW = (binW - 4) / Math.max(1, series.length);
  const parts: string[] = [`<text x="${left}" y="14" class="title">${escapeHtml(metric)}: share of queries per value</text>`];
  counts.forEach((c, si) => {
    c.forEach((share, b) => {
      const h = (share / max) * (bottom - 30);
      const xPos = left + b * binW + 2 + si * barW;
      parts.push(
        `<rect x="${xPos.toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeHtml(series[si].variant)} ${(b / bins).toFixed(1)}-${((b + 1) / bins).toFixed(1)}: ${(share * 100).toFixed(1)}%</title></rect>`,
      );
    });
  });
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${bottom}" y2="${bottom}" stroke="#999"/>`);
  for (let b = 0; b <= bins; b += 2) {
    parts.push(`<text x="${(left + b * binW).toFixed(1)}" y="${bottom + 13}" text-anchor="middle" class="tick">${(b / bins).toFixed(1)}</text>`);
  }
  series.forEach((s, si) => {
    parts.push(`<rect x="${left + si * 150}" y="${bottom + 20}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`);
    parts.push(`<text x="${left + si * 150 + 14}" y="${bottom + 29}" class="tick">${escapeHtml(s.variant)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 20}" role="img" aria-label="${escapeHtml(metric)} per-query distribution">${parts.join('')}</svg>`;
}

function runSection(run: EvaluationRun): string {
  const metrics = run.settings.metrics;
  const header = `<tr><th>variant</th>${metrics.map((m) => `<th>${escapeHtml(m)}</th>`).join('')}</tr>`;
  const body = run.variants
    .map((v) => {
      const cells = metrics.map((m) => {
        const a = v.aggregates.find((x) => x.metric === m)!;
        return `<td>${fmt(a.mean)}<span class="ci"> [${fmt(a.lower)}, ${fmt(a.upper)}]</span></td>`;
      });
      return `<tr><td>${escapeHtml(v.name)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  const segments = run.variants.flatMap((v) =>
    v.segments.map(
      (s) =>
        `<tr><td>${escapeHtml(v.name)}</td><td>${escapeHtml(s.segment)} (${s.queries})</td>${metrics
          .map((m) => {
            const a = s.aggregates.find((x) => x.metric === m)!;
            return `<td>${fmt(a.mean)}<span class="ci"> [${fmt(a.lower)}, ${fmt(a.upper)}]</span></td>`;
          })
          .join('')}</tr>`,
    ),
  );
  const comparisons = run.comparisons
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.variant)} vs ${escapeHtml(c.baseline)}</td><td>${escapeHtml(c.metric)}</td><td>${fmt(c.meanDifference)} [${fmt(c.differenceLower)}, ${fmt(c.differenceUpper)}]</td><td>${pct(c.relativeGain)}</td><td>${pFmt(c.permutationP)}</td><td>${pFmt(c.tTestP)}</td></tr>`,
    )
    .join('');
  const charts = metrics
    .map((m) => metricChart(m, run.variants.map((v) => ({ variant: v.name, aggregate: v.aggregates.find((a) => a.metric === m)! }))))
    .join('');
  const dists = metrics
    .map((m) =>
      distributionChart(
        m,
        run.variants.map((v) => ({ variant: v.name, values: run.queries.filter((q) => q.variant === v.name).map((q) => q.values[m]) })),
      ),
    )
    .join('');
  const models = run.models.map((m) => `${escapeHtml(m.name)}@${escapeHtml(m.version)}`).join(', ') || 'none recorded';
  return `<section>
<h2>${escapeHtml(run.set.name)} <small>run ${escapeHtml(run.id)}</small></h2>
<p class="meta">${run.set.scoredQueries} scored queries of ${run.set.queries} (${run.skippedQueries.length} without a relevant document, left out) · relevance threshold ${run.settings.threshold} · depth ${run.settings.depth} · ${Math.round(run.settings.confidenceLevel * 100)}% bootstrap intervals (${run.settings.bootstrapSamples} resamples, seed ${run.settings.seed}) · models: ${models} · data: ${escapeHtml(run.catalog.dataHash ?? 'unknown')}${run.catalog.split ? ` (${escapeHtml(run.catalog.split)} split)` : ''} · ${escapeHtml(run.createdAt)}</p>
<table>${header}${body}</table>
${segments.length ? `<h3>Segments</h3><table><tr><th>variant</th><th>segment</th>${metrics.map((m) => `<th>${escapeHtml(m)}</th>`).join('')}</tr>${segments.join('')}</table>` : ''}
${comparisons ? `<h3>Paired tests against ${escapeHtml(run.comparisons[0].baseline)}</h3><table><tr><th>comparison</th><th>metric</th><th>mean difference [CI]</th><th>relative</th><th>randomisation p</th><th>t-test p</th></tr>${comparisons}</table>` : ''}
<h3>Metrics with ${Math.round(run.settings.confidenceLevel * 100)}% confidence intervals</h3>
<div class="charts">${charts}</div>
<h3>Per-query distribution</h3>
<div class="charts">${dists}</div>
</section>`;
}

export function renderReport(runs: EvaluationRun[], options: { title?: string; notes?: string[] } = {}): string {
  const title = options.title ?? 'Evaluation report';
  const notes = (options.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1f2328;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h2 small{font-weight:normal;color:#666;font-size:12px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.ci{color:#777;font-size:12px}.meta{color:#555}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg{background:#fafafa;border:1px solid #eee}svg text{font-size:11px;fill:#1f2328}svg .title{font-weight:600;font-size:12px}svg .tick{fill:#666;font-size:10px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${notes ? `<ul>${notes}</ul>` : ''}
${runs.map(runSection).join('\n')}
</body></html>
`;
}
