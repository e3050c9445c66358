/**
 * Fusion of ranked lists from several sources (dense spaces, lexical) into one ranking.
 * - RRF: score = sum over sources of 1 / (k + rank), k = 60, rank 1-based.
 * - DBSF (as in Qdrant): each source's scores are normalised to [0, 1] with mean +/- 3 standard
 *   deviations as the limits (clamped), then summed.
 * Every hit carries the per-source parts it was fused from.
 */
import type { ScoredHit, ScorePart } from '../vector-store';

export interface RankedList {
  source: ScorePart['source'];
  /** Best first. */
  hits: { id: string; score: number }[];
}

export const RRF_K = 60;

export function fuse(lists: RankedList[], method: 'rrf' | 'dbsf', limit: number): ScoredHit[] {
  const byId = new Map<string, { score: number; parts: ScorePart[]; best: number }>();
  for (const list of lists) {
    const norm = method === 'dbsf' ? dbsfNormaliser(list.hits.map((h) => h.score)) : undefined;
    list.hits.forEach((h, i) => {
      const rank = i + 1;
      const contribution = norm ? norm(h.score) : 1 / (RRF_K + rank);
      let e = byId.get(h.id);
      if (!e) byId.set(h.id, (e = { score: 0, parts: [], best: rank }));
      e.score += contribution;
      e.best = Math.min(e.best, rank);
      e.parts.push({ source: list.source, score: h.score, rank });
    });
  }
  return [...byId.entries()]
    .sort(([ia, a], [ib, b]) => b.score - a.score || a.best - b.best || (ia < ib ? -1 : ia > ib ? 1 : 0))
    .slice(0, limit)
    .map(([id, e]) => ({ id, score: e.score, parts: e.parts }));
}

export function dbsfNormaliser(scores: number[]): (s: number) => number {
  if (scores.length === 0) return () => 0;
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const variance = scores.reduce((a, b) => a + (b - mean) * (b - mean), 0) / scores.length;
  const std = Math.sqrt(variance);
  if (std === 0) return () => 0.5;
  const lo = mean - 3 * std;
  const hi = mean + 3 * std;
  return (s) => Math.min(1, Math.max(0, (s - lo) / (hi - lo)));
}
