/** The API key store: keys shown once, stored as salted hashes, verified in constant time, revocable. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { API_KEY_PATTERN, hashSecret, parseApiKey } from '../../../src/auth/api-key';
import { ApiKeyStore } from '../../../src/auth/api-key.store';

describe('ApiKeyStore', () => {
  let dir: string;
  let file: string;
  let now: Date;
  let store: ApiKeyStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-keys-'));
    file = path.join(dir, 'api-keys.sqlite');
    now = new Date('2026-03-01T10:00:00.000Z');
    store = new ApiKeyStore(file, { now: () => now, touchIntervalMs: 60_000 });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates random keys of the documented shape, each different', () => {
    const a = store.create({ roles: ['catalog'] });
    const b = store.create({ roles: ['catalog'] });
    expect(a.key).toMatch(/^fsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.key.match(API_KEY_PATTERN)).toEqual([a.key]);
    expect(a.record).toMatchObject({ roles: ['catalog'], createdAt: '2026-03-01T10:00:00.000Z', lastUsedAt: null });
    expect(a.record.name).toMatch(/^catalog-[0-9a-f]{8}$/);
  });

  it('stores only a salted SHA-256 of the secret, never the key', () => {
    const { key, record } = store.create({ roles: ['admin'], name: 'ops' });
    store.close();
    const raw = readFileSync(file);
    const { secret } = parseApiKey(key)!;
    expect(raw.includes(Buffer.from(key))).toBe(false);
    expect(raw.includes(Buffer.from(secret))).toBe(false);
    const db = new Database(file, { readonly: true });
    const row = db.prepare('SELECT * FROM api_keys WHERE name = ?').get('ops') as { id: string; salt: Buffer; hash: Buffer };
    db.close();
    expect(row.id).toBe(record.id);
    expect(row.salt).toHaveLength(16);
    expect(row.hash).toEqual(hashSecret(row.salt, secret));
    // unsalted, the hash would differ
    expect(row.hash).not.toEqual(createHash('sha256').update(secret).digest());
    store = new ApiKeyStore(file);
    expect(store.verify(key)?.name).toBe('ops');
  });

  it('keeps the key file readable by its owner only', () => {
    store.create({ roles: ['admin'] });
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('verifies the right key and refuses tampered, unknown and malformed ones', () => {
    const { key } = store.create({ roles: ['search', 'analyst'], name: 'dash' });
    expect(store.verify(key)).toMatchObject({ name: 'dash', roles: ['search', 'analyst'] });
    const { id, secret } = parseApiKey(key)!;
    const flipped = `fsk_${id}_${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    const otherId = `fsk_${id.replace(/^./, (c) => (c === '0' ? '1' : '0'))}_${secret}`;
    for (const bad of [flipped, otherId, key.slice(0, -1), `${key}x`, '', 'fsk_', 'hunter2', key.toUpperCase()]) {
      expect(store.verify(bad)).toBeNull();
    }
  });

  it('compares hashes with crypto.timingSafeEqual on every path, known id or not', () => {
    const { key } = store.create({ roles: ['catalog'] });
    // the module object the store's named import reads at call time
    const spy = jest.spyOn(require('node:crypto') as typeof import('node:crypto'), 'timingSafeEqual');
    try {
      const { id, secret } = parseApiKey(key)!;
      const wrongSecret = `fsk_${id}_${'A'.repeat(43)}`;
      const unknownId = `fsk_${'f'.repeat(16)}_${secret}`;
      for (const k of [key, wrongSecret, unknownId, 'not-a-key']) {
        spy.mockClear();
        store.verify(k);
        expect(spy).toHaveBeenCalledTimes(1);
        const [a, b] = spy.mock.calls[0];
        expect(Buffer.from(a as Uint8Array)).toHaveLength(32);
        expect(Buffer.from(b as Uint8Array)).toHaveLength(32);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('takes several roles, dropping repeats, and refuses unknown roles, no roles, bad and duplicate names', () => {
    expect(store.create({ roles: ['analyst', 'catalog', 'analyst'] }).record.roles).toEqual(['catalog', 'analyst']);
    expect(() => store.create({ roles: [] })).toThrow(/at least one role/);
    expect(() => store.create({ roles: ['root'] })).toThrow(/unknown role "root"; the roles are search, catalog, merchandiser, analyst, admin/);
    expect(() => store.create({ roles: ['admin'], name: 'has space' })).toThrow(/key name "has space" is not valid/);
    store.create({ roles: ['admin'], name: 'ops' });
    expect(() => store.create({ roles: ['search'], name: 'ops' })).toThrow(/a key named "ops" exists already/);
  });

  it('lists names, roles and times without keys or hashes', () => {
    const a = store.create({ roles: ['catalog'], name: 'feed' });
    now = new Date('2026-03-02T10:00:00.000Z');
    store.create({ roles: ['analyst'], name: 'bi' });
    const listed = store.list();
    expect(listed.map((k) => k.name)).toEqual(['feed', 'bi']);
    expect(listed[0]).toEqual({ id: a.record.id, name: 'feed', roles: ['catalog'], createdAt: '2026-03-01T10:00:00.000Z', lastUsedAt: null });
    expect(JSON.stringify(listed)).not.toContain(parseApiKey(a.key)!.secret);
  });

  it('records the last use, at most once per interval', () => {
    const { key } = store.create({ roles: ['catalog'], name: 'feed' });
    now = new Date('2026-03-01T11:00:00.000Z');
    store.verify(key);
    expect(store.list()[0].lastUsedAt).toBe('2026-03-01T11:00:00.000Z');
    now = new Date('2026-03-01T11:00:30.000Z');
    store.verify(key);
    expect(store.list()[0].lastUsedAt).toBe('2026-03-01T11:00:00.000Z');
    now = new Date('2026-03-01T11:01:00.000Z');
    store.verify(key);
    expect(store.list()[0].lastUsedAt).toBe('2026-03-01T11:01:00.000Z');
  });

  it('revokes by name at once, also for another process holding the file open', () => {
    const { key } = store.create({ roles: ['catalog'], name: 'feed' });
    const server = new ApiKeyStore(file);
    try {
      expect(server.verify(key)?.name).toBe('feed');
      expect(store.revoke('feed')).toBe(true);
      expect(server.verify(key)).toBeNull();
      expect(store.revoke('feed')).toBe(false);
      expect(store.list()).toEqual([]);
      // a key created by the CLI works in the running server at once
      const fresh = store.create({ roles: ['analyst'], name: 'bi' });
      expect(server.verify(fresh.key)?.roles).toEqual(['analyst']);
    } finally {
      server.close();
    }
  });
});
