/**
 * npm run eval -- --set <text|image|composed|composed-meaning|realshot|realshot-indist|outfits|index|all>
 *                 [--split validation|test] [--variant NAME ...] [--catalog DIR] [--out DIR] [--models DIR]
 *                 [--data DIR] [--runs DIR] [--limit N] [--seed N] [--bootstrap N] [--permutations N]
 *                 [--write-models-readme [--readme FILE] [--readme-section NAME]]
 *
 * Ingests the split's products of the catalogue into an evaluation store (reused when unchanged),
 * runs each set against its variants, records the runs (data/store/evaluations, listed by the API;
 * each run records its split), and writes the exports (CSV, JSON Lines, TREC run and qrels files)
 * and an offline HTML report to --out. The split (default test, the reported numbers; validation
 * for choices) sets the defaults of the catalogue, the report folder and the README section (see
 * SPLIT_DEFAULTS). Without --variant, the text, composed and real-shot sets also run through the
 * API's search service (configured by the same SEARCH_* variables as the server), recorded as
 * separate runs and exported to --out/<set>-search/. --write-models-readme regenerates the metric
 * tables of models/README.md from these runs, between the markers of --readme-section (test:
 * "metrics", the demo catalogue's tables, or "metrics-full-catalogue" for the full test split;
 * validation: "metrics-validation").
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../config/config';
import { DomainError, InvalidInputError } from '../domain/errors';
import { ModelRegistry } from '../encoders/model-registry';
import { EncoderVariants } from '../evaluation/encoder-variants';
import type { EvaluationRun } from '../evaluation/evaluation-run';
import { openGallery } from '../evaluation/evaluation-gallery';
import { FileEvaluationRunStore } from '../evaluation/evaluation-run.store';
import { EvaluationService } from '../evaluation/evaluation.service';
import { exportFiles, exportRun } from '../evaluation/exports';
import { DEFAULT_SECTION, metricTables, replaceMetricsSection, SECTION_NAME, SET_METRICS } from '../evaluation/models-readme';
import { renderReport } from '../evaluation/report.html';
import { searchServiceVariants } from '../evaluation/evaluation.factory';
import { OnnxAttributePredictor } from '../attributes/attribute-predictor';
import { CategoryPredictor } from '../attributes/category-prediction';
import { OnnxPictureClassifier } from '../attributes/picture-category';
import { CombinedVariants } from '../evaluation/search-service-variants';
import { assertEvaluationSplit, EVALUATION_SPLITS, SEED_SETS, SeedJudgementSets, type EvaluationSplit } from '../evaluation/seed-judgement-sets';
import { OnnxSessionFactory } from '../encoders/onnx/onnx-session.factory';
import { OnnxOutfitScorer } from '../outfits/onnx-outfit.scorer';
import { ImageLoader } from '../ingestion/image-loader';
import { createSearchService, openVocabulary } from '../main';
import { MeanFusionEncoder } from '../search/mean.fusion';

/** The sets of `--set all`, in the order they run. */
const ALL_SETS: readonly string[] = SEED_SETS;

/** What follows the split unless named: the catalogue, the report folder and the README section. */
export const SPLIT_DEFAULTS: Record<EvaluationSplit, { catalogDir: string; outDir: string; readmeSection: string }> = {
  test: { catalogDir: 'seed/demo', outDir: 'data/eval/report', readmeSection: DEFAULT_SECTION },
  validation: { catalogDir: 'data/validation', outDir: 'data/eval/report-validation', readmeSection: 'metrics-validation' },
};

