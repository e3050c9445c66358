/**
 * The rule book: merchandisers' rules as drafts, releases that put them live, rollbacks, and an
 * audit trail of every change. It also holds the live rules, compiled (rule-set.ts), for searches.
 *
 * - A rule is written as a draft (`upsert`, `delete`); searches do not see drafts.
 * - `publish` makes every draft that is not deleted the live rules, as release N+1. Drafts stay the
 *   working copy: a rule's status tells whether its draft is live (PUBLISHED), differs from the live
 *   one (MODIFIED), was never published (DRAFT) or is deleted in the draft and still live (DELETED).
 * - `rollback(version)` publishes the rules of an earlier release again, as a new release, and
 *   resets the drafts to them. Nothing is ever rewritten: releases and the audit only grow.
 * - `expectedRevision` / `expectedRelease` let a client refuse to overwrite what another
 *   merchandiser changed meanwhile (CONFLICT).
 *
 * Every replica sharing the rule storage (the Qdrant rules collection) picks up a new release within
 * `refreshIntervalMs`; the replica that published it switches at once. Changes made by one process
 * are serialised; the storage refuses a release version taken by another (CONFLICT, retry).
 */
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors';
import type { Product } from '../domain/product';
import { canonicalJson } from '../search/cursor';
import type { RuleAuditEntry, RuleDefinition, RuleDraft, RuleRelease } from './rule';
import { RuleSet, type LiveRules, type RuleSetOptions } from './rule-set';
import { RuleStoreConflictError, type RuleReleaseSummary, type RuleStore } from './rule-store';
import { checkPattern, checkRuleBook, validateRule, type RuleValidationContext } from './rule-validation';

export type RuleStatus = 'DRAFT' | 'PUBLISHED' | 'MODIFIED' | 'DELETED';

/** A rule as the API shows it: its draft, with where it stands against the live release. */
export interface RuleView {
  rule: RuleDefinition;
  status: RuleStatus;
  revision: number;
  updatedAt: string;
  updatedBy: string;
  /** The live release holding this rule (as it is there), or null when it is not live. */
  liveVersion: number | null;
  /** The rule as it is live, when that differs from the draft. */
  live: RuleDefinition | null;
}

/** A release as the API shows it: its summary, with its rules when they were read. */
export type RuleReleaseView = RuleReleaseSummary & { rules?: RuleDefinition[] };

export interface RuleBookDeps {
  store: RuleStore;
  /** The catalogue's attributes and values, which conditions, boosts and filters must name. */
  vocabulary: { readonly knownAttributes: ReadonlySet<string>; readonly values: Record<string, string[]> };
  /** Reads products, to refuse pins and hides of products the catalogue does not have. */
  products: { getProducts(ids: string[]): Promise<(Product | null)[]> };
  /** Deepest position a search reaches; pins lie within it. */
  maxPosition: number;
  clock?: () => Date;
  /** Reports rules that cannot be compiled or fail during a search (they are skipped). */
  onRuleError?: (ruleId: string, error: unknown) => void;
  /** How often the live release is compared with the storage's latest (other replicas' releases); 0: never. */
  refreshIntervalMs?: number;
}

export const DEFAULT_RULE_REFRESH_MS = 5000;
const MAX_LIST = 1000;

function sameRule(a: RuleDefinition, b: RuleDefinition): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

let auditCounter = 0;

export class RuleBook implements LiveRules {
  private live: RuleSet;
  private liveRelease: RuleRelease | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => Date;
  private readonly setOptions: RuleSetOptions;

  constructor(private readonly deps: RuleBookDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.setOptions = { knownAttributes: deps.vocabulary.knownAttributes, onRuleError: deps.onRuleError };
    this.live = RuleSet.empty(this.setOptions);
  }

