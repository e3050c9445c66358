/**
 * Search analytics over recorded search events: click-through rate, mean reciprocal rank of clicks,
 * zero-result queries, top queries and a series per day, with pages of queries and days.
 *
 * Two implementations of one definition: the API's event log computes them in SQLite
 * (src/events/event-log.analytics.ts), so memory does not grow with the number of searches;
 * `computeSearchAnalytics` computes them in memory from a list of events (seed clicks files, and
 * the reference the SQL version is tested against).
 *
 * Definitions:
 * - a search is one recorded result list; it has a zero result when nothing was shown;
 * - CTR = searches with at least one click / searches with at least one result;
 * - click MRR = mean over searches with results of 1 / (position of the best-ranked click), 0 for a
 *   search without clicks; positions are 1-based;
 * - queries are grouped by their normalised text (trimmed, lower-cased, inner whitespace collapsed).
 */
import { InvalidInputError, UnavailableError } from '../domain/errors';

export interface SearchEventClick {
  productId: string;
  /** 1-based rank of the clicked product in the result list. */
  position: number;
}

export interface SearchEvent {
  searchId: string;
  /** UTC day of the search, YYYY-MM-DD. */
  day: string;
  query: string;
  /** Product ids shown, in rank order. */
  shown: string[];
  clicks: SearchEventClick[];
}

export interface SearchEventSource {
  /** Events whose day lies in [from, to] (inclusive, YYYY-MM-DD; open where absent). */
  searchEvents(range: { from?: string; to?: string }): Promise<SearchEvent[]>;
}

/** A validated analytics request: a day range and the pages of queries and days. */
export interface SearchAnalyticsQuery {
  from?: string;
  to?: string;
  /** Queries per page of topQueries and zeroResultQueries. */
  topQueries: number;
  /** Queries skipped before each of those pages. */
  queryOffset: number;
  /** Days per page of perDay. */
  dayLimit: number;
  /** Days skipped before that page. */
  dayOffset: number;
}

/** Analytics as requested; `from`/`to` are UTC days, the rest optional (defaults below). */
export interface SearchAnalyticsOptions {
  from?: string | null;
  to?: string | null;
  topQueries?: number | null;
  queryOffset?: number | null;
  dayLimit?: number | null;
  dayOffset?: number | null;
}

/** Whatever computes analytics for a validated query (the event log in SQL, or events in memory). */
export interface SearchAnalyticsSource {
  searchAnalytics(query: SearchAnalyticsQuery): SearchAnalytics | Promise<SearchAnalytics>;
}

export const ANALYTICS_LIMITS = {
  defaultTopQueries: 10,
  maxTopQueries: 1000,
  defaultDayLimit: 366,
  maxDayLimit: 3660,
  maxOffset: 1_000_000,
} as const;

export interface QueryStat {
  query: string;
  searches: number;
  clicks: number;
  clickThroughRate: number;
  zeroResults: number;
}

export interface DayStat {
  day: string;
  searches: number;
  searchesWithClicks: number;
  clicks: number;
  clickThroughRate: number;
  meanReciprocalRank: number;
  zeroResultSearches: number;
}

