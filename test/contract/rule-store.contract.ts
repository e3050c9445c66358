/**
 * The RuleStore contract: one suite that every rule store passes (src/rules/rule-store.ts).
 *
 * Usage (see rule-store.test.ts):
 *   describeRuleStoreContract('embedded', async () => ({ store, reopen, cleanup }));
 * The factory returns a fresh, empty store that is not yet open; `reopen()` returns another store
 * (not yet open) over the same storage, as a restarted process or another replica would see it.
 * The suite opens and closes every store it gets, then calls `cleanup`, which removes the storage.
 *
 * The suite speaks only through the port and builds its own data.
 */
import { InvalidInputError } from '../../src/domain/errors';
import type { RuleAuditEntry, RuleDefinition, RuleDraft, RuleRelease } from '../../src/rules/rule';
import { RuleStoreConflictError, type RuleStore } from '../../src/rules/rule-store';

export interface RuleStoreHandle {
  store: RuleStore;
  /** Another store over the same storage, not yet open. */
  reopen(): RuleStore;
  cleanup(): Promise<void>;
}

export type RuleStoreFactory = () => Promise<RuleStoreHandle>;

// ---------------------------------------------------------------- builders

export function aRule(id: string, overrides: Partial<RuleDefinition> = {}): RuleDefinition {
  return {
    id,
    description: `Rule ${id}`,
    enabled: true,
    conditions: { query: { contains: ['dress'] } },
    actions: { boosts: [{ attribute: 'color', values: ['red'], weight: 0.5 }] },
    activeFrom: null,
    activeUntil: null,
    ...overrides,
  };
}

export function aDraft(rule: RuleDefinition | string, overrides: Partial<RuleDraft> = {}): RuleDraft {
  return {
    rule: typeof rule === 'string' ? aRule(rule) : rule,
    revision: 1,
    deleted: false,
    updatedAt: '2026-03-01T10:00:00.000Z',
    updatedBy: 'merchandiser',
    ...overrides,
  };
}

export function aRelease(version: number, rules: RuleDefinition[] = [aRule('r1')], overrides: Partial<RuleRelease> = {}): RuleRelease {
  return {
    version,
    rules,
    publishedAt: `2026-03-0${Math.min(version, 9)}T12:00:00.000Z`,
    publishedBy: 'lead',
    note: `release ${version}`,
    restoredFrom: null,
    ...overrides,
  };
}

/** The n-th audit entry (time-ordered id and time). */
export function anAuditEntry(n: number, overrides: Partial<RuleAuditEntry> = {}): RuleAuditEntry {
  const at = new Date(Date.UTC(2026, 2, 1, 10, 0, 0) + n * 1000).toISOString();
  return {
    id: `${at}-${String(n).padStart(4, '0')}`,
    at,
    actor: 'merchandiser',
    action: 'UPSERT',
    ruleId: 'r1',
    before: null,
    after: aRule('r1'),
    releaseVersion: null,
    note: '',
    ...overrides,
  };
}

/** A definition using every field, nested filters, nulls and text from many scripts. */
export function aFullRule(id: string): RuleDefinition {
  return {
    id,
    description: 'Sommerkleider für Übergrößen — «été» 夏のドレス 👗 "quoted" \\back\\slash\nnew line\u2028separator עברית',
    enabled: false,
    conditions: {
      query: {
        is: ['robe d’été', 'sommerkleid'],
        contains: ['maxi dress', 'ワンピース'],
        matches: '^(red|rouge)\\s+dress(es)?$',
        attributes: [{ name: 'color', value: 'red' }],
      },
      modes: ['TEXT', 'COMPOSED'],
      contexts: ['home', 'segment:vip'],
      filters: [{ name: 'category', value: 'dresses' }],
    },
    actions: {
      synonyms: [
        { terms: ['jumper', 'sweater', 'pullover'], oneWay: false },
        { terms: ['dress', 'gown'], oneWay: true },
      ],
      replacements: [{ term: 'tshirt', with: 't-shirt' }],
      ignore: ['cheap', 'the'],
      pins: [{ productId: 'p-000001', position: 1 }, { productId: 'p-ü-2', position: 3 }],
      hide: ['p-000009'],
      boosts: [
        { attribute: 'color', values: ['red', 'rouge'], weight: 1 },
        { attribute: 'material', values: ['polyester'], weight: -0.25 },
      ],
      filter: {
        and: [
          { attributes: [{ attribute: 'category', anyOf: ['dresses'], noneOf: null }] },
          { or: [{ price: { min: 10, max: null } }, { inStock: true }] },
          { not: { attributes: [{ attribute: 'brand', anyOf: null, noneOf: ['Noname'] }] } },
        ],
        price: null,
        inStock: null,
      },
      redirect: { url: 'https://example.com/sale?c=été&x=1', keepResults: true },
    },
    activeFrom: '2026-06-01T00:00:00.000Z',
    activeUntil: null,
  };
}

