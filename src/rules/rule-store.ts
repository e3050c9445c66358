/**
 * The port through which rules are kept, beside the catalogue: an SQLite file in DATA_DIR for the
 * embedded store (stores/embedded/embedded-rule.store.ts), a small payload-only collection next to
 * the products' collection for Qdrant (stores/qdrant/qdrant-rule.store.ts), shared by every replica.
 * Rules live apart from the products' store so that a gallery rebuild into a new store or
 * collection keeps them. One contract suite (test/contract/rule-store.contract.ts) runs on both.
 */
import type { RuleAuditEntry, RuleDraft, RuleRelease } from './rule';

export interface RuleReleaseSummary {
  version: number;
  ruleCount: number;
  publishedAt: string;
  publishedBy: string;
  note: string;
  restoredFrom: number | null;
}

export interface RuleStore {
  /** Creates what is missing (tables, collection); idempotent. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Every draft, deleted ones included, in id order. */
  listDrafts(): Promise<RuleDraft[]>;
  /** Writes (inserts or replaces) drafts by rule id, all or none where the backend allows. */
  writeDrafts(drafts: RuleDraft[]): Promise<void>;
  /** Removes drafts for good (a deleted rule that was never published, or after its deletion is released). */
  removeDrafts(ids: string[]): Promise<void>;
  /** The release with the highest version, or null before the first. */
  latestRelease(): Promise<RuleRelease | null>;
  release(version: number): Promise<RuleRelease | null>;
  /** Releases newest first, without their rules. */
  listReleases(limit: number): Promise<RuleReleaseSummary[]>;
  /** Adds a release; refuses (RuleStoreConflictError) a version that exists. */
  writeRelease(release: RuleRelease): Promise<void>;
  appendAudit(entries: RuleAuditEntry[]): Promise<void>;
  /** Audit entries newest first, of one rule when `ruleId` is given. */
  listAudit(options: { ruleId?: string | null; limit: number }): Promise<RuleAuditEntry[]>;
}

/** A release version was taken meanwhile (another replica published): read the latest and try again. */
export class RuleStoreConflictError extends Error {
  constructor(readonly version: number) {
    super(`rule release ${version} already exists`);
    this.name = 'RuleStoreConflictError';
  }
}
