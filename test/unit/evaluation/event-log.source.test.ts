import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredSearch, StoredSearchEvent, TimeRange } from '../../../src/events/event-log';
import { ClicksFileSearchEventSource, EventLogSearchEventSource, searchQueryText, toSearchEvents } from '../../../src/evaluation/event-log.source';
import { computeSearchAnalytics } from '../../../src/evaluation/search-analytics';

const search = (searchId: string, createdAt: string, text: string | null, resultIds: string[], extra: Partial<StoredSearch> = {}): StoredSearch => ({
  searchId,
  createdAt,
  mode: 'TEXT',
  text,
  modifier: null,
  imageKind: null,
  referenceId: null,
  filter: null,
  offset: 0,
  totalCount: resultIds.length,
  resultIds,
  ...extra,
});
const click = (id: number, searchId: string, position: number, occurredAt: string, type: 'CLICK' | 'IMPRESSION' = 'CLICK'): StoredSearchEvent => ({
  id,
  searchId,
  type,
  productId: `p${position}`,
  position,
  occurredAt,
  recordedAt: occurredAt,
});

describe('events for analytics', () => {
  const searches = [
    search('s1', '2026-03-01T10:00:00.000Z', 'red dress', ['p1', 'p2', 'p3']),
    search('s2', '2026-03-01T23:59:59.000Z', null, [], { mode: 'IMAGE', imageKind: 'UPLOAD' }),
    search('s3', '2026-03-02T08:00:00.000Z', null, ['p1'], { mode: 'COMPOSED', modifier: 'in blue' }),
  ];
  const events = [click(1, 's1', 3, '2026-03-01T10:01:00.000Z'), click(2, 's1', 2, '2026-03-01T10:02:00.000Z'), click(3, 's1', 1, '2026-03-01T10:00:01.000Z', 'IMPRESSION'), click(4, 's3', 1, '2026-03-03T00:00:01.000Z')];

  it('joins searches with their clicks (impressions are not clicks)', () => {
    const out = toSearchEvents(searches, events);
    expect(out[0]).toEqual({ searchId: 's1', day: '2026-03-01', query: 'red dress', shown: ['p1', 'p2', 'p3'], clicks: [{ productId: 'p3', position: 3 }, { productId: 'p2', position: 2 }] });
    expect(out[1]).toMatchObject({ query: '[image upload]', shown: [], clicks: [] });
    expect(out[2]).toMatchObject({ query: 'in blue', clicks: [{ productId: 'p1', position: 1 }] });
    const a = computeSearchAnalytics(out);
    expect(a.meanReciprocalRank).toBeCloseTo((1 / 2 + 1) / 2, 15);
    expect(a.zeroResultQueries.map((q) => q.query)).toEqual(['[image upload]']);
  });

  it('asks the log for whole UTC days, inclusive, and clicks recorded later', async () => {
    const asked: { searches?: TimeRange; events?: TimeRange } = {};
    const source = new EventLogSearchEventSource({
      searches: (r) => {
        asked.searches = r;
        return searches.filter((s) => (!r?.from || s.createdAt >= r.from) && (!r?.to || s.createdAt < r.to));
      },
      events: (r) => {
        asked.events = r;
        return events;
      },
    });
    const out = await source.searchEvents({ from: '2026-03-01', to: '2026-03-01' });
    expect(asked.searches).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
    expect(asked.events).toEqual({ from: '2026-03-01T00:00:00.000Z' });
    expect(out.map((e) => e.searchId)).toEqual(['s1', 's2']);
  });

  it('query text falls back to the modifier and the mode', () => {
    expect(searchQueryText({ text: '  ', modifier: null, mode: 'SIMILAR', imageKind: null })).toBe('[similar]');
  });

  it('reads a seed clicks file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-clicks-'));
    try {
      const file = join(dir, 'test.jsonl');
      writeFileSync(
        file,
        [
          { searchId: 'a', day: '2026-03-15', split: 'test', queryId: 'q', query: 'x', shown: ['p1'], clicks: [{ productId: 'p1', position: 1 }] },
          { searchId: 'b', day: '2026-03-16', split: 'test', queryId: 'q', query: 'x', shown: ['p1'], clicks: [] },
        ]
          .map((r) => JSON.stringify(r))
          .join('\n'),
      );
      const events = await new ClicksFileSearchEventSource(file).searchEvents({ to: '2026-03-15' });
      expect(events).toEqual([{ searchId: 'a', day: '2026-03-15', query: 'x', shown: ['p1'], clicks: [{ productId: 'p1', position: 1 }] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
