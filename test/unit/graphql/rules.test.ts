/**
 * Merchandising rules over GraphQL: access by role, the draft / publish / rollback flow as a
 * storefront sees it, coded errors, and previews with click replay of recorded traffic.
 */
import { createTestApi } from './test-api';

const RULE_FIELDS = `id status revision updatedBy liveVersion conditions { query { is contains matches attributes { name value } } contexts modes filters { name value } }
  actions { pins { productId position } hide boosts { attribute values weight } synonyms { terms oneWay } filter { inStock attributes { attribute anyOf noneOf } and { inStock } } redirect { url keepResults } }`;
const UPSERT = `mutation($rule: RuleInput!, $rev: Int) { upsertRule(rule: $rule, expectedRevision: $rev) { ${RULE_FIELDS} } }`;
const PUBLISH = `mutation($note: String, $expected: Int) { publishRules(note: $note, expectedRelease: $expected) { version ruleCount publishedBy note rules { id } } }`;
const SEARCH = `query($text: String!, $context: String) { search(input: { text: $text, first: 5, context: $context }) {
  searchId rules { id description actions } rewrittenText redirect { url keepResults }
  edges { node { id brand } explanation { positionWithoutRules rules { ruleId kind detail } } } } }`;

describe('merchandising rules over GraphQL', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let merchandiser = '';
  let searcher = '';

  beforeAll(async () => {
    api = await createTestApi(40);
    merchandiser = api.keys.create({ roles: ['merchandiser'], name: 'mia' }).key;
    searcher = api.keys.create({ roles: ['search'], name: 'shop' }).key;
  });

  afterAll(async () => {
    await api.close();
  });

  it('needs the merchandiser role to read, preview or write rules', async () => {
    const rule = { id: 'r', actions: { hide: ['p-0001'] } };
    for (const [key, code] of [
      [null, 'UNAUTHENTICATED'],
      [searcher, 'FORBIDDEN'],
    ] as const) {
      for (const [query, variables] of [
        ['{ rules { id } }', {}],
        ['query($rule: RuleInput!) { previewRule(rule: $rule, queries: ["red"]) { flagged } }', { rule }],
        [UPSERT, { rule }],
        [PUBLISH, {}],
        ['mutation { rollbackRules(version: 1) { version } }', {}],
        ['{ ruleAudit { id } }', {}],
      ] as const) {
        const r = await api.exec(query, variables, { key });
        expect(r.errors?.[0].extensions?.code).toBe(code);
      }
    }
    expect((await api.exec('{ rules { id } }', {}, { key: merchandiser })).data).toEqual({ rules: [] });
  });

  it('creates, publishes, applies, explains, audits and rolls back a rule', async () => {
    const base = await api.exec(SEARCH, { text: 'red shirt' }, { key: null });
    const third = base.data!.search.edges[2].node.id;
    const rule = { id: 'red-shirt-pin', description: 'campaign', conditions: { query: { is: ['Red shirt'] } }, actions: { pins: [{ productId: third, position: 1 }] } };
    const saved = await api.exec(UPSERT, { rule }, { key: merchandiser });
    expect(saved.errors).toBeUndefined();
    expect(saved.data!.upsertRule).toMatchObject({ id: 'red-shirt-pin', status: 'DRAFT', revision: 1, updatedBy: 'mia', liveVersion: null });
    expect(saved.data!.upsertRule.conditions.query.is).toEqual(['red shirt']);
    // a draft does not change searches
    expect((await api.exec(SEARCH, { text: 'red shirt' }, { key: null })).data!.search.edges[0].node.id).toBe(base.data!.search.edges[0].node.id);

    const published = await api.exec(PUBLISH, { note: 'go live', expected: 0 }, { key: merchandiser });
    expect(published.data!.publishRules).toEqual({ version: 1, ruleCount: 1, publishedBy: 'mia', note: 'go live', rules: [{ id: 'red-shirt-pin' }] });
    const after = await api.exec(SEARCH, { text: 'red shirt' }, { key: null });
    const s = after.data!.search;
    expect(s.rules).toEqual([{ id: 'red-shirt-pin', description: 'campaign', actions: ['pins'] }]);
    expect(s.edges[0].node.id).toBe(third);
    expect(s.edges[0].explanation).toEqual({ positionWithoutRules: 3, rules: [{ ruleId: 'red-shirt-pin', kind: 'PIN', detail: 'pinned at position 1' }] });
    expect(s.edges[1].explanation.positionWithoutRules).toBe(1);

    // change it, publish again, then roll back to release 1
    await api.exec(UPSERT, { rule: { ...rule, actions: { hide: [third] } }, rev: 1 }, { key: merchandiser });
    expect((await api.exec('{ rule(id: "red-shirt-pin") { status live { actions { pins { position } } } } }', {}, { key: merchandiser })).data!.rule).toEqual({
      status: 'MODIFIED',
      live: { actions: { pins: [{ position: 1 }] } },
    });
    await api.exec(PUBLISH, {}, { key: merchandiser });
    expect((await api.exec(SEARCH, { text: 'red shirt' }, { key: null })).data!.search.edges.map((e: any) => e.node.id)).not.toContain(third);
    const rolled = await api.exec('mutation { rollbackRules(version: 1, note: "hid too much") { version restoredFrom rules { id actions { pins { productId } } } } }', {}, { key: merchandiser });
    expect(rolled.data!.rollbackRules).toEqual({ version: 3, restoredFrom: 1, rules: [{ id: 'red-shirt-pin', actions: { pins: [{ productId: third }] } }] });
    expect((await api.exec(SEARCH, { text: 'red shirt' }, { key: null })).data!.search.edges[0].node.id).toBe(third);

    const releases = await api.exec('{ ruleReleases { version ruleCount restoredFrom } }', {}, { key: merchandiser });
    expect(releases.data!.ruleReleases).toEqual([
      { version: 3, ruleCount: 1, restoredFrom: 1 },
      { version: 2, ruleCount: 1, restoredFrom: null },
      { version: 1, ruleCount: 1, restoredFrom: null },
    ]);
    const audit = await api.exec('{ ruleAudit(first: 10) { action actor ruleId releaseVersion before { id } after { id } note } }', {}, { key: merchandiser });
    expect(audit.data!.ruleAudit.map((e: any) => [e.action, e.actor, e.releaseVersion])).toEqual([
      ['ROLLBACK', 'mia', 3],
      ['PUBLISH', 'mia', 2],
      ['UPSERT', 'mia', null],
      ['PUBLISH', 'mia', 1],
      ['UPSERT', 'mia', null],
    ]);

    // delete: leaves at the next release
    const deleted = await api.exec('mutation { deleteRule(id: "red-shirt-pin") { status } }', {}, { key: merchandiser });
    expect(deleted.data!.deleteRule.status).toBe('DELETED');
    await api.exec(PUBLISH, {}, { key: merchandiser });
    expect((await api.exec(SEARCH, { text: 'red shirt' }, { key: null })).data!.search.rules).toEqual([]);
  });

  it.each([
    ['an unknown product', { id: 'x', actions: { pins: [{ productId: 'no-such-product', position: 1 }] } }, 'UNKNOWN_PRODUCT', /no product with id "no-such-product"/],
    ['conflicting pins', { id: 'x', actions: { pins: [{ productId: 'p-0001', position: 1 }, { productId: 'p-0002', position: 1 }] } }, 'CONFLICTING_PINS', /position 1 is already pinned/],
    ['a slow pattern', { id: 'x', conditions: { query: { matches: '(a|aa)*b' } }, actions: { hide: ['p-0001'] } }, 'SLOW_PATTERN', /exponential/],
    ['a circular synonym', { id: 'x', actions: { synonyms: [{ terms: ['tee', 'TEE'] }] } }, 'CIRCULAR_SYNONYMS', /own synonym/],
    ['an unknown attribute', { id: 'x', actions: { boosts: [{ attribute: 'fabric', values: ['x'], weight: 0.5 }] } }, 'UNKNOWN_ATTRIBUTE', /known attributes/],
    ['no action', { id: 'x', actions: {} }, 'EMPTY_RULE', /at least one action/],
  ])('refuses %s with BAD_USER_INPUT, the reason and the field', async (_what, rule, expectedReason, message) => {
    const r = await api.exec(UPSERT, { rule }, { key: merchandiser });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: expectedReason });
    expect(r.errors?.[0].message).toMatch(message);
    expect(api.errors).toEqual([]);
  });

  it('refuses a write over someone else\'s change with CONFLICT', async () => {
    const rule = { id: 'conflict', actions: { hide: ['p-0003'] } };
    await api.exec(UPSERT, { rule }, { key: merchandiser });
    const r = await api.exec(UPSERT, { rule: { ...rule, actions: { hide: ['p-0004'] } }, rev: 7 }, { key: merchandiser });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', revision: 1 });
    await api.exec('mutation { deleteRule(id: "conflict") { status } }', {}, { key: merchandiser });
  });

  it('applies rules by context, and a storefront context is checked', async () => {
    await api.exec(UPSERT, { rule: { id: 'vip', conditions: { contexts: ['vip'] }, actions: { redirect: { url: 'https://shop.example/vip', keepResults: true } } } }, { key: merchandiser });
    await api.exec(PUBLISH, {}, { key: merchandiser });
    expect((await api.exec(SEARCH, { text: 'dress', context: 'vip' }, { key: null })).data!.search.redirect).toEqual({ url: 'https://shop.example/vip', keepResults: true });
    expect((await api.exec(SEARCH, { text: 'dress', context: 'home' }, { key: null })).data!.search.redirect).toBeNull();
    const bad = await api.exec(SEARCH, { text: 'dress', context: 'x'.repeat(65) }, { key: null });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    await api.exec('mutation { deleteRule(id: "vip") { status } }', {}, { key: merchandiser });
    await api.exec(PUBLISH, {}, { key: merchandiser });
  });

  it('previews a rule on recorded traffic: rankings side by side, click replay, flagged loss, nothing recorded', async () => {
    // 24 recorded searches for "navy bag", each with a click on its first result
    let clicked = '';
    for (let i = 0; i < 24; i++) {
      const s = await api.exec(SEARCH, { text: 'navy bag' }, { key: null });
      const id = s.data!.search.edges[0].node.id;
      clicked = id;
      await api.exec('mutation($e: [SearchEventInput!]!) { recordSearchEvents(events: $e) { recorded } }', {
        e: [{ searchId: s.data!.search.searchId, type: 'CLICK', productId: id, position: 1 }],
      });
    }
    api.events.flush();
    const recordedBefore = api.events.searches().length;
    const preview = await api.exec(
      `query($rule: RuleInput!) { previewRule(rule: $rule) { rule { id } depth truncated flagged warnings judgements { metric }
        queries { text sources recordedSearches fired changed before after left entered }
        clickReplay { searches clicks droppedOut movedDown reciprocalRank { metric before after difference lower upper pValue significantLoss } } } }`,
      { rule: { id: 'hide-navy', conditions: { query: { contains: ['bag'] } }, actions: { hide: [clicked] } } },
      { key: merchandiser },
    );
    expect(preview.errors).toBeUndefined();
    const p = preview.data!.previewRule;
    expect(p.queries).toHaveLength(1);
    expect(p.queries[0]).toMatchObject({ text: 'navy bag', sources: ['RECORDED'], recordedSearches: 24, fired: true, changed: true, left: [clicked], entered: expect.any(Array) });
    expect(p.queries[0].before[0]).toBe(clicked);
    expect(p.queries[0].after).not.toContain(clicked);
    expect(p.clickReplay).toMatchObject({ searches: 24, clicks: 24, droppedOut: 24 });
    expect(p.clickReplay.reciprocalRank).toMatchObject({ metric: 'clicked reciprocal rank', before: 1, after: 0, difference: -1, significantLoss: true });
    expect(p.flagged).toBe(true);
    expect(p.judgements).toEqual([]);
    // previews are not searches: nothing was recorded, and nothing was saved
    api.events.flush();
    expect(api.events.searches()).toHaveLength(recordedBefore);
    expect((await api.exec('{ rule(id: "hide-navy") { id } }', {}, { key: merchandiser })).data!.rule).toBeNull();
  });

  it('previews on given queries, and refuses bad ones', async () => {
    const ok = await api.exec('query($rule: RuleInput!) { previewRule(rule: $rule, queries: ["red dress", "navy bag"], depth: 5) { queries { text sources fired changed } warnings } }', {
      rule: { id: 'x', conditions: { query: { is: ['red dress'] } }, actions: { boosts: [{ attribute: 'brand', values: ['Nordwind'], weight: 1 }] } },
    }, { key: merchandiser });
    expect(ok.data!.previewRule.queries).toEqual([
      { text: 'red dress', sources: ['GIVEN'], fired: true, changed: expect.any(Boolean) },
      // recorded by the test above: its searches join the click replay
      { text: 'navy bag', sources: ['GIVEN', 'RECORDED'], fired: false, changed: false },
    ]);
    const bad = await api.exec('query($rule: RuleInput!) { previewRule(rule: $rule, queries: ["?!"], depth: 500) { flagged } }', { rule: { id: 'x', actions: { hide: ['p-0001'] } } }, { key: merchandiser });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
