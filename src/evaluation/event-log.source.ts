/**
 * Search events for analytics, read from the API's event log (searches served, and the clicks
 * recorded against them) or from a seed clicks file (clicks/<split>.jsonl). The API's analytics
 * do not list events: the event log computes them in SQL (`searchAnalytics`, see
 * src/events/event-log.analytics.ts); listing serves the in-memory reference and exports.
 */
import type { StoredSearch, StoredSearchEvent, TimeRange } from '../events/event-log';
import type { SearchAnalyticsSource, SearchEvent, SearchEventSource } from './search-analytics';
import { readJsonLines } from './seed-judgement-sets';

/** The part of the event log analytics read (src/events/event-log.ts satisfies it). */
export interface SearchEventLog extends SearchAnalyticsSource {
  searches(range?: TimeRange): StoredSearch[];
  events(range?: TimeRange): StoredSearchEvent[];
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

/** A search's query as analytics group it: its text, else its modifier, else its mode. */
export function searchQueryText(s: Pick<StoredSearch, 'text' | 'modifier' | 'mode' | 'imageKind'>): string {
  if (s.text && s.text.trim()) return s.text;
  if (s.modifier && s.modifier.trim()) return s.modifier;
  return `[${s.imageKind ? `${s.mode.toLowerCase()} ${s.imageKind.toLowerCase()}` : s.mode.toLowerCase()}]`;
}

/** Joins searches served in the day range with the clicks recorded for them (clicks of any time). */
export function toSearchEvents(searches: StoredSearch[], events: StoredSearchEvent[]): SearchEvent[] {
  const clicks = new Map<string, { productId: string; position: number }[]>();
  for (const e of events) {
    if (e.type !== 'CLICK') continue;
    const list = clicks.get(e.searchId) ?? [];
    list.push({ productId: e.productId, position: e.position });
    clicks.set(e.searchId, list);
  }
  return searches.map((s) => ({
    searchId: s.searchId,
    day: s.createdAt.slice(0, 10),
    query: searchQueryText(s),
    shown: s.totalCount === 0 ? [] : s.resultIds,
    clicks: clicks.get(s.searchId) ?? [],
  }));
}

export class EventLogSearchEventSource implements SearchEventSource {
  constructor(private readonly log: Pick<SearchEventLog, 'searches' | 'events'>) {}

  async searchEvents(range: { from?: string; to?: string }): Promise<SearchEvent[]> {
    const window: TimeRange = {
      from: range.from ? `${range.from}T00:00:00.000Z` : undefined,
      to: range.to ? nextDay(range.to) : undefined,
    };
    // Clicks may arrive after the search: read them from the window's start on.
    return toSearchEvents(this.log.searches(window), this.log.events({ from: window.from }));
  }
}

/** Search events of a seed clicks file (clicks/<split>.jsonl). */
export class ClicksFileSearchEventSource implements SearchEventSource {
  constructor(private readonly file: string) {}

  async searchEvents(range: { from?: string; to?: string }): Promise<SearchEvent[]> {
    const rows = await readJsonLines<SearchEvent>(this.file, 'clicks file');
    return rows
      .filter((r) => (!range.from || r.day >= range.from) && (!range.to || r.day <= range.to))
      .map((r) => ({ searchId: r.searchId, day: r.day, query: r.query, shown: r.shown ?? [], clicks: r.clicks ?? [] }));
  }
}
