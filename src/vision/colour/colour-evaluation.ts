/**
 * Scoring colour predictions (pure): colour and colour-family accuracy with 95% Wilson intervals,
 * accuracy per group (the product's pattern), the most common confusions and the time per image, and
 * the markdown tables npm run eval:colour prints and writes into models/README.md.
 */

export interface ColourPrediction {
  truth: string;
  truthFamily: string;
  predicted: string;
  predictedFamily: string;
  /** Milliseconds the profile took (decode included). */
  ms: number;
  /** A grouping of the item (here the product's pattern). */
  group?: string;
}

export interface Accuracy {
  n: number;
  correct: number;
  accuracy: number;
  /** 95% Wilson score interval. */
  low: number;
  high: number;
}

export interface ColourScores {
  n: number;
  colour: Accuracy;
  family: Accuracy;
  /** Mean and 95th percentile milliseconds per image. */
  meanMs: number;
  p95Ms: number;
  /** Wrong predictions by (truth, predicted), most common first. */
  confusions: { truth: string; predicted: string; count: number }[];
  /** Colour and family accuracy per group, largest group first. */
  groups: { group: string; colour: Accuracy; family: Accuracy }[];
}

/** Accuracy of `correct` out of `n` with its 95% Wilson interval. */
export function accuracy(correct: number, n: number): Accuracy {
  if (n === 0) return { n, correct, accuracy: 0, low: 0, high: 0 };
  const z = 1.959964;
  const p = correct / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { n, correct, accuracy: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function scoreColourPredictions(predictions: readonly ColourPrediction[]): ColourScores {
  const n = predictions.length;
  const colourOk = predictions.filter((p) => p.predicted === p.truth).length;
  const familyOk = predictions.filter((p) => p.predictedFamily === p.truthFamily).length;
  const ms = predictions.map((p) => p.ms).sort((a, b) => a - b);
  const confusions = new Map<string, { truth: string; predicted: string; count: number }>();
  for (const p of predictions) {
    if (p.predicted === p.truth) continue;
    const key = `${p.truth}\u0000${p.predicted}`;
    const c = confusions.get(key) ?? { truth: p.truth, predicted: p.predicted, count: 0 };
    c.count++;
    confusions.set(key, c);
  }
  const byGroup = new Map<string, ColourPrediction[]>();
  for (const p of predictions) if (p.group !== undefined) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p]);
  return {
    n,
    colour: accuracy(colourOk, n),
    family: accuracy(familyOk, n),
    meanMs: n ? ms.reduce((s, x) => s + x, 0) / n : 0,
    p95Ms: n ? ms[Math.min(n - 1, Math.floor(0.95 * (n - 1)))] : 0,
    confusions: [...confusions.values()].sort((a, b) => b.count - a.count || a.truth.localeCompare(b.truth) || a.predicted.localeCompare(b.predicted)),
    groups: [...byGroup]
      .map(([group, ps]) => ({
        group,
        colour: accuracy(ps.filter((p) => p.predicted === p.truth).length, ps.length),
        family: accuracy(ps.filter((p) => p.predictedFamily === p.truthFamily).length, ps.length),
      }))
      .sort((a, b) => b.colour.n - a.colour.n || a.group.localeCompare(b.group)),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const withInterval = (a: Accuracy) => `${pct(a.accuracy)} [${(100 * a.low).toFixed(1)}, ${(100 * a.high).toFixed(1)}]`;

export interface ColourRun {
  /** Short name of the set ("realshot"). */
  set: string;
  /** What the set is, for the table. */
  description: string;
  scores: ColourScores;
}

/** The markdown tables of a split's runs: accuracy per set, per pattern, and the commonest confusions. */
export function colourTables(runs: readonly ColourRun[], options: { title: string; footnote: string; confusions?: number }): string {
  const lines: string[] = [`#### ${options.title}`, ''];
  lines.push('| set | images | colour accuracy (24 names) | colour-family accuracy (8) | ms per image (mean / p95) |', '| --- | ---: | --- | --- | --- |');
  for (const r of runs) {
    lines.push(`| ${r.set}: ${r.description} | ${r.scores.n} | ${withInterval(r.scores.colour)} | ${withInterval(r.scores.family)} | ${r.scores.meanMs.toFixed(1)} / ${r.scores.p95Ms.toFixed(1)} |`);
  }
  const groups = [...new Set(runs.flatMap((r) => r.scores.groups.map((g) => g.group)))];
  if (groups.length) {
    lines.push('', 'Colour accuracy by the product\'s pattern:', '', `| set | ${groups.join(' | ')} |`, `| --- |${groups.map(() => ' ---: |').join('')}`);
    for (const r of runs) {
      const cells = groups.map((g) => {
        const s = r.scores.groups.find((x) => x.group === g);
        return s ? `${pct(s.colour.accuracy)} (${s.colour.n})` : '';
      });
      lines.push(`| ${r.set} | ${cells.join(' | ')} |`);
    }
  }
  const top = options.confusions ?? 8;
  lines.push('', `Commonest errors (truth -> predicted, count), top ${top} per set:`, '');
  for (const r of runs) {
    const errs = r.scores.confusions.slice(0, top).map((c) => `${c.truth} -> ${c.predicted} (${c.count})`);
    lines.push(`- ${r.set}: ${errs.length ? errs.join(', ') : 'none'}`);
  }
  lines.push('', `_${options.footnote}_`);
  return lines.join('\n');
}
