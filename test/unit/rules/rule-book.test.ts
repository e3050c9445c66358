import { ConflictError, InvalidInputError, NotFoundError } from '../../../src/domain/errors';
import { RuleBook } from '../../../src/rules/rule-book.service';
import { MemoryRuleData, MemoryRuleStore } from '../fakes/memory-rule.store';
import { CONTEXT, rule, signal } from './rule-builders';

const PRODUCTS = new Set(['p-1', 'p-2', 'p-3']);

async function book(data = new MemoryRuleData(), clock = () => new Date('2026-12-01T10:00:00Z')) {
  const b = new RuleBook({
    store: new MemoryRuleStore(data),
    vocabulary: { knownAttributes: CONTEXT.knownAttributes, values: CONTEXT.values as Record<string, string[]> },
    products: { getProducts: async (ids) => ids.map((id) => (PRODUCTS.has(id) ? ({ id } as never) : null)) },
    maxPosition: 100,
    refreshIntervalMs: 0,
    clock,
  });
  await b.open();
  return b;
}

const pinRule = (id: string, productId = 'p-1') => rule({ id, conditions: { query: { is: ['red dress'] } }, actions: { pins: [{ productId, position: 1 }] } });

describe('RuleBook', () => {
  it('keeps drafts out of searches until they are published', async () => {
    const b = await book();
    const view = await b.upsert(pinRule('a'), 'alice');
    expect(view).toMatchObject({ status: 'DRAFT', revision: 1, updatedBy: 'alice', liveVersion: null });
    expect(b.current().match(signal({ text: 'red dress' }))).toEqual([]);
    const release = await b.publish('bob', 'first');
    expect(release).toMatchObject({ version: 1, publishedBy: 'bob', note: 'first', restoredFrom: null });
    expect(b.current().match(signal({ text: 'red dress' })).map((r) => r.id)).toEqual(['a']);
    expect((await b.get('a'))?.status).toBe('PUBLISHED');
  });

  it('tracks MODIFIED and DELETED against the live release, with the live side shown', async () => {
    const b = await book();
    await b.upsert(pinRule('a'), 'alice');
    await b.upsert(pinRule('b'), 'alice');
    await b.publish('alice', '');
    const modified = await b.upsert(pinRule('a', 'p-2'), 'carol');
    expect(modified).toMatchObject({ status: 'MODIFIED', revision: 2, liveVersion: 1 });
    expect(modified.live?.actions.pins?.[0].productId).toBe('p-1');
    const deleted = await b.delete('b', 'carol');
    expect(deleted.status).toBe('DELETED');
    expect((await b.list(['DELETED'])).map((v) => v.rule.id)).toEqual(['b']);
    // still live until the next release
    expect(b.current().match(signal({ text: 'red dress' })).map((r) => r.id)).toEqual(['a', 'b']);
    await b.publish('carol', 'second');
    expect((await b.list()).map((v) => [v.rule.id, v.status])).toEqual([['a', 'PUBLISHED']]);
    expect(b.current().rules.map((r) => r.id)).toEqual(['a']);
  });

  it('deletes a never-published draft at once', async () => {
    const b = await book();
    await b.upsert(pinRule('a'), 'alice');
    await b.delete('a', 'alice');
    expect(await b.list()).toEqual([]);
    await expect(b.delete('a', 'alice')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rolls back: republishes an earlier release as a new one and resets the drafts to it', async () => {
    const b = await book();
    await b.upsert(pinRule('a'), 'alice');
    await b.publish('alice', 'v1');
    await b.upsert(pinRule('a', 'p-2'), 'alice');
    await b.upsert(pinRule('c'), 'alice');
    await b.publish('alice', 'v2');
    const restored = await b.rollback(1, 'bob', 'bad pin');
    expect(restored).toMatchObject({ version: 3, restoredFrom: 1 });
    expect(restored.rules.map((r) => [r.id, r.actions.pins?.[0].productId])).toEqual([['a', 'p-1']]);
    expect((await b.list()).map((v) => [v.rule.id, v.status, v.revision])).toEqual([['a', 'PUBLISHED', 3]]);
    expect((await b.releases(10)).map((r) => r.version)).toEqual([3, 2, 1]);
    await expect(b.rollback(9, 'bob', '')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('audits every change: who, when, what before and after, newest first', async () => {
    const b = await book();
    await b.upsert(pinRule('a'), 'alice');
    await b.upsert(pinRule('a', 'p-2'), 'bob');
    await b.publish('carol', 'go');
    await b.rollback(1, 'dave', '');
    const all = await b.auditTrail(null, 10);
    expect(all.map((e) => [e.action, e.actor, e.ruleId, e.releaseVersion])).toEqual([
      ['ROLLBACK', 'dave', null, 2],
      ['PUBLISH', 'carol', null, 1],
      ['UPSERT', 'bob', 'a', null],
      ['UPSERT', 'alice', 'a', null],
    ]);
    const second = all[2];
    expect(second.before?.actions.pins?.[0].productId).toBe('p-1');
    expect(second.after?.actions.pins?.[0].productId).toBe('p-2');
    expect(second.at).toBe('2026-12-01T10:00:00.000Z');
    expect((await b.auditTrail('a', 10)).map((e) => e.actor)).toEqual(['bob', 'alice']);
  });

  it('writes nothing for an unchanged upsert', async () => {
    const b = await book();
    await b.upsert(pinRule('a'), 'alice');
    expect((await b.upsert(pinRule('a'), 'alice')).revision).toBe(1);
    expect(await b.auditTrail(null, 10)).toHaveLength(1);
  });

  it('refuses stale writes with CONFLICT (expectedRevision, expectedRelease)', async () => {
    const b = await book();
    await b.upsert(pinRule('a'), 'alice');
    await expect(b.upsert(pinRule('a', 'p-2'), 'bob', 0)).rejects.toBeInstanceOf(ConflictError);
    expect((await b.upsert(pinRule('a', 'p-2'), 'bob', 1)).revision).toBe(2);
    await expect(b.upsert(pinRule('new'), 'bob', 1)).rejects.toBeInstanceOf(ConflictError);
    await b.publish('bob', '', 0);
    await expect(b.publish('bob', '', 0)).rejects.toThrow(/live release is 1, not 0/);
  });

  it('refuses pins and hides of unknown products, and cycles across the drafts', async () => {
    const b = await book();
    await expect(b.upsert(rule({ id: 'x', actions: { pins: [{ productId: 'nope', position: 1 }] } }), 'a')).rejects.toMatchObject({ details: { reason: 'UNKNOWN_PRODUCT', ids: ['nope'] } });
    await expect(b.upsert(rule({ id: 'x', actions: { hide: ['p-1', 'gone'] } }), 'a')).rejects.toMatchObject({ details: { reason: 'UNKNOWN_PRODUCT', field: 'rule.actions.hide' } });
    await b.upsert(rule({ id: 'r1', actions: { replacements: [{ term: 'pants', with: 'trousers' }] } }), 'a');
    await expect(b.upsert(rule({ id: 'r2', actions: { replacements: [{ term: 'trousers', with: 'pants' }] } }), 'a')).rejects.toMatchObject({ details: { reason: 'CIRCULAR_SYNONYMS' } });
    await expect(b.check(rule({ id: 'bad id!' }))).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('another server sharing the storage picks up a release at its next refresh', async () => {
    const data = new MemoryRuleData();
    const one = await book(data);
    const two = await book(data);
    await one.upsert(pinRule('a'), 'alice');
    await one.publish('alice', '');
    expect(two.current().size).toBe(0);
    await two.refresh();
    expect(two.current().version).toBe(1);
    expect(two.current().size).toBe(1);
    // a publish racing on the same version: the second one is refused, not lost silently
    await two.upsert(pinRule('b'), 'bob');
    await one.upsert(pinRule('c'), 'carol');
    await two.publish('bob', '');
    await expect(one.publish('carol', '', 1)).rejects.toBeInstanceOf(ConflictError);
  });

  it('serialises concurrent changes in one process', async () => {
    const b = await book();
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.upsert(pinRule(`r${i}`), 'alice')));
    await Promise.all([b.publish('alice', 'a'), b.publish('alice', 'b')]);
    expect((await b.releases(10)).map((r) => r.version)).toEqual([2, 1]);
    expect(b.current().size).toBe(10);
  });
});