export interface SearchAnalytics {
  from: string | null;
  to: string | null;
  searches: number;
  searchesWithResults: number;
  searchesWithClicks: number;
  clicks: number;
  clickThroughRate: number;
  meanReciprocalRank: number;
  zeroResultSearches: number;
  zeroResultRate: number;
  /** Queries that returned nothing, most frequent first (one page: queryOffset, topQueries). */
  zeroResultQueries: QueryStat[];
  /** Most frequent queries first, ties by query text (one page: queryOffset, topQueries). */
  topQueries: QueryStat[];
  /** Days in order (one page: dayOffset, dayLimit). */
  perDay: DayStat[];
  /** Distinct normalised queries in the range (what topQueries pages through). */
  distinctQueries: number;
  /** Distinct queries with a zero-result search (what zeroResultQueries pages through). */
  distinctZeroResultQueries: number;
  /** Days with at least one search (what perDay pages through). */
  days: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar day written YYYY-MM-DD (so 2026-02-30 is not one). */
export function isCalendarDay(v: string): boolean {
  if (!DAY.test(v)) return false;
  const t = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
}

export function normalizeQuery(q: string): string {
  return q.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function validateRange(range: { from?: string | null; to?: string | null }): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  for (const key of ['from', 'to'] as const) {
    const v = range[key];
    if (v === undefined || v === null) continue;
    if (!isCalendarDay(v)) {
      throw new InvalidInputError(`${key} must be a calendar day written YYYY-MM-DD, got "${v.slice(0, 40)}"`, { field: key });
    }
    out[key] = v;
  }
  if (out.from && out.to && out.from > out.to) throw new InvalidInputError(`from (${out.from}) is after to (${out.to})`);
  return out;
}

/** Checks the range and the page arguments; every bad one gets an error naming it and its bounds. */
export function validateAnalyticsQuery(options: SearchAnalyticsOptions = {}): SearchAnalyticsQuery {
  const L = ANALYTICS_LIMITS;
  const int = (name: keyof SearchAnalyticsOptions, value: number | null | undefined, fallback: number, max: number): number => {
    if (value === undefined || value === null) return fallback;
    if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new InvalidInputError(`${name} must be an integer in 0..${max}, got ${value}`, { field: name });
    return value;
  };
  return {
    ...validateRange(options),
    topQueries: int('topQueries', options.topQueries, L.defaultTopQueries, L.maxTopQueries),
    queryOffset: int('queryOffset', options.queryOffset, 0, L.maxOffset),
    dayLimit: int('dayLimit', options.dayLimit, L.defaultDayLimit, L.maxDayLimit),
    dayOffset: int('dayOffset', options.dayOffset, 0, L.maxOffset),
  };
}

/** a / b, 0 when b is 0. */
export const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function firstClickRank(e: SearchEvent): number | null {
  let best: number | null = null;
  for (const c of e.clicks) if (Number.isInteger(c.position) && c.position >= 1 && (best === null || c.position < best)) best = c.position;
  return best;
}

/** The analytics of `events`, in memory (the reference definition; see the header). */
export function computeSearchAnalytics(events: readonly SearchEvent[], options: SearchAnalyticsOptions = {}): SearchAnalytics {
  const query = validateAnalyticsQuery(options);
  const range = { from: query.from, to: query.to };
  const inRange = events.filter((e) => (!range.from || e.day >= range.from) && (!range.to || e.day <= range.to));

  const byQuery = new Map<string, QueryStat>();
  const byDay = new Map<string, { searches: number; withResults: number; withClicks: number; clicks: number; rr: number; zero: number }>();
  let withResults = 0;
  let withClicks = 0;
  let clicks = 0;
  let rrSum = 0;
  let zero = 0;
  for (const e of inRange) {
    const isZero = e.shown.length === 0;
    const rank = firstClickRank(e);
    const q = normalizeQuery(e.query);
    const qs = byQuery.get(q) ?? { query: q, searches: 0, clicks: 0, clickThroughRate: 0, zeroResults: 0 };
    qs.searches++;
    qs.clicks += e.clicks.length;
    if (isZero) qs.zeroResults++;
    byQuery.set(q, qs);
    const d = byDay.get(e.day) ?? { searches: 0, withResults: 0, withClicks: 0, clicks: 0, rr: 0, zero: 0 };
    d.searches++;
    d.clicks += e.clicks.length;
    clicks += e.clicks.length;
    if (isZero) {
      d.zero++;
      zero++;
    } else {
      d.withResults++;
      withResults++;
      if (rank !== null) {
        d.withClicks++;
        withClicks++;
        d.rr += 1 / rank;
        rrSum += 1 / rank;
      }
    }
    byDay.set(e.day, d);
  }
  // Per-query CTR counts searches with a click among searches with results.
  const clickedByQuery = new Map<string, number>();
  for (const e of inRange) if (e.shown.length > 0 && firstClickRank(e) !== null) {
    const q = normalizeQuery(e.query);
    clickedByQuery.set(q, (clickedByQuery.get(q) ?? 0) + 1);
  }
  for (const qs of byQuery.values()) {
    const served = qs.searches - qs.zeroResults;
    qs.clickThroughRate = served === 0 ? 0 : (clickedByQuery.get(qs.query) ?? 0) / served;
  }
  const rankQueries = (a: QueryStat, b: QueryStat, key: 'searches' | 'zeroResults'): number =>
    b[key] - a[key] || (a.query < b.query ? -1 : a.query > b.query ? 1 : 0);
  const all = [...byQuery.values()];
  const page = <T>(list: T[], offset: number, limit: number): T[] => list.slice(offset, offset + limit);
  const zeroQueries = all.filter((q) => q.zeroResults > 0).sort((a, b) => rankQueries(a, b, 'zeroResults'));
  const days = [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    from: range.from ?? null,
    to: range.to ?? null,
    searches: inRange.length,
    searchesWithResults: withResults,
    searchesWithClicks: withClicks,
    clicks,
    clickThroughRate: withResults === 0 ? 0 : withClicks / withResults,
    meanReciprocalRank: withResults === 0 ? 0 : rrSum / withResults,
    zeroResultSearches: zero,
    zeroResultRate: inRange.length === 0 ? 0 : zero / inRange.length,
    zeroResultQueries: page(zeroQueries, query.queryOffset, query.topQueries),
    topQueries: page(
      all.sort((a, b) => rankQueries(a, b, 'searches')),
      query.queryOffset,
      query.topQueries,
    ),
    perDay: page(days, query.dayOffset, query.dayLimit).map(([day, d]) => ({
        day,
        searches: d.searches,
        searchesWithClicks: d.withClicks,
        clicks: d.clicks,
        clickThroughRate: d.withResults === 0 ? 0 : d.withClicks / d.withResults,
        meanReciprocalRank: d.withResults === 0 ? 0 : d.rr / d.withResults,
        zeroResultSearches: d.zero,
      })),
    distinctQueries: all.length,
    distinctZeroResultQueries: zeroQueries.length,
    days: days.length,
  };
}

/** Analytics computed in memory from the events of a SearchEventSource (e.g. a seed clicks file). */
export class InMemorySearchAnalytics implements SearchAnalyticsSource {
  constructor(private readonly events: SearchEventSource) {}

  async searchAnalytics(query: SearchAnalyticsQuery): Promise<SearchAnalytics> {
    return computeSearchAnalytics(await this.events.searchEvents({ from: query.from, to: query.to }), query);
  }
}

export class SearchAnalyticsService {
  constructor(private readonly source: SearchAnalyticsSource) {}

  async analytics(options: SearchAnalyticsOptions = {}): Promise<SearchAnalytics> {
    return this.source.searchAnalytics(validateAnalyticsQuery(options));
  }
}

/** The configured service, or a clear error when this server records no search events. */
export function searchAnalyticsService(service: SearchAnalyticsService | undefined): SearchAnalyticsService {
  if (!service) throw new UnavailableError('search analytics are not configured on this server (no event log)');
  return service;
}
