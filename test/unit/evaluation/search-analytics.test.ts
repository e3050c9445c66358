import {
  computeSearchAnalytics,
  InMemorySearchAnalytics,
  isCalendarDay,
  normalizeQuery,
  SearchAnalyticsService,
  validateAnalyticsQuery,
  type SearchEvent,
} from '../../../src/evaluation/search-analytics';
import { InvalidInputError } from '../../../src/domain/errors';

const ev = (searchId: string, day: string, query: string, shown: number, clicks: number[]): SearchEvent => ({
  searchId,
  day,
  query,
  shown: Array.from({ length: shown }, (_, i) => `p${i}`),
  clicks: clicks.map((position) => ({ productId: `p${position - 1}`, position })),
});

const events: SearchEvent[] = [
  ev('s1', '2026-01-01', 'Red Dress', 10, [2, 5]), // first click at 2
  ev('s2', '2026-01-01', 'red  dress ', 10, []),
  ev('s3', '2026-01-01', 'blue coat', 0, []), // zero result
  ev('s4', '2026-01-02', 'red dress', 10, [1]),
  ev('s5', '2026-01-02', 'sandals', 10, [4]),
  ev('s6', '2026-01-03', 'blue coat', 0, []),
  ev('s7', '2026-01-03', 'xyzzy', 0, []),
];

