import fc from 'fast-check';
import { EventLog } from '../../../src/events/event-log';
import { EventLogSearchEventSource } from '../../../src/evaluation/event-log.source';
import { computeSearchAnalytics, validateAnalyticsQuery, type SearchAnalytics, type SearchAnalyticsOptions } from '../../../src/evaluation/search-analytics';
import type { SearchLogEntry } from '../../../src/search/search.service';

const DAYS = ['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02'];
const TEXTS = [null, '', ' ', 'Red Dress', 'red  dress ', 'RED\tdress', 'blue coat', 'Blue Coat', 'sandals', 'zebra'];
const MODES = ['TEXT', 'IMAGE', 'COMPOSED', 'SIMILAR'] as const;

interface LoggedSearch {
  day: number;
  hour: number;
  text: string | null;
  modifier: string | null;
  mode: (typeof MODES)[number];
  imageKind: 'url' | 'base64' | 'productId' | null;
  totalCount: number;
  shown: number;
  clicks: { position: number; dayOffset: number; click: boolean }[];
}

const searchArb: fc.Arbitrary<LoggedSearch> = fc.record({
  day: fc.integer({ min: 0, max: DAYS.length - 1 }),
  hour: fc.integer({ min: 0, max: 23 }),
  text: fc.constantFrom(...TEXTS),
  modifier: fc.constantFrom(null, 'in blue', ' In  Blue '),
  mode: fc.constantFrom(...MODES),
  imageKind: fc.constantFrom(null, 'url' as const, 'base64' as const, 'productId' as const),
  totalCount: fc.constantFrom(0, 0, 3, 40),
  shown: fc.integer({ min: 0, max: 3 }),
  clicks: fc.array(fc.record({ position: fc.integer({ min: 1, max: 5 }), dayOffset: fc.integer({ min: -2, max: 2 }), click: fc.boolean() }), { maxLength: 4 }),
});

const queryArb: fc.Arbitrary<SearchAnalyticsOptions> = fc.record(
  {
    from: fc.constantFrom(...DAYS),
    to: fc.constantFrom(...DAYS),
    topQueries: fc.integer({ min: 0, max: 5 }),
    queryOffset: fc.integer({ min: 0, max: 4 }),
    dayLimit: fc.integer({ min: 0, max: 5 }),
    dayOffset: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: [] },
);

function fill(log: EventLog, searches: LoggedSearch[], prefix = 's'): void {
  searches.forEach((s, i) => {
    const entry: SearchLogEntry = {
      searchId: `${prefix}${i}`,
      mode: s.mode,
      text: s.text,
      modifier: s.modifier,
      imageKind: s.imageKind,
      referenceId: null,
      filter: null,
      offset: 0,
      totalCount: s.totalCount,
      resultIds: Array.from({ length: s.totalCount === 0 ? 0 : s.shown }, (_, k) => `p${k}`),
      createdAt: new Date(`${DAYS[s.day]}T${String(s.hour).padStart(2, '0')}:30:00.000Z`),
    };
    log.recordSearch(entry);
  });
  const events = searches.flatMap((s, i) =>
    s.clicks.map((c) => {
      const at = new Date(`${DAYS[s.day]}T12:00:00.000Z`);
      at.setUTCDate(at.getUTCDate() + c.dayOffset);
      return { searchId: `${prefix}${i}`, type: c.click ? ('CLICK' as const) : ('IMPRESSION' as const), productId: `p${c.position - 1}`, position: c.position, occurredAt: at.toISOString() };
    }),
  );
  if (events.length) log.recordEvents(events);
}

/** Rates rounded, so the two summation orders compare equal. */
function rounded(a: SearchAnalytics): SearchAnalytics {
  return JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(12)) : v)));
}

async function reference(log: EventLog, options: SearchAnalyticsOptions): Promise<SearchAnalytics> {
  const q = validateAnalyticsQuery(options);
  const events = await new EventLogSearchEventSource(log).searchEvents({ from: q.from, to: q.to });
  return computeSearchAnalytics(events, q);
}

