/**
 * GraphQL documents used by the web pages, kept as .graphql files so that a unit test validates
 * them against the schema:
 * - operations/playground/*.graphql: the example tabs GraphiQL opens with (file name order), each
 *   with optional variables in a sibling `<name>.variables.json`;
 * - operations/lab.graphql: one document with the named operations the search lab sends.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface PlaygroundTab {
  /** File name without extension, e.g. "01-text-search". */
  name: string;
  query: string;
  /** Pretty-printed JSON, as GraphiQL's variables editor shows it. */
  variables: string;
}

export interface WebOperations {
  playground: PlaygroundTab[];
  /** A document of named operations; the lab picks one with `operationName`. */
  lab: string;
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function loadOperations(dir: string): Promise<WebOperations> {
  const playgroundDir = path.join(dir, 'playground');
  const files = (await readdir(playgroundDir)).filter((f) => f.endsWith('.graphql')).sort();
  const playground: PlaygroundTab[] = [];
  for (const file of files) {
    const name = file.slice(0, -'.graphql'.length);
    const query = (await readFile(path.join(playgroundDir, file), 'utf8')).trim() + '\n';
    const rawVariables = await readOptional(path.join(playgroundDir, `${name}.variables.json`));
    let variables = '';
    if (rawVariables !== null) {
      try {
        variables = JSON.stringify(JSON.parse(rawVariables), null, 2);
      } catch (error) {
        throw new Error(`${name}.variables.json is not valid JSON: ${(error as Error).message}`);
      }
    }
    playground.push({ name, query, variables });
  }
  const lab = await readFile(path.join(dir, 'lab.graphql'), 'utf8');
  return { playground, lab };
}
