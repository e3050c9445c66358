/**
 * The durable search event log (SQLite through better-sqlite3, WAL, synchronous=FULL): one row per
 * search served (its id, query, mode, result page) and one per impression or click recorded by
 * clients. Training (click logs) and analytics read it. Writes commit before they return.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../domain/errors';
import type { SearchLog, SearchLogEntry } from '../search/search.service';

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

export class EventLog implements SearchLog {
  private readonly db: Database.Database;
  private readonly insertSearch: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly searchExists: Database.Statement;

  constructor(file: string) {
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
        result_ids TEXT NOT NULL
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
    this.insertSearch = this.db.prepare(
      `INSERT OR REPLACE INTO searches (search_id, created_at, mode, text, modifier, image_kind, reference_id, filter, page_offset, total_count, result_ids)
       VALUES (@searchId, @createdAt, @mode, @text, @modifier, @imageKind, @referenceId, @filter, @offset, @totalCount, @resultIds)`,
    );
    this.insertEvent = this.db.prepare(
      `INSERT INTO search_events (search_id, type, product_id, position, occurred_at, recorded_at)
       VALUES (@searchId, @type, @productId, @position, @occurredAt, @recordedAt)`,
    );
    this.searchExists = this.db.prepare('SELECT 1 FROM searches WHERE search_id = ?');
  }

  recordSearch(entry: SearchLogEntry): void {
    this.insertSearch.run({
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
    });
  }

  /** Validates every event first, then stores all of them in one transaction; returns the count. */
  recordEvents(events: SearchEventInput[], now = new Date()): number {
    if (events.length === 0) throw new InvalidInputError('events is empty: give at least one event');
    if (events.length > MAX_EVENTS_PER_CALL) {
      throw new InvalidInputError(`events has ${events.length} entries; send at most ${MAX_EVENTS_PER_CALL} per call`);
    }
    const recordedAt = now.toISOString();
    const rows = events.map((e, i) => {
      const at = `events[${i}]`;
      if (!e.searchId || !this.searchExists.get(e.searchId)) {
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
    this.db.transaction(() => rows.forEach((r) => this.insertEvent.run(r)))();
    return rows.length;
  }

  searches(range: TimeRange = {}): StoredSearch[] {
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
    }));
  }

  events(range: TimeRange = {}): StoredSearchEvent[] {
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

  close(): void {
    if (this.db.open) this.db.close();
  }
}
