/**
 * npm run eval:colour -- --split validation|test [--catalog DIR] [--renders N] [--set realshot,realshot-indist,renders]
 *                        [--limit N] [--options JSON] [--errors FILE] [--write-models-readme [--readme FILE]]
 *                        [--write-palette] [--write-signatures [--signature-images N]]
 *
 * Measures the region-of-interest colour module (src/vision/colour) against the catalogue's truth:
 * for every photo of the split's real-shot sets (queries/realshot-<split>.jsonl, the held-out family of
 * degradations, and queries/realshot-indist-<split>.jsonl, the in-distribution family) and for a seeded
 * sample of --renders clean catalogue images of the split's products (default 2,000), the profile's
 * `dominant` colour and `family` against the photographed product's `attributes.color` and
 * `colorFamily`. Prints, per set, colour accuracy (24 names) and colour-family accuracy with 95% Wilson
 * intervals, the time per image, accuracy by pattern and the commonest confusions.
 *
 * Validation is for choices: --options (JSON, e.g. '{"mask":{"threshold":12}}') overrides the module's
 * defaults for a trial, and --errors writes the wrong predictions as JSON lines for inspection. The test
 * split is for the report only: it runs with the defaults (--options is refused there).
 * --write-models-readme puts the tables between the markers `colour-<split>` of models/README.md.
 * --write-palette first rebuilds src/vision/colour/catalogue-palette.json from the catalogue's train split;
 * --write-signatures then rebuilds src/vision/colour/catalogue-signatures.json (colour signatures) from
 * --signature-images clean catalogue images (default 40) per colour and pattern of the train split,
 * profiled with the module's defaults. Both read the train split only.
 *
 * Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { replaceMetricsSection } from '../evaluation/models-readme';
import { colourProfile, type ColourProfileOptions } from '../vision/colour/colour-profile';
import { colourTables, scoreColourPredictions, type ColourPrediction, type ColourRun } from '../vision/colour/colour-evaluation';
import { deriveSignatures, signaturesFromFile, softHistogram, DEFAULT_SIGNATURE_OPTIONS, type ColourSignatures, type SignaturesFile } from '../vision/colour/colour-signatures';
import { cataloguePalette, derivePalette, paletteFromFile, type ColourPalette, type PaletteFile, type PaletteProduct } from '../vision/colour/palette';
import { seededRandom } from '../domain/seeded-random';

class UsageError extends Error {}

const SETS = ['realshot', 'realshot-indist', 'renders'] as const;
type SetName = (typeof SETS)[number];

const SET_DESCRIPTIONS: Record<SetName, string> = {
  realshot: 'real-shot photos, held-out family (target)',
  'realshot-indist': 'real-shot photos, in-distribution family',
  renders: 'clean catalogue renders',
};

export interface EvalColourArgs {
  split: 'validation' | 'test';
  catalogDir: string;
  sets: SetName[];
  renders: number;
  limit: number | null;
  options: Partial<ColourProfileOptions>;
  errorsFile: string | null;
  writeReadme: boolean;
  readme: string;
  writePalette: boolean;
  writeSignatures: boolean;
  signatureImages: number;
}

export function parseArgs(argv: string[]): EvalColourArgs {
  const args: EvalColourArgs = {
    split: 'validation',
    catalogDir: 'data/catalog',
    sets: [...SETS],
    renders: 2000,
    limit: null,
    options: {},
    errorsFile: null,
    writeReadme: false,
    readme: 'models/README.md',
    writePalette: false,
    writeSignatures: false,
    signatureImages: 40,
  };
  let split: string | null = null;
  let options: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const count = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${a} needs a whole number (got "${v}")`);
      return n;
    };
    if (a === '--split') split = value();
    else if (a === '--catalog') args.catalogDir = value();
    else if (a === '--renders') args.renders = count(value());
    else if (a === '--limit') args.limit = count(value());
    else if (a === '--set') {
      const sets = value().split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of sets) if (!(SETS as readonly string[]).includes(s)) throw new UsageError(`unknown set "${s}"; expected ${SETS.join(', ')}`);
      args.sets = sets as SetName[];
    } else if (a === '--options') options = value();
    else if (a === '--errors') args.errorsFile = value();
    else if (a === '--write-models-readme') args.writeReadme = true;
    else if (a === '--readme') args.readme = value();
    else if (a === '--write-palette') args.writePalette = true;
    else if (a === '--write-signatures') args.writeSignatures = true;
    else if (a === '--signature-images') args.signatureImages = count(value());
    else throw new UsageError(`unknown argument "${a}"`);
  }
  if (split !== 'validation' && split !== 'test') throw new UsageError('--split validation|test is required (validation for choices, test for the report)');
  args.split = split;
  if (options !== null) {
    if (args.writeSignatures) throw new UsageError('--write-signatures profiles with the module defaults; leave out --options');
    if (split === 'test') throw new UsageError('--options is for trials on the validation split; the test split runs with the defaults');
    try {
      args.options = JSON.parse(options) as Partial<ColourProfileOptions>;
    } catch (e) {
      throw new UsageError(`--options is not JSON: ${(e as Error).message}`);
    }
  }
  return args;
}

interface Truth {
  colour: string;
  family: string;
  pattern: string;
  image: string;
}

/** The split's products (truth and image) and, for --write-palette, the train split's palette inputs. */
async function readCatalogue(
  file: string,
  split: string,
  withTrain: boolean,
): Promise<{ products: Map<string, Truth>; train: PaletteProduct[]; trainImages: Map<string, Truth> }> {
  const products = new Map<string, Truth>();
  const train: PaletteProduct[] = [];
  const trainImages = new Map<string, Truth>();
  const marker = `"split":"${split}"`;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const mine = line.includes(marker);
    const isTrain = withTrain && line.includes('"split":"train"');
    if (!mine && !isTrain) continue;
    const p = JSON.parse(line) as { id: string; split: string; image: string; attributes: Record<string, string[]>; render?: { color?: number[]; pattern?: string } };
    if (p.split === split && p.attributes.color?.length === 1) {
      products.set(p.id, {
        colour: p.attributes.color[0],
        family: p.attributes.colorFamily?.[0] ?? '',
        pattern: p.render?.pattern ?? p.attributes.pattern?.[0] ?? '',
        image: p.image,
      });
    }
    if (p.split === 'train' && withTrain) {
      train.push({ attributes: p.attributes, render: p.render });
      if (p.attributes.color?.length === 1) {
        trainImages.set(p.id, { colour: p.attributes.color[0], family: p.attributes.colorFamily?.[0] ?? '', pattern: p.render?.pattern ?? p.attributes.pattern?.[0] ?? '', image: p.image });
      }
    }
  }
  return { products, train, trainImages };
}