export interface EvalArgs {
  sets: string[];
  /** The split whose sets are evaluated and whose products form the gallery. */
  split: EvaluationSplit;
  variants: string[];
  catalogDir: string;
  outDir: string;
  modelsDir: string;
  dataDir: string;
  runsDir: string;
  limit: number | null;
  seed: number;
  bootstrap: number;
  permutations: number;
  writeModelsReadme: boolean;
  /** README whose metric section --write-models-readme regenerates; default <models>/README.md. */
  readme: string | null;
  /** Name of the README section (its markers) that --write-models-readme regenerates. */
  readmeSection: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run eval -- --set <${[...ALL_SETS, 'all'].join('|')}> [--split ${EVALUATION_SPLITS.join('|')}] [--variant NAME ...] [--catalog DIR] [--out DIR] [--models DIR] [--data DIR] [--runs DIR] [--limit N] [--seed N] [--bootstrap N] [--permutations N] [--write-models-readme [--readme FILE] [--readme-section NAME]]`;

export function parseEvalArgs(argv: string[]): EvalArgs {
  // Options the split provides defaults for, while not named.
  const named: { catalogDir?: string; outDir?: string; readmeSection?: string } = {};
  const args: EvalArgs = {
    sets: [],
    split: 'test',
    variants: [],
    catalogDir: '',
    outDir: '',
    modelsDir: 'models',
    dataDir: 'data/eval',
    runsDir: 'data/store/evaluations',
    limit: null,
    seed: 42,
    bootstrap: 1000,
    permutations: 10000,
    writeModelsReadme: false,
    readme: null,
    readmeSection: '',
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} needs an integer >= ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--set':
        args.sets.push(...value().split(','));
        break;
      case '--variant':
        args.variants.push(...value().split(','));
        break;
      case '--split': {
        const split = value();
        try {
          args.split = assertEvaluationSplit(split);
        } catch (e) {
          if (e instanceof InvalidInputError) throw new UsageError(`--split: ${e.message}`);
          throw e;
        }
        break;
      }
      case '--catalog':
        named.catalogDir = value();
        break;
      case '--out':
        named.outDir = value();
        break;
      case '--models':
        args.modelsDir = value();
        break;
      case '--data':
        args.dataDir = value();
        break;
      case '--runs':
        args.runsDir = value();
        break;
      case '--limit':
        args.limit = int(flag, argv[++i], 1);
        break;
      case '--seed':
        args.seed = int(flag, argv[++i], 0);
        break;
      case '--bootstrap':
        args.bootstrap = int(flag, argv[++i], 1);
        break;
      case '--permutations':
        args.permutations = int(flag, argv[++i], 1);
        break;
      case '--write-models-readme':
        args.writeModelsReadme = true;
        break;
      case '--readme':
        args.readme = value();
        break;
      case '--readme-section':
        named.readmeSection = value();
        if (!SECTION_NAME.test(named.readmeSection)) throw new UsageError(`--readme-section needs lower-case letters, digits and hyphens, starting with a letter; got "${named.readmeSection}"`);
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  if (args.sets.length === 0) throw new UsageError(`name a set with --set\n${USAGE}`);
  if (args.sets.includes('all')) args.sets = [...ALL_SETS];
  const unknown = args.sets.filter((s) => !ALL_SETS.includes(s));
  if (unknown.length) throw new UsageError(`unknown set "${unknown[0]}": choose ${ALL_SETS.join(', ')} or all`);
  if (args.variants.length && args.sets.length > 1) throw new UsageError('--variant applies to one set: name a single --set');
  if (named.readmeSection !== undefined && !args.writeModelsReadme) throw new UsageError('--readme-section applies with --write-models-readme: add it or drop --readme-section');
  args.sets = [...new Set(args.sets)];
  return { ...args, ...SPLIT_DEFAULTS[args.split], ...named };
}

/** A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise). */
export function progressBar(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): (label: string, done: number, total: number) => void {
  let lastLine = '';
  let lastDecile = -1;
  return (label, done, total) => {
    const frac = total === 0 ? 1 : done / total;
    const width = 30;
    const filled = Math.round(frac * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${label} ${done}/${total}`;
    if (stream.isTTY) {
      if (line !== lastLine) stream.write(`\r${line}${done >= total ? '\n' : ''}`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile || (done >= total && lastLine !== line)) stream.write(`${line}\n`);
      lastDecile = decile;
    }
    lastLine = line;
  };
}

export interface EvalOutput {
  /** Progress messages and the progress bar (stderr). */
  log: NodeJS.WritableStream & { isTTY?: boolean };
  /** Result summaries (stdout). */
  out: NodeJS.WritableStream;
}

