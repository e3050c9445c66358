import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Where schema/*.graphql lives (the repository root's schema folder). */
export const SCHEMA_DIR = path.resolve(__dirname, '..', '..', 'schema');

/** The SDL of every schema file, base.graphql first, then in name order. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => readFileSync(path.join(dir, f), 'utf8'));
}