describe('computeSearchAnalytics', () => {
  const a = computeSearchAnalytics(events);

  it('computes totals, CTR over searches with results and click MRR', () => {
    expect(a.searches).toBe(7);
    expect(a.searchesWithResults).toBe(4);
    expect(a.searchesWithClicks).toBe(3);
    expect(a.clicks).toBe(4);
    expect(a.clickThroughRate).toBe(3 / 4);
    expect(a.meanReciprocalRank).toBeCloseTo((1 / 2 + 0 + 1 + 1 / 4) / 4, 15);
    expect(a.zeroResultSearches).toBe(3);
    expect(a.zeroResultRate).toBe(3 / 7);
  });

  it('groups queries by normalised text, most frequent first', () => {
    expect(a.topQueries.map((q) => [q.query, q.searches])).toEqual([
      ['red dress', 3],
      ['blue coat', 2],
      ['sandals', 1],
      ['xyzzy', 1],
    ]);
    expect(a.topQueries[0]).toMatchObject({ clicks: 3, clickThroughRate: 2 / 3, zeroResults: 0 });
    expect(a.zeroResultQueries.map((q) => [q.query, q.zeroResults])).toEqual([
      ['blue coat', 2],
      ['xyzzy', 1],
    ]);
  });

  it('gives a series per day', () => {
    expect(a.perDay).toEqual([
      { day: '2026-01-01', searches: 3, searchesWithClicks: 1, clicks: 2, clickThroughRate: 1 / 2, meanReciprocalRank: 1 / 4, zeroResultSearches: 1 },
      { day: '2026-01-02', searches: 2, searchesWithClicks: 2, clicks: 2, clickThroughRate: 1, meanReciprocalRank: (1 + 1 / 4) / 2, zeroResultSearches: 0 },
      { day: '2026-01-03', searches: 2, searchesWithClicks: 0, clicks: 0, clickThroughRate: 0, meanReciprocalRank: 0, zeroResultSearches: 2 },
    ]);
  });

  it('restricts to a day range and limits top queries', () => {
    const r = computeSearchAnalytics(events, { from: '2026-01-02', to: '2026-01-02', topQueries: 1 });
    expect(r.searches).toBe(2);
    expect(r.topQueries).toHaveLength(1);
    expect(r.perDay.map((d) => d.day)).toEqual(['2026-01-02']);
  });

  it('is all zeros without events', () => {
    const r = computeSearchAnalytics([]);
    expect(r).toMatchObject({ searches: 0, clickThroughRate: 0, meanReciprocalRank: 0, zeroResultRate: 0, topQueries: [], perDay: [] });
  });

  it('pages through queries and days, and counts what it pages through', () => {
    const first = computeSearchAnalytics(events, { topQueries: 2 });
    const second = computeSearchAnalytics(events, { topQueries: 2, queryOffset: 2 });
    expect([...first.topQueries, ...second.topQueries].map((q) => q.query)).toEqual(['red dress', 'blue coat', 'sandals', 'xyzzy']);
    expect(second.zeroResultQueries.map((q) => q.query)).toEqual([]);
    expect(first).toMatchObject({ distinctQueries: 4, distinctZeroResultQueries: 2, days: 3 });
    const days = computeSearchAnalytics(events, { dayLimit: 1, dayOffset: 1 });
    expect(days.perDay.map((d) => d.day)).toEqual(['2026-01-02']);
    expect(days.searches).toBe(7);
  });

  it.each([
    [{ from: '2026-1-1' }, /from must be a calendar day/],
    [{ to: 'yesterday' }, /to must be a calendar day/],
    [{ from: '2026-02-30' }, /from must be a calendar day written YYYY-MM-DD, got "2026-02-30"/],
    [{ to: '2025-02-29' }, /to must be a calendar day/],
    [{ from: '2026-13-01' }, /from must be a calendar day/],
    [{ from: '2026-04-31' }, /from must be a calendar day/],
    [{ from: '2026-02-01', to: '2026-01-01' }, /is after/],
    [{ topQueries: -1 }, /topQueries must be an integer in 0\.\.1000/],
    [{ topQueries: 1001 }, /topQueries must be an integer in 0\.\.1000/],
    [{ queryOffset: 1.5 }, /queryOffset must be an integer/],
    [{ dayLimit: 5000 }, /dayLimit must be an integer in 0\.\.3660/],
    [{ dayOffset: -2 }, /dayOffset must be an integer/],
  ])('rejects %p', (options, message) => {
    expect(() => computeSearchAnalytics(events, options)).toThrow(message);
    expect(() => computeSearchAnalytics(events, options)).toThrow(InvalidInputError);
  });

  it('knows calendar days', () => {
    expect(['2024-02-29', '2026-12-31', '2026-01-01'].map(isCalendarDay)).toEqual([true, true, true]);
    expect(['2026-02-29', '2026-02-30', '2026-00-10', '2026-1-1', '2026-01-01T00:00:00Z', ''].map(isCalendarDay)).toEqual([false, false, false, false, false, false]);
    expect(validateAnalyticsQuery({})).toEqual({ topQueries: 10, queryOffset: 0, dayLimit: 366, dayOffset: 0 });
  });

  it('normalises query text', () => {
    expect(normalizeQuery('  Red\tDRESS  ')).toBe('red dress');
  });
});

describe('SearchAnalyticsService', () => {
  it('validates the request and asks the source for it', async () => {
    const asked: unknown[] = [];
    const service = new SearchAnalyticsService({
      searchAnalytics: (query) => {
        asked.push(query);
        return computeSearchAnalytics(events, query);
      },
    });
    const r = await service.analytics({ from: '2026-01-03', topQueries: null });
    expect(asked).toEqual([{ from: '2026-01-03', topQueries: 10, queryOffset: 0, dayLimit: 366, dayOffset: 0 }]);
    expect(r.searches).toBe(2);
    await expect(service.analytics({ from: 'bad' })).rejects.toThrow(InvalidInputError);
    await expect(service.analytics({ from: '2026-02-30' })).rejects.toThrow(InvalidInputError);
    expect(asked).toHaveLength(1);
  });

  it('computes in memory from a list of events for the range', async () => {
    const asked: unknown[] = [];
    const service = new SearchAnalyticsService(
      new InMemorySearchAnalytics({
        searchEvents: async (range) => {
          asked.push(range);
          return events;
        },
      }),
    );
    const r = await service.analytics({ from: '2026-01-03' });
    expect(asked).toEqual([{ from: '2026-01-03', to: undefined }]);
    expect(r.searches).toBe(2);
  });
});