/** A seeded sample of `n` ids (Fisher-Yates with mulberry32, seed 42), in sampled order. */
export function sampleIds(ids: readonly string[], n: number, seed = 42): string[] {
  const a = [...ids].sort();
  const rnd = seededRandom(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, Math.min(n, a.length));
}

function formatPalette(file: PaletteFile): string {
  const colours = file.colours.map((c) => `    ${JSON.stringify(c)}`).join(',\n');
  return `{\n  "format": ${JSON.stringify(file.format)},\n  "source": ${JSON.stringify(file.source)},\n  "colours": [\n${colours}\n  ]\n}\n`;
}

/** Signatures from `perGroup` train images per colour and pattern (a seeded sample), profiled with the defaults. */
async function buildSignatures(catalogue: string, train: Map<string, Truth>, palette: ColourPalette, perGroup: number): Promise<SignaturesFile> {
  const groups = new Map<string, string[]>();
  for (const [id, t] of train) {
    const key = `${t.colour}\u0000${t.pattern}`;
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  const samples: { name: string; group: string; histogram: Float64Array }[] = [];
  const started = Date.now();
  for (const [key, ids] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const id of sampleIds(ids, perGroup)) {
      const t = train.get(id)!;
      const profile = await colourProfile(await fs.readFile(path.join(catalogue, t.image)), palette, { signatures: null });
      samples.push({ name: t.colour, group: t.pattern, histogram: softHistogram(profile.clusters, palette, DEFAULT_SIGNATURE_OPTIONS.sigma) });
    }
    if (samples.length % 1000 < perGroup) console.log(`signatures: ${samples.length} images profiled (${((Date.now() - started) / 1000).toFixed(0)} s), at ${key.replace('\u0000', ' / ')}`);
  }
  return deriveSignatures(samples, palette, DEFAULT_SIGNATURE_OPTIONS, { catalog: path.relative(process.cwd(), catalogue) || '.', split: 'train', perGroup, images: samples.length });
}

