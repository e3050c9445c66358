import { parseHeldOutJudgements } from '../../../src/learning/held-out-judgements';

describe('held-out judgements of a candidate', () => {
  it('become a judgement set and the products judged per query', () => {
    const h = parseHeldOutJudgements({
      from: '2026-01-01T10:00:00.000Z',
      source: '/data/events.sqlite',
      queries: [
        { text: 'bloomcore', candidates: ['a', 'b'], relevant: ['c'] },
        { text: 'red dress', candidates: ['d', 'e', 'f'], relevant: ['e'] },
      ],
    });
    expect(h.from).toBe('2026-01-01T10:00:00.000Z');
    expect(h.set.queries).toEqual([
      { id: 'q1', text: 'bloomcore' },
      { id: 'q2', text: 'red dress' },
    ]);
    expect([...h.set.qrels.get('q1')!]).toEqual([['c', 1]]);
    // a chain's relevant product was never shown for the query: it is judged all the same
    expect(h.candidates.get('q1')).toEqual(['a', 'b', 'c']);
    expect(h.candidates.get('q2')).toEqual(['d', 'e', 'f']);
  });

  it.each([
    [{ queries: [] }, /needs "from"/],
    [{ from: 't', queries: [{ text: 'x', candidates: ['a'] }] }, /queries\[0\] needs text, candidates and relevant/],
    [{ from: 't', queries: [{ text: 'x', candidates: [1], relevant: [] }] }, /queries\[0\]/],
  ])('refuses %j', (json, message) => {
    expect(() => parseHeldOutJudgements(json)).toThrow(message);
  });
});
