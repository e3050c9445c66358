/**
 * The durable search event log (SQLite through better-sqlite3, WAL, synchronous=FULL): one row per
 * search served (its id, query, mode, result page) and one per impression or click recorded by
 * clients. Training (click logs) and analytics read it.
 *
 * Two write paths, because they promise different things:
 * - Search entries are group-committed. `recordSearch` only appends to a bounded in-memory buffer;
 *   the buffer is written in one transaction (one fsync) when `flushIntervalMs` has passed since its
 *   first entry or when it holds `maxBatch` entries (then on the next turn of the event loop, never
 *   inside the search). A search therefore never waits for a disk sync. When the buffer is full
 *   (`maxBuffered`, e.g. the disk stalls) new entries are dropped and counted: the search log is best
 *   effort and never fails or slows a search. A killed process loses at most the entries of the last
 *   interval; `close` writes everything buffered.
 * - Recorded events (impressions, clicks) are acknowledged durable: `recordEvents` commits them
 *   synchronously, in the same transaction as any buffered search entries, before it returns.
 * Every read first writes the buffer, so readers see every search served so far.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../domain/errors';
import type { SearchLog, SearchLogEntry } from '../search/search.service';
import type { SearchAnalytics, SearchAnalyticsQuery } from '../evaluation/search-analytics';
import { EventLogAnalytics } from './event-log.analytics';

export type SearchEventType = 'IMPRESSION' | 'CLICK';

export interface SearchEventInput {
  searchId: string;
  type: SearchEventType;
  productId: string;
  position: number;
  occurredAt?: string | null;
}

export interface StoredSearch {
  searchId: string;
  createdAt: string;
  mode: string;
  text: string | null;
  modifier: string | null;
  imageKind: string | null;
  referenceId: string | null;
  filter: string | null;
  offset: number;
  totalCount: number;
  resultIds: string[];
  /** The storefront's id of the shopper's visit (SearchInput.sessionId), when it sent one. */
  sessionId?: string | null;
}

export interface StoredSearchEvent {
  id: number;
  searchId: string;
  type: SearchEventType;
  productId: string;
  position: number;
  occurredAt: string;
  recordedAt: string;
}

export interface TimeRange {
  from?: string;
  to?: string;
}

export const MAX_EVENTS_PER_CALL = 1000;

export interface EventLogOptions {
  /** Longest time (ms) a search entry waits in memory before its group commit (default 200). */
  flushIntervalMs?: number;
  /** Buffered search entries that start a commit without waiting for the interval (default 256). */
  maxBatch?: number;
  /** Buffered search entries beyond which new ones are dropped and counted (default 10,000). */
  maxBuffered?: number;
  /** Told when a background commit fails (its entries stay buffered for the next attempt). */
  onError?: (error: unknown) => void;
}

export const DEFAULT_EVENT_LOG_OPTIONS = { flushIntervalMs: 200, maxBatch: 256, maxBuffered: 10_000 } as const;

/** The write side of the search log, for metrics: buffered entries, dropped entries, commits. */
export interface EventLogStats {
  pending: number;
  dropped: number;
  commits: number;
}

/** A search entry as it will be written (serialised when buffered, so the result objects can go). */
interface SearchRow {
  searchId: string;
  createdAt: string;
  mode: string;
  text: string | null;
  modifier: string | null;
  imageKind: string | null;
  referenceId: string | null;
  filter: string | null;
  offset: number;
  totalCount: number;
  resultIds: string;
  sessionId: string | null;
}

export class EventLog implements SearchLog {
  private readonly db: Database.Database;
  private readonly insertSearch: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly searchExists: Database.Statement;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly onError: (error: unknown) => void;
  /** Search entries not yet committed, oldest first, and their ids. */
  private buffer: SearchRow[] = [];
  private readonly bufferedIds = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private droppedCount = 0;
  private commitCount = 0;