/** A definition with the fewest fields: empty conditions and actions, explicit nulls. */
export function aBareRule(id: string): RuleDefinition {
  return { id, description: '', enabled: true, conditions: { query: null }, actions: { filter: null, redirect: null }, activeFrom: null, activeUntil: null };
}

function summaryOf(release: RuleRelease) {
  const { rules, ...rest } = release;
  return { ...rest, ruleCount: rules.length };
}

// ---------------------------------------------------------------- the suite

export function describeRuleStoreContract(name: string, factory: RuleStoreFactory): void {
  describe(`RuleStore contract: ${name}`, () => {
    let handle: RuleStoreHandle;
    let store: RuleStore;
    const opened: RuleStore[] = [];

    /** Opens a store over the same storage (closed after the test). */
    async function reopened(): Promise<RuleStore> {
      const again = handle.reopen();
      await again.open();
      opened.push(again);
      return again;
    }

    beforeEach(async () => {
      handle = await factory();
      store = handle.store;
      await store.open();
      opened.push(store);
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await handle.cleanup();
    });

    describe('open and close', () => {
      it('starts empty', async () => {
        expect(await store.listDrafts()).toEqual([]);
        expect(await store.latestRelease()).toBeNull();
        expect(await store.listReleases(10)).toEqual([]);
        expect(await store.listAudit({ limit: 10 })).toEqual([]);
      });

      it('opens again without losing anything (idempotent)', async () => {
        await store.writeDrafts([aDraft('a')]);
        await store.open();
        await store.open();
        expect(await store.listDrafts()).toEqual([aDraft('a')]);
      });

      it('refuses calls before open and after close', async () => {
        const fresh = handle.reopen();
        await expect(fresh.listDrafts()).rejects.toThrow(/not open/);
        await fresh.open();
        await fresh.writeDrafts([aDraft('a')]);
        await fresh.close();
        await expect(fresh.listDrafts()).rejects.toThrow(/not open/);
        await expect(fresh.writeDrafts([aDraft('b')])).rejects.toThrow(/not open/);
        // Open again after close.
        await fresh.open();
        opened.push(fresh);
        expect((await fresh.listDrafts()).map((d) => d.rule.id)).toEqual(['a']);
      });

      it('keeps everything across close and reopen', async () => {
        const drafts = [aDraft(aFullRule('full')), aDraft('gone', { deleted: true, revision: 4 })];
        const releases = [aRelease(1), aRelease(2, [aFullRule('full'), aBareRule('bare')], { restoredFrom: 1 })];
        const entries = [anAuditEntry(1), anAuditEntry(2, { action: 'PUBLISH', ruleId: null, before: null, after: null, releaseVersion: 2 })];
        await store.writeDrafts(drafts);
        for (const release of releases) await store.writeRelease(release);
        await store.appendAudit(entries);
        await store.close();
        opened.splice(opened.indexOf(store), 1);

        const again = await reopened();
        expect(await again.listDrafts()).toStrictEqual([drafts[1], drafts[0]].sort((a, b) => (a.rule.id < b.rule.id ? -1 : 1)));
        expect(await again.latestRelease()).toStrictEqual(releases[1]);
        expect(await again.release(1)).toStrictEqual(releases[0]);
        expect(await again.listReleases(5)).toStrictEqual([summaryOf(releases[1]), summaryOf(releases[0])]);
        expect(await again.listAudit({ limit: 5 })).toStrictEqual([entries[1], entries[0]]);
        // And it goes on from there: a taken version is refused, new audit entries come first.
        await expect(again.writeRelease(aRelease(2))).rejects.toBeInstanceOf(RuleStoreConflictError);
        await again.appendAudit([anAuditEntry(3)]);
        expect((await again.listAudit({ limit: 5 })).map((e) => e.id)).toEqual([anAuditEntry(3).id, entries[1].id, entries[0].id]);
      });

      it('shares its storage with another store open at the same time', async () => {
        const other = await reopened();
        await store.writeDrafts([aDraft('a')]);
        await store.writeRelease(aRelease(1));
        expect(await other.listDrafts()).toEqual([aDraft('a')]);
        await expect(other.writeRelease(aRelease(1, [aRule('other')]))).rejects.toBeInstanceOf(RuleStoreConflictError);
        await other.writeRelease(aRelease(2));
        expect((await store.latestRelease())?.version).toBe(2);
      });
    });

    describe('drafts', () => {
      it('lists drafts in id order, whatever the order of writing', async () => {
        await store.writeDrafts([aDraft('b'), aDraft('c')]);
        await store.writeDrafts([aDraft('a'), aDraft('B.2'), aDraft('a-1'), aDraft('0_x')]);
        expect((await store.listDrafts()).map((d) => d.rule.id)).toEqual(['0_x', 'B.2', 'a', 'a-1', 'b', 'c']);
      });

      it('replaces a draft by rule id', async () => {
        await store.writeDrafts([aDraft('a'), aDraft('b')]);
        const changed = aDraft(aRule('a', { description: 'changed', enabled: false }), { revision: 2, updatedBy: 'someone else' });
        await store.writeDrafts([changed]);
        expect(await store.listDrafts()).toStrictEqual([changed, aDraft('b')]);
      });

      it('keeps the last of two drafts of one rule in one write', async () => {
        const last = aDraft('a', { revision: 3 });
        await store.writeDrafts([aDraft('a', { revision: 2 }), aDraft('b'), last]);
        expect(await store.listDrafts()).toStrictEqual([last, aDraft('b')]);
      });

      it('keeps the deleted flag and every bookkeeping field', async () => {
        const deleted = aDraft('a', { deleted: true, revision: 7, updatedAt: '2026-04-02T08:30:00.123Z', updatedBy: 'ops@example.com' });
        await store.writeDrafts([deleted, aDraft('b')]);
        expect(await store.listDrafts()).toStrictEqual([deleted, aDraft('b')]);
        await store.writeDrafts([{ ...deleted, deleted: false, revision: 8 }]);
        expect((await store.listDrafts())[0]).toStrictEqual({ ...deleted, deleted: false, revision: 8 });
      });

      it('removes drafts for good, ignoring ids it does not hold', async () => {
        await store.writeDrafts([aDraft('a'), aDraft('b'), aDraft('c')]);
        await store.removeDrafts(['a', 'c', 'missing', 'a']);
        expect((await store.listDrafts()).map((d) => d.rule.id)).toEqual(['b']);
        await store.removeDrafts([]);
        await store.writeDrafts([]);
        expect((await store.listDrafts()).map((d) => d.rule.id)).toEqual(['b']);
        // A removed rule can be written again.
        await store.writeDrafts([aDraft('a', { revision: 9 })]);
        expect(await store.listDrafts()).toStrictEqual([aDraft('a', { revision: 9 }), aDraft('b')]);
      });

      it('lists many drafts (more than a page of any backend)', async () => {
        const ids = Array.from({ length: 300 }, (_, i) => `rule-${String(i).padStart(3, '0')}`);
        await store.writeDrafts([...ids].reverse().map((id) => aDraft(id)));
        expect((await store.listDrafts()).map((d) => d.rule.id)).toEqual(ids);
      });
    });

    describe('releases', () => {
      it('reads releases by version and the latest one', async () => {
        const releases = [aRelease(1), aRelease(2, [aRule('a'), aRule('b')]), aRelease(3, [], { restoredFrom: 1, note: 'rollback' })];
        for (const release of releases) await store.writeRelease(release);
        expect(await store.latestRelease()).toStrictEqual(releases[2]);
        expect(await store.release(2)).toStrictEqual(releases[1]);
        expect(await store.release(1)).toStrictEqual(releases[0]);
        expect(await store.release(4)).toBeNull();
        expect(await store.release(0)).toBeNull();
        expect(await store.release(-1)).toBeNull();
        expect(await store.release(1.5)).toBeNull();
      });

      it('takes the highest version as the latest, whatever the order of writing', async () => {
        await store.writeRelease(aRelease(2));
        await store.writeRelease(aRelease(10));
        await store.writeRelease(aRelease(9));
        expect((await store.latestRelease())?.version).toBe(10);
        expect((await store.listReleases(10)).map((s) => s.version)).toEqual([10, 9, 2]);
      });

      it('lists summaries newest first, limited, with rule counts and without rules', async () => {
        const releases = [
          aRelease(1, [aRule('a')]),
          aRelease(2, [aRule('a'), aRule('b'), aRule('c')], { note: 'Saison été 🌞', publishedBy: 'ana' }),
          aRelease(3, [], { restoredFrom: 1 }),
        ];
        for (const release of releases) await store.writeRelease(release);
        const all = await store.listReleases(10);
        expect(all).toStrictEqual([summaryOf(releases[2]), summaryOf(releases[1]), summaryOf(releases[0])]);
        expect(all.map((s) => s.ruleCount)).toEqual([0, 3, 1]);
        expect(all[0]).toStrictEqual({ version: 3, ruleCount: 0, publishedAt: releases[2].publishedAt, publishedBy: 'lead', note: 'release 3', restoredFrom: 1 });
        expect(await store.listReleases(2)).toStrictEqual([summaryOf(releases[2]), summaryOf(releases[1])]);
        expect(await store.listReleases(1)).toStrictEqual([summaryOf(releases[2])]);
      });

      it('refuses a version that exists (RuleStoreConflictError) and keeps the first', async () => {
        const first = aRelease(1, [aRule('first')]);
        await store.writeRelease(first);
        const error = await store.writeRelease(aRelease(1, [aRule('second')], { note: 'late' })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RuleStoreConflictError);
        expect((error as RuleStoreConflictError).version).toBe(1);
        expect(await store.release(1)).toStrictEqual(first);
        expect(await store.listReleases(10)).toStrictEqual([summaryOf(first)]);
        await store.writeRelease(aRelease(2));
        expect((await store.latestRelease())?.version).toBe(2);
      });

      it('refuses versions that are not positive integers', async () => {
        for (const version of [0, -1, 1.5, Number.NaN]) {
          await expect(store.writeRelease(aRelease(version))).rejects.toBeInstanceOf(InvalidInputError);
        }
        expect(await store.listReleases(10)).toEqual([]);
      });
    });

    describe('audit', () => {
      it('lists entries newest first, across appends and within one', async () => {
        const entries = Array.from({ length: 5 }, (_, i) => anAuditEntry(i + 1));
        await store.appendAudit(entries.slice(0, 2));
        await store.appendAudit([]);
        await store.appendAudit(entries.slice(2));
        expect(await store.listAudit({ limit: 10 })).toStrictEqual([...entries].reverse());
        expect(await store.listAudit({ limit: 2 })).toStrictEqual([entries[4], entries[3]]);
        expect(await store.listAudit({ ruleId: null, limit: 1 })).toStrictEqual([entries[4]]);
      });

      it('filters by rule, leaving out entries of other rules and of releases', async () => {
        const entries = [
          anAuditEntry(1, { ruleId: 'a' }),
          anAuditEntry(2, { ruleId: 'b', action: 'DELETE', before: aRule('b'), after: null }),
          anAuditEntry(3, { ruleId: null, action: 'PUBLISH', before: null, after: null, releaseVersion: 1, note: 'go' }),
          anAuditEntry(4, { ruleId: 'a', before: aRule('a'), after: aRule('a', { enabled: false }) }),
          anAuditEntry(5, { ruleId: null, action: 'ROLLBACK', before: null, after: null, releaseVersion: 2 }),
        ];
        await store.appendAudit(entries);
        expect(await store.listAudit({ ruleId: 'a', limit: 10 })).toStrictEqual([entries[3], entries[0]]);
        expect(await store.listAudit({ ruleId: 'a', limit: 1 })).toStrictEqual([entries[3]]);
        expect(await store.listAudit({ ruleId: 'b', limit: 10 })).toStrictEqual([entries[1]]);
        expect(await store.listAudit({ ruleId: 'missing', limit: 10 })).toEqual([]);
        expect((await store.listAudit({ limit: 10 })).map((e) => e.action)).toEqual(['ROLLBACK', 'UPSERT', 'PUBLISH', 'DELETE', 'UPSERT']);
      });

      it('keeps an entry once: appending an id again changes nothing', async () => {
        const entry = anAuditEntry(1);
        await store.appendAudit([entry]);
        await store.appendAudit([anAuditEntry(2)]);
        await store.appendAudit([{ ...entry, note: 'retried' }, anAuditEntry(3)]);
        expect(await store.listAudit({ limit: 10 })).toStrictEqual([anAuditEntry(3), anAuditEntry(2), entry]);
      });

      it('lists the newest of many entries (more than a page of any backend)', async () => {
        const entries = Array.from({ length: 300 }, (_, i) => anAuditEntry(i, { ruleId: i % 3 === 0 ? 'three' : 'other' }));
        await store.appendAudit(entries.slice(0, 150));
        await store.appendAudit(entries.slice(150));
        expect((await store.listAudit({ limit: 4 })).map((e) => e.id)).toEqual([299, 298, 297, 296].map((i) => entries[i].id));
        const three = await store.listAudit({ ruleId: 'three', limit: 200 });
        expect(three.map((e) => e.id)).toEqual(entries.filter((_, i) => i % 3 === 0).reverse().map((e) => e.id));
      });

      it('refuses limits that are not positive integers', async () => {
        for (const limit of [0, -3, 2.5]) {
          await expect(store.listAudit({ limit })).rejects.toBeInstanceOf(InvalidInputError);
          await expect(store.listReleases(limit)).rejects.toBeInstanceOf(InvalidInputError);
        }
      });
    });

    describe('documents round trip as JSON', () => {
      it('returns full definitions exactly: nested filters, nulls, unicode', async () => {
        const full = aFullRule('full.rule_1');
        const bare = aBareRule('bare');
        const drafts = [aDraft(full, { updatedBy: 'Zoë Ångström' }), aDraft(bare)];
        const release = aRelease(1, [full, bare], { note: 'première 🚀 "v1"\n\\', publishedBy: 'José' });
        const entry = anAuditEntry(1, { ruleId: full.id, before: bare, after: full, note: 'ñ\u0000ok' });
        await store.writeDrafts(drafts);
        await store.writeRelease(release);
        await store.appendAudit([entry]);
        const again = await reopened();
        for (const s of [store, again]) {
          expect(await s.listDrafts()).toStrictEqual([drafts[1], drafts[0]]);
          expect(await s.release(1)).toStrictEqual(release);
          expect(await s.latestRelease()).toStrictEqual(release);
          expect(await s.listReleases(1)).toStrictEqual([summaryOf(release)]);
          expect(await s.listAudit({ ruleId: full.id, limit: 1 })).toStrictEqual([entry]);
        }
      });

      it('drops undefined fields as JSON does, and hands out copies', async () => {
        const rule = { ...aRule('a'), conditions: { query: { is: ['x'], matches: undefined } } } as RuleDefinition;
        const draft = aDraft(rule);
        await store.writeDrafts([draft]);
        (draft.rule.conditions.query!.is as string[]).push('changed after writing');
        const [read] = await store.listDrafts();
        expect(read.rule.conditions).toStrictEqual({ query: { is: ['x'] } });
        read.rule.description = 'changed after reading';
        expect((await store.listDrafts())[0].rule.description).toBe('Rule a');

        const release = aRelease(1);
        await store.writeRelease(release);
        release.rules[0].description = 'changed after writing';
        expect((await store.release(1))?.rules[0].description).toBe('Rule r1');
      });
    });
  });
}