describe('EventLog.searchAnalytics (computed in SQL)', () => {
  it('agrees with the in-memory reference on random logs and requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(searchArb, { maxLength: 40 }), queryArb, async (searches, options) => {
        if (options.from && options.to && options.from > options.to) [options.from, options.to] = [options.to, options.from];
        const log = new EventLog(':memory:');
        try {
          fill(log, searches);
          const sql = log.searchAnalytics(validateAnalyticsQuery(options));
          expect(rounded(sql)).toEqual(rounded(await reference(log, options)));
        } finally {
          log.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('counts a known log exactly', () => {
    const log = new EventLog(':memory:');
    try {
      fill(log, [
        { day: 0, hour: 9, text: 'Red Dress', modifier: null, mode: 'TEXT', imageKind: null, totalCount: 40, shown: 3, clicks: [{ position: 3, dayOffset: 0, click: true }, { position: 2, dayOffset: 1, click: true }] },
        { day: 0, hour: 10, text: 'red dress', modifier: null, mode: 'TEXT', imageKind: null, totalCount: 40, shown: 3, clicks: [{ position: 1, dayOffset: 0, click: false }] },
        { day: 1, hour: 10, text: null, modifier: null, mode: 'IMAGE', imageKind: 'base64', totalCount: 0, shown: 0, clicks: [] },
      ]);
      const a = log.searchAnalytics(validateAnalyticsQuery({}));
      expect(a).toMatchObject({
        searches: 3,
        searchesWithResults: 2,
        searchesWithClicks: 1,
        clicks: 2,
        clickThroughRate: 0.5,
        meanReciprocalRank: 0.25,
        zeroResultSearches: 1,
        distinctQueries: 2,
        distinctZeroResultQueries: 1,
        days: 2,
      });
      expect(a.topQueries).toEqual([
        { query: 'red dress', searches: 2, clicks: 2, clickThroughRate: 0.5, zeroResults: 0 },
        { query: '[image base64]', searches: 1, clicks: 0, clickThroughRate: 0, zeroResults: 1 },
      ]);
      expect(a.perDay.map((d) => [d.day, d.searches])).toEqual([
        ['2026-01-30', 2],
        ['2026-01-31', 1],
      ]);
      const page = log.searchAnalytics(validateAnalyticsQuery({ topQueries: 1, queryOffset: 1, dayLimit: 1, dayOffset: 1, to: '2026-01-31' }));
      expect(page.topQueries.map((q) => q.query)).toEqual(['[image base64]']);
      expect(page.zeroResultQueries).toEqual([]);
      expect(page.perDay.map((d) => d.day)).toEqual(['2026-01-31']);
    } finally {
      log.close();
    }
  });

  it('sees searches still waiting for their group commit, and can be asked again', () => {
    const log = new EventLog(':memory:', { flushIntervalMs: 60_000 });
    try {
      fill(log, [{ day: 2, hour: 1, text: 'zebra', modifier: null, mode: 'TEXT', imageKind: null, totalCount: 3, shown: 3, clicks: [] }]);
      expect(log.searchAnalytics(validateAnalyticsQuery({})).searches).toBe(1);
      fill(log, [{ day: 2, hour: 2, text: 'zebra', modifier: null, mode: 'TEXT', imageKind: null, totalCount: 3, shown: 3, clicks: [] }], 'later');
      expect(log.searchAnalytics(validateAnalyticsQuery({})).topQueries).toEqual([{ query: 'zebra', searches: 2, clicks: 0, clickThroughRate: 0, zeroResults: 0 }]);
    } finally {
      log.close();
    }
  });

  it('answers from aggregates: 20,000 searches give one page of queries and days', () => {
    const log = new EventLog(':memory:');
    try {
      for (let i = 0; i < 20_000; i++) {
        log.recordSearch({
          searchId: `s${i}`,
          mode: 'TEXT',
          text: `query ${i % 5000}`,
          modifier: null,
          imageKind: null,
          referenceId: null,
          filter: null,
          offset: 0,
          totalCount: i % 7 === 0 ? 0 : 20,
          resultIds: i % 7 === 0 ? [] : ['a', 'b'],
          createdAt: new Date(Date.UTC(2026, 0, 1 + (i % 400))),
        });
        if (i % 1000 === 999) log.flush();
      }
      const a = log.searchAnalytics(validateAnalyticsQuery({ topQueries: 5 }));
      expect(a.searches).toBe(20_000);
      expect(a.distinctQueries).toBe(5000);
      expect(a.topQueries).toHaveLength(5);
      expect(a.days).toBe(400);
      expect(a.perDay).toHaveLength(366);
      expect(a.zeroResultSearches).toBe(Math.ceil(20_000 / 7));
    } finally {
      log.close();
    }
  });
});
