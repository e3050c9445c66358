/** The search log's group commit: searches are buffered and written together, events are durable on return. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventLog } from '../../../src/events/event-log';
import type { SearchLogEntry } from '../../../src/search/search.service';

const entry = (searchId: string): SearchLogEntry => ({
  searchId,
  mode: 'TEXT',
  text: 'red dress',
  modifier: null,
  imageKind: null,
  referenceId: null,
  filter: null,
  offset: 0,
  totalCount: 3,
  resultIds: ['a', 'b', 'c'],
  createdAt: new Date('2026-03-01T10:00:00Z'),
});

/** Rows another connection sees: what has been committed to the file. */
function committedSearches(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM searches').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventLog group commit', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-gc-'));
    file = path.join(dir, 'events.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('does not write a search inside recordSearch, and commits it after the flush interval', async () => {
    const log = new EventLog(file, { flushIntervalMs: 60 });
    try {
      log.recordSearch(entry('s1'));
      log.recordSearch(entry('s2'));
      expect(committedSearches(file)).toBe(0);
      expect(log.stats()).toEqual({ pending: 2, dropped: 0, commits: 0 });
      await sleep(20);
      expect(committedSearches(file)).toBe(0);
      await sleep(120);
      expect(committedSearches(file)).toBe(2);
      expect(log.stats()).toEqual({ pending: 0, dropped: 0, commits: 1 });
    } finally {
      log.close();
    }
  });

  it('writes a burst of searches in a few transactions, not one each, and never inside the call', async () => {
    const log = new EventLog(file, { flushIntervalMs: 10_000, maxBatch: 100 });
    try {
      for (let i = 0; i < 1000; i++) log.recordSearch(entry(`s${i}`));
      // A full batch is committed on the next turn of the event loop, not by the search that filled it.
      expect(committedSearches(file)).toBe(0);
      await sleep(20);
      expect(committedSearches(file)).toBe(1000);
      expect(log.stats().commits).toBe(1);
      for (let i = 1000; i < 1250; i++) {
        log.recordSearch(entry(`s${i}`));
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await sleep(20);
      expect(log.stats().commits).toBeLessThanOrEqual(4);
      expect(log.stats().pending).toBeLessThan(100);
    } finally {
      log.close();
    }
    expect(committedSearches(file)).toBe(1250);
  });

  it('close writes every buffered entry', () => {
    const log = new EventLog(file, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) log.recordSearch(entry(`s${i}`));
    expect(committedSearches(file)).toBe(0);
    log.close();
    expect(committedSearches(file)).toBe(10);
    const reopened = new EventLog(file);
    expect(reopened.searches().map((s) => s.searchId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`).sort());
    reopened.close();
  });

  it('drops and counts entries beyond the bounded buffer instead of growing', () => {
    const log = new EventLog(file, { flushIntervalMs: 60_000, maxBatch: 5, maxBuffered: 5 });
    try {
      // Synchronous calls: the commit scheduled by the full batch has not run yet.
      for (let i = 0; i < 8; i++) log.recordSearch(entry(`s${i}`));
      expect(log.stats()).toEqual({ pending: 5, dropped: 3, commits: 0 });
    } finally {
      log.close();
    }
    expect(committedSearches(file)).toBe(5);
  });

  it('accepts events for a search still in the buffer, and commits both before returning', () => {
    const log = new EventLog(file, { flushIntervalMs: 60_000 });
    try {
      log.recordSearch(entry('s1'));
      expect(log.recordEvents([{ searchId: 's1', type: 'CLICK', productId: 'a', position: 1 }])).toBe(1);
      expect(committedSearches(file)).toBe(1);
      const db = new Database(file, { readonly: true });
      expect((db.prepare('SELECT count(*) AS n FROM search_events').get() as { n: number }).n).toBe(1);
      db.close();
      expect(log.stats()).toMatchObject({ pending: 0, commits: 1 });
    } finally {
      log.close();
    }
  });

  it('reads see searches that are still buffered', () => {
    const log = new EventLog(file, { flushIntervalMs: 60_000 });
    try {
      log.recordSearch(entry('s1'));
      expect(log.searches().map((s) => s.searchId)).toEqual(['s1']);
    } finally {
      log.close();
    }
  });

  it('keeps the entries of a failed background commit for the next attempt and reports the failure', async () => {
    const errors: unknown[] = [];
    const log = new EventLog(file, { flushIntervalMs: 20, onError: (e) => errors.push(e) });
    // Another connection holds the write lock: the commit fails with SQLITE_BUSY.
    const blocker = new Database(file, { timeout: 0 });
    blocker.pragma('busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    (log as unknown as { db: Database.Database }).db.pragma('busy_timeout = 0');
    try {
      log.recordSearch(entry('s1'));
      await sleep(60);
      expect(errors.length).toBeGreaterThan(0);
      expect(log.stats().pending).toBe(1);
      blocker.exec('ROLLBACK');
      await sleep(80);
      expect(log.stats().pending).toBe(0);
      expect(committedSearches(file)).toBe(1);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      log.close();
    }
  });

  it('refuses inconsistent settings', () => {
    expect(() => new EventLog(':memory:', { maxBatch: 10, maxBuffered: 5 })).toThrow(RangeError);
    expect(() => new EventLog(':memory:', { maxBatch: 0 })).toThrow(RangeError);
  });
});