  constructor(file: string, options: EventLogOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_EVENT_LOG_OPTIONS.flushIntervalMs;
    this.maxBatch = options.maxBatch ?? DEFAULT_EVENT_LOG_OPTIONS.maxBatch;
    this.maxBuffered = options.maxBuffered ?? DEFAULT_EVENT_LOG_OPTIONS.maxBuffered;
    if (!(this.flushIntervalMs >= 0) || !Number.isInteger(this.maxBatch) || this.maxBatch < 1 || !Number.isInteger(this.maxBuffered) || this.maxBuffered < this.maxBatch) {
      throw new RangeError('EventLog: flushIntervalMs must be >= 0, maxBatch >= 1 and maxBuffered >= maxBatch');
    }
    this.onError = options.onError ?? (() => undefined);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS searches (
        search_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        mode TEXT NOT NULL,
        text TEXT,
        modifier TEXT,
        image_kind TEXT,
        reference_id TEXT,
        filter TEXT,
        page_offset INTEGER NOT NULL,
        total_count INTEGER NOT NULL,
        result_ids TEXT NOT NULL,
        session_id TEXT
      );
      CREATE INDEX IF NOT EXISTS searches_created_at ON searches (created_at);
      CREATE TABLE IF NOT EXISTS search_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        search_id TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('IMPRESSION', 'CLICK')),
        product_id TEXT NOT NULL,
        position INTEGER NOT NULL CHECK (position >= 1),
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS search_events_search ON search_events (search_id);
      CREATE INDEX IF NOT EXISTS search_events_occurred_at ON search_events (occurred_at);
    `);
    // Logs written before searches carried a session id gain the column (null for their rows).
    const columns = this.db.prepare('PRAGMA table_info(searches)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'session_id')) this.db.exec('ALTER TABLE searches ADD COLUMN session_id TEXT');
    this.insertSearch = this.db.prepare(
      `INSERT OR REPLACE INTO searches (search_id, created_at, mode, text, modifier, image_kind, reference_id, filter, page_offset, total_count, result_ids, session_id)
       VALUES (@searchId, @createdAt, @mode, @text, @modifier, @imageKind, @referenceId, @filter, @offset, @totalCount, @resultIds, @sessionId)`,
    );
    this.insertEvent = this.db.prepare(
      `INSERT INTO search_events (search_id, type, product_id, position, occurred_at, recorded_at)
       VALUES (@searchId, @type, @productId, @position, @occurredAt, @recordedAt)`,
    );
    this.searchExists = this.db.prepare('SELECT 1 FROM searches WHERE search_id = ?');
  }

  /** Buffers one search entry for the next group commit; never writes to disk itself (see the header). */
  recordSearch(entry: SearchLogEntry): void {
    if (!this.db.open) return;
    if (this.buffer.length >= this.maxBuffered) {
      this.droppedCount++;
      return;
    }
    this.buffer.push({
      searchId: entry.searchId,
      createdAt: entry.createdAt.toISOString(),
      mode: entry.mode,
      text: entry.text,
      modifier: entry.modifier,
      imageKind: entry.imageKind,
      referenceId: entry.referenceId,
      filter: entry.filter ? JSON.stringify(entry.filter) : null,
      offset: entry.offset,
      totalCount: entry.totalCount,
      resultIds: JSON.stringify(entry.resultIds),
      sessionId: entry.sessionId ?? null,
    });
    this.bufferedIds.add(entry.searchId);
    this.scheduleFlush();
  }

  /** Buffered entries, entries dropped because the buffer was full, and commits made so far. */
  stats(): EventLogStats {
    return { pending: this.buffer.length, dropped: this.droppedCount, commits: this.commitCount };
  }

  /**
   * Writes every buffered search entry now, in one transaction. Throws when the commit fails; the
   * entries then stay buffered for the next attempt.
   */
  flush(): void {
    this.cancelScheduledFlush();
    if (this.buffer.length === 0 || !this.db.open) return;
    this.commit();
  }

  /**
   * One transaction: the buffered search entries, then `more` (recorded events). The buffer is
   * emptied only once the transaction has committed; a failed one leaves it as it was.
   */
  private commit<T>(more?: () => T): T | undefined {
    const rows = this.buffer;
    const out = this.db.transaction(() => {
      for (const row of rows) this.insertSearch.run(row);
      return more?.();
    })();
    if (rows.length > 0) {
      // better-sqlite3 is synchronous: nothing was buffered while the transaction ran.
      this.buffer = [];
      this.bufferedIds.clear();
      this.commitCount++;
    }
    return out;
  }

  private scheduleFlush(): void {
    if (this.buffer.length >= this.maxBatch) {
      if (this.immediate) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.immediate = setImmediate(() => this.backgroundFlush());
      return;
    }
    if (this.timer || this.immediate) return;
    this.timer = setTimeout(() => this.backgroundFlush(), this.flushIntervalMs);
    this.timer.unref();
  }

  private cancelScheduledFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  /** A commit started by the timer: a failure is reported and retried after the next interval. */
  private backgroundFlush(): void {
    this.timer = null;
    this.immediate = null;
    if (!this.db.open || this.buffer.length === 0) return;
    try {
      this.commit();
    } catch (error) {
      this.onError(error);
    }
    if (this.buffer.length > 0 && this.db.open) {
      this.timer = setTimeout(() => this.backgroundFlush(), Math.max(this.flushIntervalMs, 10));
      this.timer.unref();
    }
  }

  /**
   * Validates every event first, then stores all of them, with the buffered search entries, in one
   * transaction that has committed (fsync) when this returns; returns the count.
   */
  recordEvents(events: SearchEventInput[], now = new Date()): number {
    if (events.length === 0) throw new InvalidInputError('events is empty: give at least one event');
    if (events.length > MAX_EVENTS_PER_CALL) {
      throw new InvalidInputError(`events has ${events.length} entries; send at most ${MAX_EVENTS_PER_CALL} per call`);
    }
    const recordedAt = now.toISOString();
    const rows = events.map((e, i) => {
      const at = `events[${i}]`;
      if (!e.searchId || !(this.bufferedIds.has(e.searchId) || this.searchExists.get(e.searchId))) {
        throw new InvalidInputError(`${at}.searchId "${e.searchId}" is not a search this service answered; use the searchId of a search result`, {
          argument: `${at}.searchId`,
        });
      }
      if (e.type !== 'IMPRESSION' && e.type !== 'CLICK') throw new InvalidInputError(`${at}.type must be IMPRESSION or CLICK`);
      if (!e.productId || !e.productId.trim()) throw new InvalidInputError(`${at}.productId must name a product`);
      if (!Number.isInteger(e.position) || e.position < 1 || e.position > 100_000) {
        throw new InvalidInputError(`${at}.position must be a 1-based integer position, got ${e.position}`);
      }
      let occurredAt = recordedAt;
      if (e.occurredAt != null) {
        const t = Date.parse(e.occurredAt);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(e.occurredAt) || Number.isNaN(t)) {
          throw new InvalidInputError(`${at}.occurredAt must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z`);
        }
        occurredAt = new Date(t).toISOString();
      }
      return { searchId: e.searchId, type: e.type, productId: e.productId.trim(), position: e.position, occurredAt, recordedAt };
    });
    this.cancelScheduledFlush();
    try {
      this.commit(() => rows.forEach((r) => this.insertEvent.run(r)));
    } finally {
      if (this.buffer.length > 0) this.scheduleFlush();
    }
    return rows.length;
  }

  searches(range: TimeRange = {}): StoredSearch[] {
    this.flushForRead();
    const rows = this.db
      .prepare(
        `SELECT * FROM searches WHERE (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to) ORDER BY created_at, search_id`,
      )
      .all({ from: range.from ?? null, to: range.to ?? null }) as Record<string, unknown>[];
    return rows.map((r) => ({
      searchId: r.search_id as string,
      createdAt: r.created_at as string,
      mode: r.mode as string,
      text: r.text as string | null,
      modifier: r.modifier as string | null,
      imageKind: r.image_kind as string | null,
      referenceId: r.reference_id as string | null,
      filter: r.filter as string | null,
      offset: r.page_offset as number,
      totalCount: r.total_count as number,
      resultIds: JSON.parse(r.result_ids as string) as string[],
      sessionId: (r.session_id as string | null) ?? null,
    }));
  }

  events(range: TimeRange = {}): StoredSearchEvent[] {
    this.flushForRead();
    const rows = this.db
      .prepare(
        `SELECT * FROM search_events WHERE (@from IS NULL OR occurred_at >= @from) AND (@to IS NULL OR occurred_at < @to) ORDER BY occurred_at, id`,
      )
      .all({ from: range.from ?? null, to: range.to ?? null }) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number,
      searchId: r.search_id as string,
      type: r.type as SearchEventType,
      productId: r.product_id as string,
      position: r.position as number,
      occurredAt: r.occurred_at as string,
      recordedAt: r.recorded_at as string,
    }));
  }

  private analyticsQueries: EventLogAnalytics | null = null;

  /** Search analytics computed in the database (src/events/event-log.analytics.ts), one page of queries and days. */
  searchAnalytics(query: SearchAnalyticsQuery): SearchAnalytics {
    this.flushForRead();
    this.analyticsQueries ??= new EventLogAnalytics(this.db);
    return this.analyticsQueries.run(query);
  }

  /** Before a read: writes the buffer so the read sees every search served (a failed write is reported, the read goes on). */
  flushForRead(): void {
    try {
      this.flush();
    } catch (error) {
      this.onError(error);
    }
  }

  /** Writes the buffered search entries, then closes the database. */
  close(): void {
    this.cancelScheduledFlush();
    if (!this.db.open) return;
    try {
      this.flush();
    } catch (error) {
      this.onError(error);
    } finally {
      this.db.close();
    }
  }
}
