/**
 * API keys at rest: one SQLite table (better-sqlite3, WAL) in DATA_DIR/api-keys.sqlite holding each
 * key's id, name, roles, salt and salted SHA-256 of its secret (see api-key.ts for why that hash is
 * enough), creation time and last use. The key itself is returned once, by `create`, and never
 * stored. The server verifies keys against the table on each request that carries one, so keys
 * created or revoked by the CLI (another process) take effect at once.
 *
 * Verification runs in constant time with respect to the secret (crypto.timingSafeEqual over the
 * hashes), and an unknown id costs the same hash and comparison as a known one. The last-use time
 * is written at most once per `touchIntervalMs` per key, without fsync, so a busy key does not turn
 * every request into a disk write.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../domain/errors';
import { generateApiKey, hashSecret, newSalt, parseApiKey, SALT_BYTES } from './api-key';
import { isRole, ROLES, type Role } from './roles';

export const API_KEYS_FILE = 'api-keys.sqlite';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ApiKeyRecord {
  id: string;
  name: string;
  roles: Role[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface CreatedApiKey {
  /** The key to give to the client: shown once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

/** What the authorizer needs from the key store. */
export interface ApiKeyVerifier {
  /** The record of a valid key, or null for a malformed, unknown or revoked one. */
  verify(key: string): ApiKeyRecord | null;
}

export interface ApiKeyStoreOptions {
  now?: () => Date;
  /** Least time between two writes of a key's last-use time (default one minute). */
  touchIntervalMs?: number;
}

interface Row {
  id: string;
  name: string;
  roles: string;
  salt: Buffer;
  hash: Buffer;
  created_at: string;
  last_used_at: string | null;
}

// Compared against when the id is unknown, so that both paths cost the same.
const DUMMY_SALT = Buffer.alloc(SALT_BYTES);
const DUMMY_HASH = hashSecret(DUMMY_SALT, 'no such key');

export class ApiKeyStore implements ApiKeyVerifier {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly touchIntervalMs: number;
  private readonly touchedAt = new Map<string, number>();
  private readonly byId: Database.Statement<[string], Row>;
  private readonly touch: Database.Statement<[string, string]>;

  /** The key file of a data directory. */
  static fileIn(dataDir: string): string {
    return path.join(dataDir, API_KEYS_FILE);
  }

  constructor(file: string, options: ApiKeyStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    if (file !== ':memory:') {
      // Hashes only, but nobody else needs to read them.
      try {
        chmodSync(file, 0o600);
      } catch {
        /* a file system without modes */
      }
    }
    this.db.pragma('journal_mode = WAL');
    // Creating and revoking keys are rare; a lost last-use time after a power cut is harmless.
    this.db.pragma('synchronous = NORMAL');
    // The CLI may write while the server reads; wait briefly rather than fail.
    this.db.pragma('busy_timeout = 200');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        roles TEXT NOT NULL,
        salt BLOB NOT NULL,
        hash BLOB NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT
      );
    `);
    this.byId = this.db.prepare('SELECT * FROM api_keys WHERE id = ?');
    this.touch = this.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  }

  /** Creates a key with the given roles; the returned key is the only copy. */
  create(input: { roles: readonly string[]; name?: string | null }): CreatedApiKey {
    const roles = normaliseRoles(input.roles);
    const generated = generateApiKey();
    const name = input.name ?? `${roles.join('.')}-${generated.id.slice(0, 8)}`;
    if (!NAME.test(name)) {
      throw new InvalidInputError(`key name "${name}" is not valid: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
    const salt = newSalt();
    const createdAt = this.now().toISOString();
    try {
      this.db
        .prepare('INSERT INTO api_keys (id, name, roles, salt, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(generated.id, name, roles.join(','), salt, hashSecret(salt, generated.secret), createdAt);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new InvalidInputError(`a key named "${name}" exists already; choose another --name or revoke it first`);
      }
      throw error;
    }
    return { key: generated.key, record: { id: generated.id, name, roles, createdAt, lastUsedAt: null } };
  }

  /** Every key's record (never the keys), oldest first. */
  list(): ApiKeyRecord[] {
    const rows = this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, name').all() as Row[];
    return rows.map(toRecord);
  }

  /** Removes the key with this name; false when there is none. */
  revoke(name: string): boolean {
    const removed = this.db.prepare('SELECT id FROM api_keys WHERE name = ?').get(name) as { id: string } | undefined;
    if (!removed) return false;
    this.db.prepare('DELETE FROM api_keys WHERE id = ?').run(removed.id);
    this.touchedAt.delete(removed.id);
    return true;
  }

  verify(key: string): ApiKeyRecord | null {
    const parsed = parseApiKey(key);
    const row = parsed ? this.byId.get(parsed.id) : undefined;
    const actual = hashSecret(row?.salt ?? DUMMY_SALT, parsed?.secret ?? key);
    const expected = row && row.hash.length === actual.length ? row.hash : DUMMY_HASH;
    const equal = timingSafeEqual(actual, expected);
    if (!row || !equal || expected === DUMMY_HASH) return null;
    const record = toRecord(row);
    this.markUsed(record);
    return record;
  }

  close(): void {
    this.db.close();
  }

  private markUsed(record: ApiKeyRecord): void {
    const now = this.now();
    const last = this.touchedAt.get(record.id);
    if (last !== undefined && now.getTime() - last < this.touchIntervalMs) return;
    this.touchedAt.set(record.id, now.getTime());
    record.lastUsedAt = now.toISOString();
    try {
      this.touch.run(record.lastUsedAt, record.id);
    } catch {
      // Busy with a CLI write: the last-use time is informational, the next use records it.
      this.touchedAt.delete(record.id);
    }
  }
}

function normaliseRoles(roles: readonly string[]): Role[] {
  if (roles.length === 0) throw new InvalidInputError(`give at least one role (${ROLES.join(', ')})`);
  const bad = roles.filter((r) => !isRole(r));
  if (bad.length) throw new InvalidInputError(`unknown role ${bad.map((r) => `"${r}"`).join(', ')}; the roles are ${ROLES.join(', ')}`);
  return ROLES.filter((r) => roles.includes(r));
}

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles.split(',').filter(isRole),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
