import { InvalidInputError } from '../../../../src/domain/errors';
import type { RuleAuditEntry, RuleDraft, RuleRelease } from '../../../../src/rules/rule';
import { uuidV5 } from '../../../../src/stores/qdrant/point-id';
import {
  AuditSequence,
  auditPoint,
  buildKindScroll,
  buildRuleIndexes,
  buildRuleRetrieve,
  buildRulesCollection,
  checkLimit,
  checkReleaseVersion,
  draftPoint,
  firstByKey,
  formatAuditSeq,
  isReleaseVersion,
  lastByKey,
  newestFirst,
  readDoc,
  readSeq,
  readSummary,
  readVersion,
  releasePoint,
  RULE_ID_NAMESPACE,
  RULE_SCROLL_PAGE,
  rulePointId,
  rulesCollectionName,
} from '../../../../src/stores/qdrant/qdrant-rule-requests';
import { qdrantOpenApi } from './support/qdrant-openapi';

const api = qdrantOpenApi();

const rule = { id: 'summer', description: 'été 👗', enabled: true, conditions: {}, actions: {}, activeFrom: null, activeUntil: null };
const draft: RuleDraft = { rule, revision: 2, deleted: true, updatedAt: '2026-03-01T10:00:00.000Z', updatedBy: 'ana' };
const release: RuleRelease = { version: 3, rules: [rule, { ...rule, id: 'b' }], publishedAt: '2026-03-02T10:00:00.000Z', publishedBy: 'lead', note: 'n', restoredFrom: 1 };
const entry: RuleAuditEntry = { id: 'e1', at: '2026-03-01T10:00:00.000Z', actor: 'ana', action: 'PUBLISH', ruleId: null, before: null, after: null, releaseVersion: 3, note: '' };

describe('collection names and point ids', () => {
  it('derives the namespace like the products one', () => {
    expect(uuidV5('urn:fashion-search:merchandising-rules', '6ba7b811-9dad-11d1-80b4-00c04fd430c8')).toBe(RULE_ID_NAMESPACE);
  });

  it.each([
    ['products', 'products-rules'],
    ['catalog_v2.eu', 'catalog_v2.eu-rules'],
    ['p'.repeat(249), 'p'.repeat(249) + '-rules'],
  ])('puts the rules of a products collection beside it (case %#)', (collection, expected) => {
    expect(rulesCollectionName(collection)).toBe(expected);
  });

  it.each([['p'.repeat(250)], [''], ['-products'], ['a/b']])('refuses a rules collection name (case %#)', (collection) => {
    expect(() => rulesCollectionName(collection)).toThrow(InvalidInputError);
  });

  it('gives each kind and key its own stable point id', () => {
    expect(rulePointId('draft', 'summer-sale')).toBe('9b0cbfd3-3380-5d1a-a83c-51f87b10d5cb');
    const ids = new Set([rulePointId('draft', '1'), rulePointId('release', '1'), rulePointId('audit', '1')]);
    expect(ids.size).toBe(3);
  });
});

describe('request bodies conform to the specification', () => {
  it.each([
    ['CreateCollection', buildRulesCollection()],
    ['CreateFieldIndex', buildRuleIndexes()[0]],
    ['CreateFieldIndex', buildRuleIndexes()[1]],
    ['PointInsertOperations', { points: [draftPoint(draft), releasePoint(release, 'w'), auditPoint(entry, 's')], update_mode: 'insert_only' }],
    ['ScrollRequest', buildKindScroll('draft', ['doc'], null)],
    ['ScrollRequest', buildKindScroll('audit', ['seq'], rulePointId('audit', 'x'), 'summer')],
    ['PointRequest', buildRuleRetrieve([rulePointId('release', '3')], ['doc'])],
  ])('%s', (schema, body) => {
    expect(api.checkSchema(schema, body)).toEqual([]);
  });

  it('creates a collection without vectors, on one shard', () => {
    expect(buildRulesCollection()).toEqual({ vectors: {}, shard_number: 1 });
    expect(buildRuleIndexes()).toEqual([
      { field_name: 'kind', field_schema: 'keyword' },
      { field_name: 'rule_id', field_schema: 'keyword' },
    ]);
  });

  it.each([
    ['draft', null, undefined, { must: [{ key: 'kind', match: { value: 'draft' } }] }],
    ['audit', 'p1', 'r', { must: [{ key: 'kind', match: { value: 'audit' } }, { key: 'rule_id', match: { value: 'r' } }] }],
    ['audit', null, null, { must: [{ key: 'kind', match: { value: 'audit' } }] }],
  ] as const)('scrolls %s from %s, rule %s', (kind, offset, ruleId, filter) => {
    const body = buildKindScroll(kind, ['doc'], offset, ruleId);
    expect(body).toEqual({ filter, limit: RULE_SCROLL_PAGE, with_payload: ['doc'], with_vector: false, ...(offset ? { offset } : {}) });
  });
});

