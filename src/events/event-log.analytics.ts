/**
 * Search analytics computed inside the event log's SQLite database, so a request reads a few
 * aggregate rows instead of every search and event: memory stays flat however many searches are
 * recorded, and only one page of queries and of days comes back.
 *
 * Same definitions as the in-memory reference, `computeSearchAnalytics` in
 * src/evaluation/search-analytics.ts (a test checks both agree on random logs):
 * - searches served on the UTC days [from, to] are counted; clicks recorded for them from `from`
 *   on (clicks may come later than the search); impressions are not clicks;
 * - a search has zero results when its total count is 0 or its page was empty;
 * - queries are grouped by the analytics text of a search (its text, else its modifier, else its
 *   mode), normalised (trimmed, lower-cased, whitespace collapsed); both come from the same
 *   functions as the in-memory version, registered as the SQL function `analytics_query`.
 *
 * How: one grouped scan gives the series per day (at most one row per day; the totals are its
 * sums), one grouped scan fills a temporary table of per-query counts (one row per distinct
 * query, held by SQLite, not by JavaScript), from which the two pages of queries and their counts
 * are read. Query ties are ordered by SQLite's binary collation (byte order of UTF-8), which agrees
 * with JavaScript's string order except between characters beyond U+FFFF and U+E000-U+FFFF.
 */
import type Database from 'better-sqlite3';
import { searchQueryText } from '../evaluation/event-log.source';
import { normalizeQuery, ratio, type DayStat, type QueryStat, type SearchAnalytics, type SearchAnalyticsQuery } from '../evaluation/search-analytics';

/** Searches in the range with their clicks; @from/@to are ISO instants (to exclusive) or null. */
const PER_SEARCH = `
  SELECT substr(s.created_at, 1, 10) AS day,
         analytics_query(s.text, s.modifier, s.mode, s.image_kind) AS query,
         (s.total_count = 0 OR s.result_ids = '[]') AS zero,
         COALESCE(c.clicks, 0) AS clicks,
         c.best AS best
  FROM searches s
  LEFT JOIN (
    SELECT search_id, COUNT(*) AS clicks, MIN(position) AS best
    FROM search_events
    WHERE type = 'CLICK' AND (@from IS NULL OR occurred_at >= @from)
    GROUP BY search_id
  ) c ON c.search_id = s.search_id
  WHERE (@from IS NULL OR s.created_at >= @from) AND (@to IS NULL OR s.created_at < @to)`;

interface DayRow {
  day: string;
  searches: number;
  with_results: number;
  with_clicks: number;
  clicks: number;
  rr: number;
  zero: number;
}

interface QueryRow {
  query: string;
  searches: number;
  clicks: number;
  zero_results: number;
  served: number;
  clicked: number;
}

const registered = new WeakSet<Database.Database>();

export class EventLogAnalytics {
  private readonly perDay: Database.Statement;
  private readonly fillQueries: Database.Statement;
  private readonly topQueries: Database.Statement;
  private readonly zeroQueries: Database.Statement;
  private readonly queryCounts: Database.Statement;

