/**
 * An in-memory RuleStore for unit tests; it passes the rule store contract
 * (test/contract/rule-store.contract.ts). Documents are kept as JSON text, as the real stores keep
 * them, so callers get copies and `undefined` fields vanish exactly as they would there.
 *
 * Stores built over the same `MemoryRuleData` share it, as processes share a file or a collection:
 *   const data = new MemoryRuleData();
 *   const first = new MemoryRuleStore(data);   // ... close, then
 *   const again = new MemoryRuleStore(data);   // sees what `first` wrote
 */
import { InvalidInputError, UnavailableError } from '../../../src/domain/errors';
import type { RuleAuditEntry, RuleDraft, RuleRelease } from '../../../src/rules/rule';
import { RuleStoreConflictError, type RuleReleaseSummary, type RuleStore } from '../../../src/rules/rule-store';

export class MemoryRuleData {
  /** Rule id -> RuleDraft JSON. */
  readonly drafts = new Map<string, string>();
  /** Version -> RuleRelease JSON. */
  readonly releases = new Map<number, string>();
  /** Insertion order. */
  readonly audit: { id: string; ruleId: string | null; json: string }[] = [];
}

export class MemoryRuleStore implements RuleStore {
  private isOpen = false;

  constructor(readonly data: MemoryRuleData = new MemoryRuleData()) {}

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  async listDrafts(): Promise<RuleDraft[]> {
    this.opened();
    return [...this.data.drafts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, json]) => JSON.parse(json) as RuleDraft);
  }

  async writeDrafts(drafts: RuleDraft[]): Promise<void> {
    this.opened();
    for (const draft of drafts) this.data.drafts.set(draft.rule.id, JSON.stringify(draft));
  }

  async removeDrafts(ids: string[]): Promise<void> {
    this.opened();
    for (const id of ids) this.data.drafts.delete(id);
  }

  async latestRelease(): Promise<RuleRelease | null> {
    this.opened();
    const versions = [...this.data.releases.keys()];
    return versions.length === 0 ? null : this.release(Math.max(...versions));
  }

  async release(version: number): Promise<RuleRelease | null> {
    this.opened();
    const json = this.data.releases.get(version);
    return json === undefined ? null : (JSON.parse(json) as RuleRelease);
  }

  async listReleases(limit: number): Promise<RuleReleaseSummary[]> {
    this.opened();
    checkLimit(limit, 'listReleases');
    return [...this.data.releases.values()]
      .map((json) => JSON.parse(json) as RuleRelease)
      .sort((a, b) => b.version - a.version)
      .slice(0, limit)
      .map((r) => ({
        version: r.version,
        ruleCount: r.rules.length,
        publishedAt: r.publishedAt,
        publishedBy: r.publishedBy,
        note: r.note,
        restoredFrom: r.restoredFrom,
      }));
  }

  async writeRelease(release: RuleRelease): Promise<void> {
    this.opened();
    const { version } = release;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      throw new InvalidInputError(`a release version must be a positive integer (got ${String(version)})`);
    }
    if (this.data.releases.has(version)) throw new RuleStoreConflictError(version);
    this.data.releases.set(version, JSON.stringify(release));
  }

  async appendAudit(entries: RuleAuditEntry[]): Promise<void> {
    this.opened();
    for (const entry of entries) {
      if (this.data.audit.some((stored) => stored.id === entry.id)) continue;
      this.data.audit.push({ id: entry.id, ruleId: entry.ruleId, json: JSON.stringify(entry) });
    }
  }

  async listAudit(options: { ruleId?: string | null; limit: number }): Promise<RuleAuditEntry[]> {
    this.opened();
    const limit = checkLimit(options.limit, 'listAudit');
    const { ruleId } = options;
    return this.data.audit
      .filter((stored) => ruleId == null || stored.ruleId === ruleId)
      .reverse()
      .slice(0, limit)
      .map((stored) => JSON.parse(stored.json) as RuleAuditEntry);
  }

  private opened(): void {
    if (!this.isOpen) throw new UnavailableError('the memory rule store is not open; call open() first');
  }
}

function checkLimit(limit: unknown, operation: string): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new InvalidInputError(`${operation} limit must be a positive integer (got ${String(limit)})`);
  }
  return limit;
}