describe('points', () => {
  it('keeps a draft as JSON under its rule id, without vectors', () => {
    const point = draftPoint(draft);
    expect(point).toEqual({ id: rulePointId('draft', 'summer'), vector: {}, payload: { kind: 'draft', key: 'summer', doc: JSON.stringify(draft) } });
    expect(readDoc({ id: point.id, payload: point.payload })).toEqual(draft);
  });

  it('keeps a release with its version, summary and writer', () => {
    const point = releasePoint(release, 'nonce');
    expect(point.id).toBe(rulePointId('release', '3'));
    expect(point.payload).toMatchObject({ kind: 'release', key: '3', version: 3, writer: 'nonce' });
    const record = { id: point.id, payload: point.payload };
    expect(readVersion(record)).toBe(3);
    expect(readSummary(record)).toEqual({ version: 3, ruleCount: 2, publishedAt: release.publishedAt, publishedBy: 'lead', note: 'n', restoredFrom: 1 });
    expect(readDoc(record)).toEqual(release);
  });

  it('keeps an audit entry with its rule, time and insertion key', () => {
    const point = auditPoint({ ...entry, ruleId: 'summer' }, 'seq-1');
    expect(point.payload).toMatchObject({ kind: 'audit', key: 'e1', rule_id: 'summer', at: entry.at, seq: 'seq-1' });
    expect(readSeq({ id: point.id, payload: point.payload })).toBe('seq-1');
    expect(auditPoint(entry, 's').payload?.rule_id).toBeNull();
  });

  it.each([
    ['no payload', { id: 1 }, () => readDoc({ id: 1 })],
    ['a doc that is not JSON', { id: 1 }, () => readDoc({ id: 1, payload: { doc: '{' } })],
    ['no version', { id: 1 }, () => readVersion({ id: 1, payload: { version: '3' } })],
    ['no summary', { id: 1 }, () => readSummary({ id: 1, payload: {} })],
    ['no seq', { id: 1 }, () => readSeq({ id: 1, payload: { seq: 4 } })],
  ])('calls a point with %s foreign data', (_what, _record, read) => {
    expect(read).toThrow(/foreign data/);
  });
});

describe('ordering and duplicates', () => {
  it('keeps the last of each key, in the order of last writing', () => {
    expect(lastByKey(['a1', 'b1', 'a2'], (s) => s[0])).toEqual(['b1', 'a2']);
  });

  it('keeps the first of each key', () => {
    expect(firstByKey(['a1', 'b1', 'a2'], (s) => s[0])).toEqual(['a1', 'b1']);
  });

  it.each([
    [[3, 10, 2, 9], 2, [10, 9]],
    [[3, 10, 2, 9], 10, [10, 9, 3, 2]],
    [[], 5, []],
  ])('takes the newest of %j (limit %i) by number', (items, limit, expected) => {
    expect(newestFirst(items, (n) => n, limit)).toEqual(expected);
  });

  it('orders string keys as strings', () => {
    expect(newestFirst(['2026-01-01T00:00:00.000Z-000010-a', '2026-01-01T00:00:00.000Z-000009-a', '2025-12-31T23:59:59.999Z-000000-a'], (s) => s, 3)).toEqual([
      '2026-01-01T00:00:00.000Z-000010-a',
      '2026-01-01T00:00:00.000Z-000009-a',
      '2025-12-31T23:59:59.999Z-000000-a',
    ]);
  });

  it('numbers entries within a millisecond and never goes back in time', () => {
    const times = [1000, 1000, 1000, 999, 2000];
    const sequence = new AuditSequence('t', () => new Date(times.shift()!));
    const keys = Array.from({ length: 5 }, () => sequence.next());
    expect(keys).toEqual([
      formatAuditSeq(1000, 0, 't'),
      formatAuditSeq(1000, 1, 't'),
      formatAuditSeq(1000, 2, 't'),
      formatAuditSeq(1000, 3, 't'),
      formatAuditSeq(2000, 0, 't'),
    ]);
    expect([...keys].sort()).toEqual(keys);
    expect(formatAuditSeq(Date.UTC(2026, 2, 1), 7, 'ab12cd')).toBe('2026-03-01T00:00:00.000Z-000007-ab12cd');
  });
});

describe('argument checks', () => {
  it.each([[1], [10_000]])('accepts limit %p', (limit) => {
    expect(checkLimit(limit, 'list')).toBe(limit);
  });

  it.each([[0], [-1], [1.5], [Number.NaN], ['3']])('refuses limit %p', (limit) => {
    expect(() => checkLimit(limit, 'list')).toThrow(InvalidInputError);
  });

  it.each([
    [1, true],
    [42, true],
    [0, false],
    [-2, false],
    [2.5, false],
    [Number.MAX_SAFE_INTEGER + 1, false],
    ['1', false],
  ])('version %p is a release version: %p', (version, valid) => {
    expect(isReleaseVersion(version)).toBe(valid);
    if (valid) expect(checkReleaseVersion(version)).toBe(version);
    else expect(() => checkReleaseVersion(version)).toThrow(InvalidInputError);
  });
});