const STANDARD_OUTPUT: EvalOutput = { log: process.stderr, out: process.stdout };

export interface EvalResult {
  runs: EvaluationRun[];
  /** Runs of the search-service variants (text, composed and real-shot sets), when they ran. */
  serviceRuns: EvaluationRun[];
  gallery: { dir: string; products: number; reused: boolean };
}

export async function runEvalCommand(args: EvalArgs, argv: string[], io: EvalOutput = STANDARD_OUTPUT): Promise<EvalResult> {
  const logger = {
    info: (message: string, fields?: Record<string, unknown>) => io.log.write(`${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
    warn: (message: string, fields?: Record<string, unknown>) => io.log.write(`warning: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
  };
  const config = loadConfig();
  const registry = await ModelRegistry.open(args.modelsDir);
  const indexKey = await galleryIndexKey(registry);
  const bar = progressBar(io.log);
  const gallery = await openGallery({
    catalogDir: args.catalogDir,
    split: args.split,
    dataDir: args.dataDir,
    dim: registry.index.dim,
    indexKey,
    textEncoder: registry.galleryTextEncoder(),
    imageEncoder: registry.imageEncoder(),
    logger: { info: () => undefined, warn: logger.warn },
    onProgress: (done, total) => bar('gallery', done, total),
  });
  logger.info(gallery.reused ? 'evaluation gallery reused' : 'evaluation gallery ingested', { split: args.split, products: gallery.products, dir: gallery.dir });
  try {
    const outfitScorer = await OnnxOutfitScorer.open(path.join(args.modelsDir, 'fashion-outfit'), new OnnxSessionFactory()).catch((e: Error) => {
      logger.warn(`outfit compatibility model not loaded: ${e.message}`);
      return null;
    });
    const variants = new EncoderVariants(registry, gallery.store, outfitScorer);
    // The query understanding the server runs: the lexicon of the evaluated models, the colour dictionary.
    const vocabulary = await openVocabulary(gallery.store, { ...config, modelsDir: args.modelsDir });
    await vocabulary.refresh();
    // Category prediction of image queries, when the attributes model is there (src/attributes/).
    const attributes = await OnnxAttributePredictor.open(path.join(args.modelsDir, 'fashion-attributes'), new OnnxSessionFactory()).catch((e: Error) => {
      logger.warn(`attributes model not loaded (no category prediction): ${e.message}`);
      return null;
    });
    // The picture category model, mixed with the attributes model's category head, as the server does.
    const loaded = attributes?.spec.categoryFusion
      ? await OnnxPictureClassifier.open(args.modelsDir, new OnnxSessionFactory(), { maxBytes: config.maxImageBytes, maxPixels: config.maxImagePixels }).catch((e: Error) => {
          logger.warn(`picture category model not loaded: ${e.message}`);
          return null;
        })
      : null;
    const pictures = loaded?.spec.fusion ? loaded : null;
    const categories = attributes?.spec.categoryFusion ? new CategoryPredictor({ predictor: attributes, store: gallery.store, picture: pictures?.spec.fusion }) : undefined;
    const searchParts = {
      categories,
      pictures: pictures ?? undefined,
      store: gallery.store,
      textEncoder: registry.textEncoder(),
      imageEncoder: registry.imageEncoder(),
      fusionEncoder: registry.fusionEncoder() ?? new MeanFusionEncoder(registry.index.dim),
      images: new ImageLoader({ maxBytes: config.maxImageBytes, fetchTimeoutMs: config.imageFetchTimeoutMs, allowedDir: null, allowPrivateNetworks: false }),
      vocabulary,
    };
    const provider = new CombinedVariants(variants, searchServiceVariants(registry, (overrides) => createSearchService(searchParts, config.search, overrides), { categoryPrediction: categories !== undefined }));
    const sets = new SeedJudgementSets({ catalogDir: args.catalogDir, split: args.split, exactJudge: variants.exactJudge(), indexQueries: args.limit ?? 500 });
    const service = new EvaluationService(new FileEvaluationRunStore(args.runsDir), sets, provider, {
      defaultMetrics: SET_METRICS,
      catalogSource: args.catalogDir,
    });
    const runs: EvaluationRun[] = [];
    const serviceRuns: EvaluationRun[] = [];
    await fs.mkdir(args.outDir, { recursive: true });
    const evaluate = async (set: string, names: string[] | null, exportDir: string): Promise<EvaluationRun> => {
      const run = await service.evaluate(
        {
          set,
          variants: names,
          metrics: SET_METRICS[set],
          depth: set === 'index' ? 10 : undefined,
          seed: args.seed,
          bootstrapSamples: args.bootstrap,
          permutationSamples: args.permutations,
          limitQueries: args.limit,
        },
        (e) => bar(`${set} ${e.variant}`, e.done, e.total),
      );
      const dir = path.join(args.outDir, exportDir);
      await fs.mkdir(dir, { recursive: true });
      for (const f of exportFiles(run)) await fs.writeFile(path.join(dir, f.file), exportRun(run, f.format, f.variant));
      io.out.write(summary(run));
      return run;
    };
    for (const set of args.sets) {
      runs.push(await evaluate(set, args.variants.length ? args.variants : null, set));
      const serviceNames = provider.serviceVariantNames(set);
      if (!args.variants.length && serviceNames.length) serviceRuns.push(await evaluate(set, serviceNames, `${set}-search`));
    }
    const command = `npm run eval -- ${argv.join(' ')}`.trim();
    const report = path.join(args.outDir, 'report.html');
    await fs.writeFile(report, renderReport([...runs, ...serviceRuns], { title: 'Evaluation report', notes: [`Command: ${command}`, `Catalogue: ${path.resolve(args.catalogDir)}, ${args.split} split`] }));
    logger.info(`report written to ${report}; exports in ${path.resolve(args.outDir)}/<set>/`);
    if (args.writeModelsReadme) {
      const readme = args.readme ?? path.join(args.modelsDir, 'README.md');
      const current = await fs.readFile(readme, 'utf8').catch(() => '# Models\n');
      await fs.writeFile(readme, replaceMetricsSection(current, metricTables(runs, command, serviceRuns), args.readmeSection));
      logger.info(`metric tables written to ${readme}`);
    }
    return { runs, serviceRuns, gallery: { dir: gallery.dir, products: gallery.products, reused: gallery.reused } };
  } finally {
    await gallery.close();
  }
}

/**
 * Identifies the gallery's vectors: the index and the models that embed products (image tower, gallery
 * text tower), plus a hash of their ONNX files, so that retrained models with an unchanged version
 * still re-encode the gallery, and a new query tower alone does not.
 */
export async function galleryIndexKey(registry: ModelRegistry): Promise<string> {
  const models = registry.galleryModels();
  const hash = createHash('sha256');
  for (const m of models) hash.update(await fs.readFile(path.join(registry.modelsDir, registry.entry(m.name).file)));
  return [registry.compatibilityKey, ...models.map((m) => `${m.role}=${m.name}@${m.version}`), `weights=${hash.digest('hex').slice(0, 16)}`].join(' ');
}

function summary(run: EvaluationRun): string {
  const lines = [`\n${run.set.name}: ${run.set.scoredQueries} queries (run ${run.id})`];
  for (const v of run.variants) {
    lines.push(`  ${v.name.padEnd(24)} ${v.aggregates.map((a) => `${a.metric}=${a.mean.toFixed(4)} [${a.lower.toFixed(4)}, ${a.upper.toFixed(4)}]`).join('  ')}`);
  }
  for (const c of run.comparisons) {
    lines.push(`  ${c.variant} vs ${c.baseline} ${c.metric}: ${c.meanDifference >= 0 ? '+' : ''}${c.meanDifference.toFixed(4)} (randomisation p=${c.permutationP.toFixed(4)}, t-test p=${c.tTestP.toFixed(4)})`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    await runEvalCommand(parseEvalArgs(argv), argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof DomainError || (e as Error).name === 'ManifestError') {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    }
    throw e;
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`eval failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
