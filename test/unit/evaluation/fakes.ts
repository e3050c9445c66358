import type { EvalQuery, JudgementSet, Variant } from '../../../src/evaluation/evaluation-run';
import { seededRandom } from '../../../src/evaluation/statistics';

/** A set of `n` queries; query i judges its own target `t<i>` (grade 2) and a neighbour (grade 1). */
export function buildSet(n: number, name = 'fake'): JudgementSet {
  const queries: EvalQuery[] = Array.from({ length: n }, (_, i) => ({ id: `q${i}`, text: `query ${i}` }));
  const qrels = new Map(queries.map((q, i) => [q.id, new Map([[`t${i}`, 2], [`t${(i + 1) % n}`, 1], [`x${i}`, 0]])]));
  return {
    name,
    queries,
    qrels,
    dataHash: 'sha256:test',
    segments: [{ name: 'even', queryIds: queries.filter((_, i) => i % 2 === 0).map((q) => q.id) }],
  };
}

/**
 * A variant that puts each query's target at a rank drawn from a seeded generator: `quality` near 1
 * ranks it first, near 0 somewhere in the top `spread`.
 */
export function buildVariant(name: string, quality: number, seed: number, spread = 30): Variant {
  return {
    name,
    description: `fake ${name}`,
    models: [{ name, version: '1.0.0' }],
    rank: async (query: EvalQuery, depth: number) => {
      const i = Number(query.id.slice(1));
      const r = seededRandom(seed * 100003 + i);
      const rank = r() < quality ? 0 : 1 + Math.floor(r() * spread);
      const gallery = Array.from({ length: depth + 5 }, (_, k) => `g${k}`);
      gallery.splice(Math.min(rank, depth - 1), 0, `t${i}`);
      return gallery.slice(0, depth).map((id, k) => ({ id, score: 1 - k / 1000 }));
    },
  };
}
