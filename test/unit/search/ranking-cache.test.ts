import { RankingCache, rankedPositions, type CanonicalRanking } from '../../../src/search/ranking-cache';

const hit = (id: string) => ({ id, score: 1, parts: [] });
const ranking = (n: number, exhausted = false): CanonicalRanking => ({ pinned: [hit('pin')], segments: [Array.from({ length: n }, (_, i) => hit(`h${i}`))], exhausted });

describe('RankingCache', () => {
  it('serves a ranking for its query and catalogue version only, when it reaches the positions asked', () => {
    const cache = new RankingCache(4);
    const r = ranking(9);
    expect(rankedPositions(r)).toBe(10);
    cache.set('q', 'v1', r);
    expect(cache.get('q', 'v1', 10)).toBe(r);
    expect(cache.get('q', 'v1', 11)).toBeUndefined();
    expect(cache.get('q', 'v2', 5)).toBeUndefined();
    expect(cache.get('other', 'v1', 5)).toBeUndefined();
  });

  it('an exhausted ranking covers every position', () => {
    const cache = new RankingCache(4);
    cache.set('q', 'v1', ranking(3, true));
    expect(cache.get('q', 'v1', 1000)).toBeDefined();
  });

  it('keeps nothing for stores without versions, nor with size 0', () => {
    const none = new RankingCache(4);
    none.set('q', null, ranking(5));
    expect(none.size).toBe(0);
    expect(none.get('q', null, 1)).toBeUndefined();
    const off = new RankingCache(0);
    off.set('q', 'v1', ranking(5));
    expect(off.size).toBe(0);
  });

  it('drops the least recently used ranking beyond its size', () => {
    const cache = new RankingCache(2);
    cache.set('a', 'v', ranking(5));
    cache.set('b', 'v', ranking(5));
    expect(cache.get('a', 'v', 1)).toBeDefined();
    cache.set('c', 'v', ranking(5));
    expect(cache.get('b', 'v', 1)).toBeUndefined();
    expect(cache.get('a', 'v', 1)).toBeDefined();
    expect(cache.get('c', 'v', 1)).toBeDefined();
    expect(cache.size).toBe(2);
  });
});