  /** Opens the storage and loads the live release; then keeps it current (see the header). */
  async open(): Promise<void> {
    await this.deps.store.open();
    await this.refresh();
    const every = this.deps.refreshIntervalMs ?? DEFAULT_RULE_REFRESH_MS;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.refresh().catch((e) => this.deps.onRuleError?.('(release)', e));
      }, every);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.queue.catch(() => undefined);
    await this.deps.store.close();
  }

  /** The live rules, compiled; searches read this. */
  current(): RuleSet {
    return this.live;
  }

  /** The live release's version; null before the first release. */
  get liveVersion(): number | null {
    return this.liveRelease?.version ?? null;
  }

  /** Loads the storage's latest release when it is not the live one. */
  async refresh(): Promise<void> {
    const [latest] = await this.deps.store.listReleases(1);
    if (!latest || latest.version === this.liveRelease?.version) return;
    const release = await this.deps.store.release(latest.version);
    if (release) this.goLive(release);
  }

  private goLive(release: RuleRelease): void {
    if (this.liveRelease && release.version < this.liveRelease.version) return;
    this.liveRelease = release;
    this.live = new RuleSet(release.rules, release.version, this.setOptions);
  }

  /** Checks a rule as `upsert` would, without saving it (previews): the rule in canonical form. */
  async check(rule: RuleDefinition): Promise<RuleDefinition> {
    const checked = validateRule(rule, this.validationContext());
    const pattern = checked.conditions.query?.matches;
    if (pattern) await checkPattern(pattern, 'conditions.query.matches');
    await this.checkProducts(checked);
    return checked;
  }

  async list(statuses?: readonly RuleStatus[] | null): Promise<RuleView[]> {
    const drafts = await this.deps.store.listDrafts();
    const views = drafts.map((d) => this.view(d));
    return statuses?.length ? views.filter((v) => statuses.includes(v.status)) : views;
  }

  async get(id: string): Promise<RuleView | null> {
    const draft = (await this.deps.store.listDrafts()).find((d) => d.rule.id === id);
    return draft ? this.view(draft) : null;
  }

  async upsert(input: RuleDefinition, actor: string, expectedRevision?: number | null): Promise<RuleView> {
    return this.serialise(async () => {
      const rule = await this.check(input);
      const drafts = await this.deps.store.listDrafts();
      const current = drafts.find((d) => d.rule.id === rule.id) ?? null;
      checkRevision(rule.id, current, expectedRevision);
      checkRuleBook([...drafts.filter((d) => !d.deleted && d.rule.id !== rule.id).map((d) => d.rule), rule]);
      if (drafts.filter((d) => d.rule.id !== rule.id).length >= MAX_LIST) {
        throw new InvalidInputError(`the rule book holds ${MAX_LIST} rules, its limit; delete rules that are no longer needed`, { reason: 'TOO_MANY' });
      }
      if (current && !current.deleted && sameRule(current.rule, rule)) return this.view(current);
      const draft: RuleDraft = { rule, revision: (current?.revision ?? 0) + 1, deleted: false, updatedAt: this.now(), updatedBy: actor };
      await this.deps.store.writeDrafts([draft]);
      await this.deps.store.appendAudit([this.audit(actor, 'UPSERT', { ruleId: rule.id, before: current && !current.deleted ? current.rule : null, after: rule })]);
      return this.view(draft);
    });
  }

  /** Deletes a rule's draft: gone at once if it was never live, otherwise at the next release. */
  async delete(id: string, actor: string, expectedRevision?: number | null): Promise<RuleView> {
    return this.serialise(async () => {
      const current = (await this.deps.store.listDrafts()).find((d) => d.rule.id === id);
      if (!current || current.deleted) throw new NotFoundError(`no rule "${id}" in the drafts`, { id });
      checkRevision(id, current, expectedRevision);
      const draft: RuleDraft = { ...current, revision: current.revision + 1, deleted: true, updatedAt: this.now(), updatedBy: actor };
      if (this.liveRule(id)) await this.deps.store.writeDrafts([draft]);
      else await this.deps.store.removeDrafts([id]);
      await this.deps.store.appendAudit([this.audit(actor, 'DELETE', { ruleId: id, before: current.rule, after: null })]);
      return this.view(draft);
    });
  }

  /** Makes the drafts live as a new release. */
  async publish(actor: string, note: string, expectedRelease?: number | null): Promise<RuleReleaseView & { rules: RuleDefinition[] }> {
    return this.serialise(async () => {
      const drafts = await this.deps.store.listDrafts();
      const rules = drafts.filter((d) => !d.deleted).map((d) => d.rule);
      checkRuleBook(rules);
      const release = await this.release(actor, note, rules, null, expectedRelease);
      const gone = drafts.filter((d) => d.deleted).map((d) => d.rule.id);
      if (gone.length) await this.deps.store.removeDrafts(gone);
      await this.deps.store.appendAudit([this.audit(actor, 'PUBLISH', { releaseVersion: release.version, note })]);
      return withCount(release);
    });
  }

  /** Publishes the rules of release `version` again (a new release) and resets the drafts to them. */
  async rollback(version: number, actor: string, note: string): Promise<RuleReleaseView & { rules: RuleDefinition[] }> {
    return this.serialise(async () => {
      const old = await this.deps.store.release(version);
      if (!old) throw new NotFoundError(`no rule release ${version}; ruleReleases lists them`, { version });
      const release = await this.release(actor, note || `rollback to release ${version}`, old.rules, version, null);
      const drafts = await this.deps.store.listDrafts();
      const keep = new Map(old.rules.map((r) => [r.id, r]));
      const now = this.now();
      const rewritten: RuleDraft[] = [];
      for (const r of old.rules) {
        const d = drafts.find((x) => x.rule.id === r.id);
        if (!d || d.deleted || !sameRule(d.rule, r)) rewritten.push({ rule: r, revision: (d?.revision ?? 0) + 1, deleted: false, updatedAt: now, updatedBy: actor });
      }
      if (rewritten.length) await this.deps.store.writeDrafts(rewritten);
      const removed = drafts.filter((d) => !keep.has(d.rule.id)).map((d) => d.rule.id);
      if (removed.length) await this.deps.store.removeDrafts(removed);
      await this.deps.store.appendAudit([this.audit(actor, 'ROLLBACK', { releaseVersion: release.version, note: `restored release ${version}${note ? `: ${note}` : ''}` })]);
      return withCount(release);
    });
  }

  async releases(limit: number): Promise<RuleReleaseSummary[]> {
    return this.deps.store.listReleases(Math.max(1, Math.min(limit, MAX_LIST)));
  }

  async releaseByVersion(version: number): Promise<RuleReleaseView | null> {
    const release = await this.deps.store.release(version);
    return release ? withCount(release) : null;
  }

  async auditTrail(ruleId: string | null, limit: number): Promise<RuleAuditEntry[]> {
    return this.deps.store.listAudit({ ruleId, limit: Math.max(1, Math.min(limit, MAX_LIST)) });
  }

  private async release(actor: string, note: string, rules: RuleDefinition[], restoredFrom: number | null, expected: number | null | undefined): Promise<RuleRelease> {
    const [latest] = await this.deps.store.listReleases(1);
    const latestVersion = latest?.version ?? 0;
    if (expected != null && expected !== latestVersion) {
      throw new ConflictError(`the live release is ${latestVersion}, not ${expected}: another release was published meanwhile; review it and publish again`, {
        liveVersion: latestVersion,
      });
    }
    const release: RuleRelease = { version: latestVersion + 1, rules, publishedAt: this.now(), publishedBy: actor, note: note.trim(), restoredFrom };
    try {
      await this.deps.store.writeRelease(release);
    } catch (e) {
      if (e instanceof RuleStoreConflictError) {
        throw new ConflictError(`release ${release.version} was published by another server meanwhile; review it and publish again`, { version: release.version });
      }
      throw e;
    }
    this.goLive(release);
    return release;
  }

  private liveRule(id: string): RuleDefinition | null {
    return this.liveRelease?.rules.find((r) => r.id === id) ?? null;
  }

  private view(d: RuleDraft): RuleView {
    const live = this.liveRule(d.rule.id);
    const status: RuleStatus = d.deleted ? 'DELETED' : !live ? 'DRAFT' : sameRule(live, d.rule) ? 'PUBLISHED' : 'MODIFIED';
    return {
      rule: d.rule,
      status,
      revision: d.revision,
      updatedAt: d.updatedAt,
      updatedBy: d.updatedBy,
      liveVersion: live ? (this.liveRelease?.version ?? null) : null,
      live: live && status !== 'PUBLISHED' ? live : null,
    };
  }

  private validationContext(): RuleValidationContext {
    return { knownAttributes: this.deps.vocabulary.knownAttributes, values: this.deps.vocabulary.values, maxPosition: this.deps.maxPosition };
  }

  private async checkProducts(rule: RuleDefinition): Promise<void> {
    const ids = [...new Set([...(rule.actions.pins ?? []).map((p) => p.productId), ...(rule.actions.hide ?? [])])];
    if (ids.length === 0) return;
    const found = await this.deps.products.getProducts(ids);
    const missing = ids.filter((_, i) => !found[i]);
    if (missing.length) {
      const field = (rule.actions.pins ?? []).some((p) => missing.includes(p.productId)) ? 'rule.actions.pins' : 'rule.actions.hide';
      throw new InvalidInputError(`${field}: no product with id ${missing.slice(0, 10).map((m) => `"${m}"`).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} in the catalogue`, {
        field,
        reason: 'UNKNOWN_PRODUCT',
        ids: missing.slice(0, 50),
      });
    }
  }

  private audit(actor: string, action: RuleAuditEntry['action'], e: Partial<Pick<RuleAuditEntry, 'ruleId' | 'before' | 'after' | 'releaseVersion' | 'note'>>): RuleAuditEntry {
    const at = this.now();
    auditCounter = (auditCounter + 1) % 1_000_000;
    return {
      id: `${at}-${String(auditCounter).padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`,
      at,
      actor,
      action,
      ruleId: e.ruleId ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
      releaseVersion: e.releaseVersion ?? null,
      note: e.note ?? '',
    };
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function withCount(release: RuleRelease): RuleReleaseView & { rules: RuleDefinition[] } {
  const { version, publishedAt, publishedBy, note, restoredFrom, rules } = release;
  return { version, publishedAt, publishedBy, note, restoredFrom, rules, ruleCount: rules.length };
}

function checkRevision(id: string, current: RuleDraft | null, expected: number | null | undefined): void {
  if (expected == null) return;
  const revision = current && !current.deleted ? current.revision : 0;
  if (revision !== expected) {
    throw new ConflictError(`rule "${id}" is at revision ${revision}, not ${expected}: someone changed it meanwhile; read it again and reapply your change`, {
      id,
      revision,
    });
  }
}
