/** `npm run keys`: create prints the key once, list never shows keys, revoke stops a key at once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKeyStore } from '../../../src/auth/api-key.store';
import { main, parseKeysArgs } from '../../../src/cli/keys';

describe('keys CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'keys-cli-'));
    env = { DATA_DIR: path.join(dir, 'data') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, env);
    return { code, stdout, stderr };
  }

  function verify(key: string) {
    const store = new ApiKeyStore(ApiKeyStore.fileIn(env.DATA_DIR));
    try {
      return store.verify(key);
    } finally {
      store.close();
    }
  }

  it('creates a key with several roles and prints it alone on stdout, once', () => {
    const r = run('create', '--role', 'catalog', '--role=analyst', '--name', 'feed');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).toMatch(/created key "feed" with roles catalog, analyst/);
    expect(r.stderr).toMatch(/shown only this once/);
    expect(r.stderr).not.toContain(r.stdout.trim());
    expect(verify(r.stdout.trim())).toMatchObject({ name: 'feed', roles: ['catalog', 'analyst'] });
  });

  it('lists names, roles, creation and last use, never keys', () => {
    const key = run('create', '--role', 'admin', '--name', 'ops').stdout.trim();
    run('create', '--roles', 'search,analyst', '--name', 'bi');
    verify(key);
    const table = run('list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ROLES\s+CREATED\s+LAST USED$/);
    expect(lines[1]).toMatch(/^ops\s+admin\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z$/);
    expect(lines[2]).toMatch(/^bi\s+search,analyst\s+\S+\s+never$/);
    expect(table.stdout).not.toContain(key);
    expect(table.stdout).not.toContain('fsk_');
    const json = JSON.parse(run('list', '--json').stdout);
    expect(json.map((k: { name: string }) => k.name)).toEqual(['ops', 'bi']);
    expect(Object.keys(json[0]).sort()).toEqual(['createdAt', 'lastUsedAt', 'name', 'roles']);
  });

  it('says how to create the first key when there is none', () => {
    const r = run('list');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/npm run keys -- create --role admin/);
  });

  it('revokes a key by name; the key is refused from then on', () => {
    const key = run('create', '--role', 'catalog', '--name', 'feed').stdout.trim();
    expect(verify(key)).not.toBeNull();
    const r = run('revoke', 'feed');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/revoked key "feed"/);
    expect(verify(key)).toBeNull();
    const again = run('revoke', 'feed');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no key named "feed"; see npm run keys -- list/);
  });

  it('exits 2 with a message naming the problem for bad arguments and settings', () => {
    const cases: [string[], RegExp][] = [
      [['create'], /create needs at least one --role/],
      [['create', '--role'], /--role needs a value/],
      [['create', '--role', 'root'], /unknown role "root"; the roles are search, catalog, merchandiser, analyst, admin/],
      [['create', '--role', 'admin', '--name', 'a b'], /key name "a b" is not valid/],
      [['create', '--role', 'admin', '--key', 'x'], /unexpected argument "--key" for create/],
      [['revoke'], /revoke needs exactly one key name/],
      [['list', '--all'], /unexpected argument "--all" for list/],
      [['rotate'], /unknown command "rotate"/],
    ];
    for (const [argv, message] of cases) {
      const r = run(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    run('create', '--role', 'admin', '--name', 'ops');
    const dup = run('create', '--role', 'search', '--name', 'ops');
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/a key named "ops" exists already/);
    env.DATA_DIR = '';
    env.PORT = 'x';
    expect(run('list')).toMatchObject({ code: 2, stderr: expect.stringMatching(/PORT="x"/) });
  });

  it('prints usage for help', () => {
    for (const argv of [[], ['help'], ['--help']]) {
      const r = run(...argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/usage: npm run keys -- create --role ROLE/);
      expect(r.stdout).toMatch(/admin \(everything/);
    }
    expect(parseKeysArgs(['create', '--role', 'a,b', '--name=x'])).toEqual({ command: 'create', roles: ['a', 'b'], name: 'x' });
  });
});
