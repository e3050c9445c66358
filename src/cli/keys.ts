/**
 * `npm run keys -- <command>`: manages the API keys of the server's data directory
 * (DATA_DIR/api-keys.sqlite; the server sees changes at once, no restart needed).
 *
 *   create --role ROLE [--role ROLE ...] [--name NAME]   prints the new key once, on stdout alone
 *   list [--json]                                        names, roles, created, last used; never keys
 *   revoke NAME                                          the key stops working at once
 *
 * Roles: search, catalog, merchandiser, analyst, admin (admin implies every other). Exit codes:
 * 0 done, 1 no such key or a failure, 2 bad arguments or settings.
 */
import { ApiKeyStore, type ApiKeyRecord } from '../auth/api-key.store';
import { ROLE_DESCRIPTIONS, ROLES } from '../auth/roles';
import { ConfigError, loadConfig } from '../config/config';
import { InvalidInputError } from '../domain/errors';

export const USAGE = [
  'usage: npm run keys -- create --role ROLE [--role ROLE ...] [--name NAME]',
  '       npm run keys -- list [--json]',
  '       npm run keys -- revoke NAME',
  `roles: ${ROLES.map((r) => `${r} (${ROLE_DESCRIPTIONS[r]})`).join('; ')}`,
].join('\n');

export type KeysCommand =
  | { command: 'create'; roles: string[]; name: string | null }
  | { command: 'list'; json: boolean }
  | { command: 'revoke'; name: string }
  | { command: 'help' };

/** Parses the command line; throws InvalidInputError naming the bad argument. */
export function parseKeysArgs(argv: string[]): KeysCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  switch (command) {
    case 'create': {
      const roles: string[] = [];
      let name: string | null = null;
      for (let i = 0; i < rest.length; i++) {
        const [flag, inline] = splitFlag(rest[i]);
        const value = (): string => {
          if (inline !== undefined) return inline;
          const next = rest[i + 1];
          if (next === undefined || next.startsWith('--')) throw new InvalidInputError(`${flag} needs a value\n${USAGE}`);
          i++;
          return next;
        };
        if (flag === '--role' || flag === '--roles') roles.push(...value().split(',').map((r) => r.trim()).filter(Boolean));
        else if (flag === '--name') name = value();
        else throw new InvalidInputError(`unexpected argument "${rest[i]}" for create\n${USAGE}`);
      }
      if (roles.length === 0) throw new InvalidInputError(`create needs at least one --role (${ROLES.join(', ')})\n${USAGE}`);
      return { command: 'create', roles, name };
    }
    case 'list': {
      const bad = rest.filter((a) => a !== '--json');
      if (bad.length) throw new InvalidInputError(`unexpected argument "${bad[0]}" for list\n${USAGE}`);
      return { command: 'list', json: rest.includes('--json') };
    }
    case 'revoke': {
      if (rest.length !== 1 || rest[0].startsWith('--')) throw new InvalidInputError(`revoke needs exactly one key name (see npm run keys -- list)\n${USAGE}`);
      return { command: 'revoke', name: rest[0] };
    }
    default:
      throw new InvalidInputError(`unknown command "${command}"\n${USAGE}`);
  }
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

export interface KeysIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Runs one parsed command against a key store; returns the exit code. */
export function runKeysCommand(command: Exclude<KeysCommand, { command: 'help' }>, store: ApiKeyStore, io: KeysIo): number {
  switch (command.command) {
    case 'create': {
      let created;
      try {
        created = store.create({ roles: command.roles, name: command.name });
      } catch (error) {
        if (error instanceof InvalidInputError) {
          io.stderr(`${error.message}\n`);
          return 2;
        }
        throw error;
      }
      io.stdout(`${created.key}\n`);
      io.stderr(
        `created key "${created.record.name}" with role${created.record.roles.length > 1 ? 's' : ''} ${created.record.roles.join(', ')}.\n` +
          'It is shown only this once and cannot be recovered: store it now. Send it as "authorization: Bearer <key>" or "x-api-key: <key>".\n',
      );
      return 0;
    }
    case 'list': {
      const keys = store.list();
      if (command.json) {
        io.stdout(`${JSON.stringify(keys.map(({ name, roles, createdAt, lastUsedAt }) => ({ name, roles, createdAt, lastUsedAt })))}\n`);
      } else if (keys.length === 0) {
        io.stderr('no keys yet: create one with npm run keys -- create --role admin\n');
      } else {
        io.stdout(table(keys));
      }
      return 0;
    }
    case 'revoke': {
      if (!store.revoke(command.name)) {
        io.stderr(`no key named "${command.name}"; see npm run keys -- list\n`);
        return 1;
      }
      io.stderr(`revoked key "${command.name}": it is refused from now on\n`);
      return 0;
    }
  }
}

function table(keys: ApiKeyRecord[]): string {
  const rows = [['NAME', 'ROLES', 'CREATED', 'LAST USED'], ...keys.map((k) => [k.name, k.roles.join(','), k.createdAt, k.lastUsedAt ?? 'never'])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}

/** The CLI: DATA_DIR comes from the configuration (src/config/config.ts; `env` replaces the process environment in tests). */
export function main(argv: string[], io: KeysIo, env?: Record<string, string | undefined>): number {
  let command: KeysCommand;
  let dataDir: string;
  try {
    command = parseKeysArgs(argv);
    dataDir = loadConfig(env).dataDir;
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command.command === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const store = new ApiKeyStore(ApiKeyStore.fileIn(dataDir));
  try {
    return runKeysCommand(command, store, io);
  } catch (error) {
    io.stderr(`keys: ${(error as Error).message}\n`);
    return 1;
  } finally {
    store.close();
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}
