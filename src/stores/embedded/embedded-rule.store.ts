/**
 * The rule store of the embedded backend: one SQLite file (better-sqlite3, WAL) in
 * DATA_DIR/merchandising-rules.sqlite, apart from the products' store so that a gallery rebuild
 * keeps it. The server and the CLI may open it at the same time; SQLite serialises their writes.
 *
 * Tables (rules are kept as the JSON text of the domain objects, so they come back as written):
 *   drafts    id (the rule id) PRIMARY KEY, json (RuleDraft)
 *   releases  version PRIMARY KEY, json (RuleRelease), and the summary columns listReleases reads
 *             (rule_count, published_at, published_by, note, restored_from) without parsing rules
 *   audit     seq INTEGER PRIMARY KEY (insertion order), id UNIQUE, rule_id, at, json (RuleAuditEntry)
 *
 * writeDrafts and removeDrafts run in one transaction each. writeRelease relies on the primary key:
 * a version that exists fails the insert and becomes RuleStoreConflictError, whichever process
 * wrote it. An audit entry whose id is stored already is left as it was (a retried append adds
 * nothing). Releases and audit entries are kept forever, so writes are synced (synchronous = FULL);
 * they are rare.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, UnavailableError } from '../../domain/errors';
import type { RuleAuditEntry, RuleDraft, RuleRelease } from '../../rules/rule';
import { RuleStoreConflictError, type RuleReleaseSummary, type RuleStore } from '../../rules/rule-store';

export const RULES_FILE = 'merchandising-rules.sqlite';

/** Layout version, in SQLite's user_version. */
const SCHEMA_VERSION = 1;

export interface EmbeddedRuleStoreOptions {
  /** The SQLite file (DATA_DIR/merchandising-rules.sqlite for the server), or ':memory:'. */
  file: string;
}

interface ReleaseSummaryRow {
  version: number;
  rule_count: number;
  published_at: string;
  published_by: string;
  note: string;
  restored_from: number | null;
}

export class EmbeddedRuleStore implements RuleStore {
  private db: Database.Database | null = null;

  /** The rules file of a data directory. */
  static fileIn(dataDir: string): string {
    return path.join(dataDir, RULES_FILE);
  }

  constructor(private readonly options: EmbeddedRuleStoreOptions) {}

  get file(): string {
    return this.options.file;
  }

  async open(): Promise<void> {
    if (this.db) return;
    const { file } = this.options;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      if (file !== ':memory:') {
        // Who changed what is nobody else's business.
        try {
          chmodSync(file, 0o600);
        } catch {
          /* a file system without modes */
        }
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // The CLI and the server (or two servers on one data directory) may write at once.
      db.pragma('busy_timeout = 2000');
      db.exec(`
        CREATE TABLE IF NOT EXISTS drafts (
          id TEXT PRIMARY KEY,
          json TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS releases (
          version INTEGER PRIMARY KEY,
          rule_count INTEGER NOT NULL,
          published_at TEXT NOT NULL,
          published_by TEXT NOT NULL,
          note TEXT NOT NULL,
          restored_from INTEGER,
          json TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS audit (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          rule_id TEXT,
          at TEXT NOT NULL,
          json TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_by_rule ON audit (rule_id, seq);
      `);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new UnavailableError(`${file} was written by a newer version of this server (rules layout ${version}, this one reads ${SCHEMA_VERSION})`);
      }
      if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  async listDrafts(): Promise<RuleDraft[]> {
    const rows = this.opened().prepare('SELECT json FROM drafts ORDER BY id').all() as { json: string }[];
    return rows.map((row) => JSON.parse(row.json) as RuleDraft);
  }

  async writeDrafts(drafts: RuleDraft[]): Promise<void> {
    const db = this.opened();
    const put = db.prepare('INSERT INTO drafts (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json');
    db.transaction(() => {
      for (const draft of drafts) put.run(draft.rule.id, JSON.stringify(draft));
    })();
  }

  async removeDrafts(ids: string[]): Promise<void> {
    const db = this.opened();
    const remove = db.prepare('DELETE FROM drafts WHERE id = ?');
    db.transaction(() => {
      for (const id of ids) remove.run(id);
    })();
  }

  async latestRelease(): Promise<RuleRelease | null> {
    const row = this.opened().prepare('SELECT json FROM releases ORDER BY version DESC LIMIT 1').get() as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as RuleRelease) : null;
  }

  async release(version: number): Promise<RuleRelease | null> {
    const db = this.opened();
    if (!isReleaseVersion(version)) return null;
    const row = db.prepare('SELECT json FROM releases WHERE version = ?').get(version) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as RuleRelease) : null;
  }

  async listReleases(limit: number): Promise<RuleReleaseSummary[]> {
    const db = this.opened();
    checkLimit(limit, 'listReleases');
    const rows = db
      .prepare('SELECT version, rule_count, published_at, published_by, note, restored_from FROM releases ORDER BY version DESC LIMIT ?')
      .all(limit) as ReleaseSummaryRow[];
    return rows.map((row) => ({
      version: row.version,
      ruleCount: row.rule_count,
      publishedAt: row.published_at,
      publishedBy: row.published_by,
      note: row.note,
      restoredFrom: row.restored_from,
    }));
  }

  async writeRelease(release: RuleRelease): Promise<void> {
    const db = this.opened();
    if (!isReleaseVersion(release.version)) {
      throw new InvalidInputError(`a release version must be a positive integer (got ${String(release.version)})`);
    }
    try {
      db.prepare(
        'INSERT INTO releases (version, rule_count, published_at, published_by, note, restored_from, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(release.version, release.rules.length, release.publishedAt, release.publishedBy, release.note, release.restoredFrom, JSON.stringify(release));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new RuleStoreConflictError(release.version);
      throw error;
    }
  }

  async appendAudit(entries: RuleAuditEntry[]): Promise<void> {
    const db = this.opened();
    const add = db.prepare('INSERT INTO audit (id, rule_id, at, json) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
    db.transaction(() => {
      for (const entry of entries) add.run(entry.id, entry.ruleId, entry.at, JSON.stringify(entry));
    })();
  }

  async listAudit(options: { ruleId?: string | null; limit: number }): Promise<RuleAuditEntry[]> {
    const db = this.opened();
    const limit = checkLimit(options.limit, 'listAudit');
    const rows = (
      options.ruleId != null
        ? db.prepare('SELECT json FROM audit WHERE rule_id = ? ORDER BY seq DESC LIMIT ?').all(options.ruleId, limit)
        : db.prepare('SELECT json FROM audit ORDER BY seq DESC LIMIT ?').all(limit)
    ) as { json: string }[];
    return rows.map((row) => JSON.parse(row.json) as RuleAuditEntry);
  }

  private opened(): Database.Database {
    if (!this.db) throw new UnavailableError(`the rule store (${this.options.file}) is not open; call open() first`);
    return this.db;
  }
}

function isReleaseVersion(version: unknown): version is number {
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1;
}

function checkLimit(limit: unknown, operation: string): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new InvalidInputError(`${operation} limit must be a positive integer (got ${String(limit)})`);
  }
  return limit;
}