  constructor(private readonly db: Database.Database) {
    if (!registered.has(db)) {
      db.function('analytics_query', { deterministic: true }, (text: unknown, modifier: unknown, mode: unknown, imageKind: unknown) =>
        normalizeQuery(
          searchQueryText({ text: text as string | null, modifier: modifier as string | null, mode: String(mode), imageKind: imageKind as string | null }),
        ),
      );
      registered.add(db);
    }
    this.perDay = db.prepare(`
      SELECT day, COUNT(*) AS searches,
             TOTAL(NOT zero) AS with_results,
             TOTAL(NOT zero AND best IS NOT NULL) AS with_clicks,
             TOTAL(clicks) AS clicks,
             TOTAL(CASE WHEN NOT zero AND best IS NOT NULL THEN 1.0 / best ELSE 0 END) AS rr,
             TOTAL(zero) AS zero
      FROM (${PER_SEARCH}) GROUP BY day ORDER BY day`);
    db.exec('CREATE TEMP TABLE IF NOT EXISTS analytics_queries (query TEXT PRIMARY KEY, searches INTEGER, clicks INTEGER, zero_results INTEGER, served INTEGER, clicked INTEGER)');
    this.fillQueries = db.prepare(`
      INSERT INTO temp.analytics_queries
      SELECT query, COUNT(*), TOTAL(clicks), TOTAL(zero), TOTAL(NOT zero), TOTAL(NOT zero AND best IS NOT NULL)
      FROM (${PER_SEARCH}) GROUP BY query`);
    this.topQueries = db.prepare('SELECT * FROM temp.analytics_queries ORDER BY searches DESC, query LIMIT @limit OFFSET @offset');
    this.zeroQueries = db.prepare('SELECT * FROM temp.analytics_queries WHERE zero_results > 0 ORDER BY zero_results DESC, query LIMIT @limit OFFSET @offset');
    this.queryCounts = db.prepare('SELECT COUNT(*) AS distinct_queries, TOTAL(zero_results > 0) AS distinct_zero FROM temp.analytics_queries');
  }

  /** The analytics of one validated request. */
  run(q: SearchAnalyticsQuery): SearchAnalytics {
    const window = { from: q.from ? `${q.from}T00:00:00.000Z` : null, to: q.to ? nextDay(q.to) : null };
    const days = this.perDay.all(window) as DayRow[];
    const total = days.reduce(
      (t, d) => ({
        searches: t.searches + d.searches,
        withResults: t.withResults + d.with_results,
        withClicks: t.withClicks + d.with_clicks,
        clicks: t.clicks + d.clicks,
        rr: t.rr + d.rr,
        zero: t.zero + d.zero,
      }),
      { searches: 0, withResults: 0, withClicks: 0, clicks: 0, rr: 0, zero: 0 },
    );
    const queries = this.db.transaction(() => {
      this.db.exec('DELETE FROM temp.analytics_queries');
      try {
        this.fillQueries.run(window);
        const page = { limit: q.topQueries, offset: q.queryOffset };
        const counts = this.queryCounts.get() as { distinct_queries: number; distinct_zero: number };
        return {
          top: (this.topQueries.all(page) as QueryRow[]).map(queryStat),
          zero: (this.zeroQueries.all(page) as QueryRow[]).map(queryStat),
          distinct: counts.distinct_queries,
          distinctZero: counts.distinct_zero,
        };
      } finally {
        this.db.exec('DELETE FROM temp.analytics_queries');
      }
    })();
    return {
      from: q.from ?? null,
      to: q.to ?? null,
      searches: total.searches,
      searchesWithResults: total.withResults,
      searchesWithClicks: total.withClicks,
      clicks: total.clicks,
      clickThroughRate: ratio(total.withClicks, total.withResults),
      meanReciprocalRank: ratio(total.rr, total.withResults),
      zeroResultSearches: total.zero,
      zeroResultRate: ratio(total.zero, total.searches),
      zeroResultQueries: queries.zero,
      topQueries: queries.top,
      perDay: days.slice(q.dayOffset, q.dayOffset + q.dayLimit).map(dayStat),
      distinctQueries: queries.distinct,
      distinctZeroResultQueries: queries.distinctZero,
      days: days.length,
    };
  }
}

function queryStat(r: QueryRow): QueryStat {
  return { query: r.query, searches: r.searches, clicks: r.clicks, clickThroughRate: ratio(r.clicked, r.served), zeroResults: r.zero_results };
}

function dayStat(d: DayRow): DayStat {
  return {
    day: d.day,
    searches: d.searches,
    searchesWithClicks: d.with_clicks,
    clicks: d.clicks,
    clickThroughRate: ratio(d.with_clicks, d.with_results),
    meanReciprocalRank: ratio(d.rr, d.with_results),
    zeroResultSearches: d.zero,
  };
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}
