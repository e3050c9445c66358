import type { EventLog } from '../../../src/events/event-log';
import { SearchAnalyticsService } from '../../../src/evaluation/search-analytics';
import { createTestApi } from './test-api';

const ANALYTICS = /* GraphQL */ `
  query($from: String, $to: String, $top: Int, $qo: Int, $dl: Int, $do: Int) {
    searchAnalytics(from: $from, to: $to, topQueries: $top, queryOffset: $qo, dayLimit: $dl, dayOffset: $do) {
      searches clicks clickThroughRate distinctQueries distinctZeroResultQueries days
      topQueries { query searches clicks }
      zeroResultQueries { query zeroResults }
      perDay { day searches clicks }
    }
  }
`;

describe('Query.searchAnalytics', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let log: EventLog | null = null;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    // The analytics read the API's own event log, as src/evaluation/evaluation.factory.ts wires them.
    api = await createTestApi(30, { services: { analytics: new SearchAnalyticsService({ searchAnalytics: (q) => log!.searchAnalytics(q) }) } });
    log = api.events;
    const searched: { searchId: string; first: string }[] = [];
    for (const text of ['red shirt', 'Red  Shirt', 'blue bag', 'navy dress']) {
      const r = await api.exec(`query($t: String) { search(input: { text: $t, first: 3 }) { searchId edges { node { id } } } }`, { t: text });
      searched.push({ searchId: r.data!.search.searchId, first: r.data!.search.edges[0].node.id });
    }
    const clicked = await api.exec(`mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }`, {
      e: [{ searchId: searched[0].searchId, type: 'CLICK', productId: searched[0].first, position: 1 }],
    });
    expect(clicked.errors).toBeUndefined();
  });
  afterAll(() => api.close());

  it('counts the searches and clicks, one page of queries at a time', async () => {
    const first = await api.exec(ANALYTICS, { from: today, to: today, top: 1 });
    expect(first.errors).toBeUndefined();
    expect(first.data!.searchAnalytics).toMatchObject({ searches: 4, clicks: 1, distinctQueries: 3, days: 1, topQueries: [{ query: 'red shirt', searches: 2, clicks: 1 }] });
    expect(first.data!.searchAnalytics.perDay).toEqual([{ day: today, searches: 4, clicks: 1 }]);
    const rest = await api.exec(ANALYTICS, { top: 5, qo: 1, dl: 0 });
    expect(rest.data!.searchAnalytics.topQueries.map((q: { query: string }) => q.query)).toEqual(['blue bag', 'navy dress']);
    expect(rest.data!.searchAnalytics.perDay).toEqual([]);
  });

  it.each([
    [{ from: '2026-02-30' }, /from must be a calendar day written YYYY-MM-DD, got "2026-02-30"/],
    [{ to: '2026-13-01' }, /to must be a calendar day/],
    [{ top: 5000 }, /topQueries must be an integer in 0\.\.1000/],
    [{ dl: -1 }, /dayLimit must be an integer in 0\.\.3660/],
    [{ qo: 2_000_000 }, /queryOffset must be an integer in 0\.\.1000000/],
  ])('refuses %p with a coded error', async (variables, message) => {
    const r = await api.exec(ANALYTICS, variables);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(message);
  });
});
