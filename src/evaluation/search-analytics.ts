/**
 * Search analytics over recorded search events: click-through rate, mean reciprocal rank of clicks,
 * zero-result queries, top queries and a series per day. The computation is pure; events come from
 * a `SearchEventSource` (the API's event log, or a seed clicks file).
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
  /** Queries that returned nothing, most frequent first. */
  zeroResultQueries: QueryStat[];
  /** Most frequent queries first (ties by query text). */
  topQueries: QueryStat[];
  perDay: DayStat[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function normalizeQuery(q: string): string {
  return q.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function validateRange(range: { from?: string | null; to?: string | null }): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  for (const key of ['from', 'to'] as const) {
    const v = range[key];
    if (v === undefined || v === null) continue;
    if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
      throw new InvalidInputError(`${key} must be a day written YYYY-MM-DD, got "${v}"`, { field: key });
    }
    out[key] = v;
  }
  if (out.from && out.to && out.from > out.to) throw new InvalidInputError(`from (${out.from}) is after to (${out.to})`);
  return out;
}

function firstClickRank(e: SearchEvent): number | null {
  let best: number | null = null;
  for (const c of e.clicks) if (Number.isInteger(c.position) && c.position >= 1 && (best === null || c.position < best)) best = c.position;
  return best;
}

export function computeSearchAnalytics(
  events: readonly SearchEvent[],
  options: { from?: string | null; to?: string | null; topQueries?: number } = {},
): SearchAnalytics {
  const range = validateRange(options);
  const top = options.topQueries ?? 10;
  if (!Number.isSafeInteger(top) || top < 0 || top > 1000) throw new InvalidInputError(`topQueries must be an integer in 0..1000, got ${top}`);
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
    zeroResultQueries: all
      .filter((q) => q.zeroResults > 0)
      .sort((a, b) => rankQueries(a, b, 'zeroResults'))
      .slice(0, top),
    topQueries: all.sort((a, b) => rankQueries(a, b, 'searches')).slice(0, top),
    perDay: [...byDay.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([day, d]) => ({
        day,
        searches: d.searches,
        searchesWithClicks: d.withClicks,
        clicks: d.clicks,
        clickThroughRate: d.withResults === 0 ? 0 : d.withClicks / d.withResults,
        meanReciprocalRank: d.withResults === 0 ? 0 : d.rr / d.withResults,
        zeroResultSearches: d.zero,
      })),
  };
}

export class SearchAnalyticsService {
  constructor(private readonly source: SearchEventSource) {}

  async analytics(options: { from?: string | null; to?: string | null; topQueries?: number } = {}): Promise<SearchAnalytics> {
    const range = validateRange(options);
    const events = await this.source.searchEvents(range);
    return computeSearchAnalytics(events, { ...range, topQueries: options.topQueries });
  }
}

/** The configured service, or a clear error when this server records no search events. */
export function searchAnalyticsService(service: SearchAnalyticsService | undefined): SearchAnalyticsService {
  if (!service) throw new UnavailableError('search analytics are not configured on this server (no event log)');
  return service;
}
