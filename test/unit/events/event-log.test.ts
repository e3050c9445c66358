import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { EventLog } from '../../../src/events/event-log';
import type { SearchLogEntry } from '../../../src/search/search.service';

const entry = (searchId: string, createdAt = new Date('2026-03-01T10:00:00Z')): SearchLogEntry => ({
  searchId,
  mode: 'TEXT',
  text: 'red dress',
  modifier: null,
  imageKind: null,
  referenceId: null,
  filter: { must: [{ kind: 'match', key: 'inStock', value: true }] },
  offset: 0,
  totalCount: 42,
  resultIds: ['a', 'b', 'c'],
  createdAt,
});

describe('EventLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores searches and events durably across reopen', () => {
    const file = path.join(dir, 'events.sqlite');
    const log = new EventLog(file);
    log.recordSearch(entry('s1'));
    expect(
      log.recordEvents([
        { searchId: 's1', type: 'IMPRESSION', productId: 'a', position: 1, occurredAt: '2026-03-01T10:00:01Z' },
        { searchId: 's1', type: 'CLICK', productId: 'b', position: 2, occurredAt: '2026-03-01T10:00:05+01:00' },
      ]),
    ).toBe(2);
    log.close();
    const reopened = new EventLog(file);
    expect(reopened.searches()).toEqual([
      expect.objectContaining({ searchId: 's1', text: 'red dress', totalCount: 42, resultIds: ['a', 'b', 'c'], createdAt: '2026-03-01T10:00:00.000Z' }),
    ]);
    const events = reopened.events();
    expect(events.map((e) => [e.type, e.productId, e.position, e.occurredAt])).toEqual([
      ['CLICK', 'b', 2, '2026-03-01T09:00:05.000Z'],
      ['IMPRESSION', 'a', 1, '2026-03-01T10:00:01.000Z'],
    ]);
    reopened.close();
  });

  it('validates the whole batch before writing any of it', () => {
    const log = new EventLog(':memory:');
    log.recordSearch(entry('s1'));
    expect(() =>
      log.recordEvents([
        { searchId: 's1', type: 'CLICK', productId: 'a', position: 1 },
        { searchId: 's1', type: 'CLICK', productId: 'a', position: 0 },
      ]),
    ).toThrow(/events\[1\]\.position must be a 1-based integer/);
    expect(log.events()).toEqual([]);
    expect(() => log.recordEvents([])).toThrow(/events is empty/);
    expect(() => log.recordEvents([{ searchId: 'other', type: 'CLICK', productId: 'a', position: 1 }])).toThrow(/events\[0\]\.searchId "other"/);
    log.close();
  });

  it('records the session id of a search, and adds the column to a log written before it existed', () => {
    const file = path.join(dir, 'events.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE searches (search_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, mode TEXT NOT NULL, text TEXT, modifier TEXT,
      image_kind TEXT, reference_id TEXT, filter TEXT, page_offset INTEGER NOT NULL, total_count INTEGER NOT NULL, result_ids TEXT NOT NULL)`);
    old.prepare(`INSERT INTO searches VALUES ('old', '2026-01-01T00:00:00.000Z', 'TEXT', 'navy', NULL, NULL, NULL, NULL, 0, 1, '["a"]')`).run();
    old.close();
    const log = new EventLog(file);
    log.recordSearch({ ...entry('s1'), sessionId: 'visit-7' });
    log.recordSearch(entry('s2', new Date('2026-03-01T10:00:01Z')));
    expect(log.searches().map((s) => [s.searchId, s.sessionId])).toEqual([
      ['old', null],
      ['s1', 'visit-7'],
      ['s2', null],
    ]);
    log.close();
  });
});