function formatSignatures(file: SignaturesFile): string {
  const entries = file.entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  return `{\n  "format": ${JSON.stringify(file.format)},\n  "source": ${JSON.stringify(file.source)},\n  "options": ${JSON.stringify(file.options)},\n  "names": ${JSON.stringify(file.names)},\n  "entries": [\n${entries}\n  ]\n}\n`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const catalogue = path.resolve(args.catalogDir);
  const started = Date.now();
  const { products, train, trainImages } = await readCatalogue(path.join(catalogue, 'products.jsonl'), args.split, args.writePalette || args.writeSignatures);
  let palette: ColourPalette = cataloguePalette();
  let signatures: ColourSignatures | null | undefined;
  if (args.writePalette) {
    const file = derivePalette(train, { catalog: args.catalogDir, split: 'train', products: train.length });
    palette = paletteFromFile(file);
    const out = path.join(__dirname, '..', 'vision', 'colour', 'catalogue-palette.json');
    await fs.writeFile(out, formatPalette(file));
    console.log(`wrote ${path.relative(process.cwd(), out)}: ${file.colours.length} colours from ${train.length} train products`);
  }
  if (args.writeSignatures) {
    const file = await buildSignatures(catalogue, trainImages, palette, args.signatureImages);
    await fs.writeFile(path.join(__dirname, '..', 'vision', 'colour', 'catalogue-signatures.json'), formatSignatures(file));
    signatures = signaturesFromFile(file, palette);
    console.log(`wrote src/vision/colour/catalogue-signatures.json: ${file.entries.length} signatures from ${file.source.images} train images`);
  }
  console.log(`catalogue ${args.catalogDir}: ${products.size} ${args.split} products (read in ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  const hash = createHash('sha256');
  hash.update(JSON.stringify(palette.colours.map((c) => [c.name, c.family, c.rgb])));
  const runs: ColourRun[] = [];
  const errors: object[] = [];
  for (const set of args.sets) {
    let items: { id: string; productId: string; file: string }[];
    if (set === 'renders') {
      items = sampleIds([...products.keys()], args.renders).map((id) => ({ id, productId: id, file: path.join(catalogue, products.get(id)!.image) }));
    } else {
      const qfile = path.join(catalogue, 'queries', `${set}-${args.split}.jsonl`);
      const text = await fs.readFile(qfile, 'utf8');
      hash.update(text);
      items = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; productId: string; image: string })
        .map((q) => ({ id: q.id, productId: q.productId, file: path.join(catalogue, q.image) }));
    }
    if (args.limit !== null) items = items.slice(0, args.limit);
    hash.update(items.map((i) => i.id).join(','));
    const predictions: ColourPrediction[] = [];
    for (const item of items) {
      const truth = products.get(item.productId);
      if (!truth) throw new Error(`${item.id}: product ${item.productId} is not a ${args.split} product of ${args.catalogDir}`);
      const bytes = await fs.readFile(item.file);
      const t0 = performance.now();
      const profile = await colourProfile(bytes, palette, { ...args.options, signatures });
      const ms = performance.now() - t0;
      predictions.push({ truth: truth.colour, truthFamily: truth.family, predicted: profile.dominant, predictedFamily: profile.family, ms, group: truth.pattern });
      if (profile.dominant !== truth.colour) {
        errors.push({ set, id: item.id, image: item.file, truth: truth.colour, pattern: truth.pattern, predicted: profile.dominant, histogram: profile.histogram, clusters: profile.clusters, foreground: profile.foreground, maskSource: profile.maskSource, lightCorrected: profile.lightCorrected });
      }
    }
    const scores = scoreColourPredictions(predictions);
    runs.push({ set, description: SET_DESCRIPTIONS[set], scores });
    console.log(`${set}: ${scores.n} images, colour ${(100 * scores.colour.accuracy).toFixed(1)}%, family ${(100 * scores.family.accuracy).toFixed(1)}%, ${scores.meanMs.toFixed(1)} ms/image`);
  }

  const role = args.split === 'validation' ? 'validation split: used for every choice of the module' : 'test split: held out, run once for the report';
  const trial = Object.keys(args.options).length ? `, options ${JSON.stringify(args.options)}` : ', module defaults';
  const footnote = `${role}; \`npm run eval:colour -- --split ${args.split}${args.renders !== 2000 ? ` --renders ${args.renders}` : ''}\`${trial}; ${new Date().toISOString().slice(0, 10)}, data sha256:${hash.digest('hex').slice(0, 16)}; 95% Wilson intervals; ms on ${require('node:os').cpus().length} CPU cores, one image at a time, decode included`;
  const tables = colourTables(runs, { title: args.split === 'validation' ? 'Validation split (used for choices)' : 'Test split (held out)', footnote });
  console.log(`\n${tables}`);
  if (args.errorsFile) {
    await fs.writeFile(args.errorsFile, errors.map((e) => JSON.stringify(e)).join('\n') + '\n');
    console.log(`wrote ${errors.length} wrong predictions to ${args.errorsFile}`);
  }
  if (args.writeReadme) {
    if (Object.keys(args.options).length || args.limit !== null || args.sets.length !== SETS.length) {
      throw new UsageError('--write-models-readme writes only full runs with the module defaults (no --options, --limit or --set)');
    }
    // read just before writing: others may be editing other sections of the file
    const readme = await fs.readFile(args.readme, 'utf8');
    await fs.writeFile(args.readme, replaceMetricsSection(readme, tables, `colour-${args.split}`));
    console.log(`wrote the tables into ${args.readme} (section colour-${args.split})`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
