/**
 * npm run tune -- [--catalog DIR] [--set text|composed-meaning|all] [--models DIR] [--data DIR]
 *                 [--out DIR] [--limit N] [--write-models-readme]
 *
 * Chooses the search defaults on the validation split. Every configuration of the grid (the
 * configured defaults, then one setting changed at a time: the text sources, how sure an understood
 * attribute must be to restrict retrieval, to filter or to re-rank, attribute re-ranking, the
 * query-understanding thresholds) runs
 * the validation split's judgement sets through the API's search service, and the command prints and
 * writes (--out: tuning.md, tuning.json) a table of the ranking metrics per configuration and
 * query kind, best objective first (--write-models-readme also puts it between the
 * `<!-- search-tuning:start -->` markers of models/README.md). The objective is the mean P@10 over the text set's colour+category
 * segment (in-distribution) and its held-out kinds (seed/README.md): the queries shoppers type in the
 * catalogue's words and in words nobody here chose weigh alike; when the composed-meaning set ran
 * too (--set all), that mean and the composed P@10 by meaning weigh alike.
 *
 * Only the validation split can be tuned on: the catalogue must hold validation products
 * (`npm run seed:validation` writes data/validation), its test split is never read, and a catalogue
 * without validation products is refused. The defaults in src/config/config.ts cite this command.
 *
 * Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../config/config';
import { DomainError, InvalidInputError } from '../domain/errors';
import { ModelRegistry } from '../encoders/model-registry';
import { openGallery } from '../evaluation/evaluation-gallery';
import type { EvaluationRun } from '../evaluation/evaluation-run';
import { runEvaluation } from '../evaluation/evaluation-runner';
import { searchServiceVariants } from '../evaluation/evaluation.factory';
import { replaceMetricsSection } from '../evaluation/models-readme';
import { COLOUR_CATEGORY_SEGMENTS, HELD_OUT_TEXT_KINDS, SeedJudgementSets } from '../evaluation/seed-judgement-sets';
import { ImageLoader } from '../ingestion/image-loader';
import { createSearchService, openVocabulary, understandingPolicy } from '../main';
import { DEFAULT_UNDERSTANDING_OPTIONS, type UnderstandingOptions } from '../query/query-understanding';
import { AttributeReranker } from '../search/attribute.reranker';
import { MeanFusionEncoder } from '../search/mean.fusion';
import type { SearchOptions } from '../search/search.service';
import type { UnderstandingPolicy } from '../search/understood-conditions';
import { galleryIndexKey, progressBar } from './eval';

export const TUNED_SETS = ['text', 'composed-meaning'] as const;

export interface TuneArgs {
  catalogDir: string;
  sets: string[];
  modelsDir: string;
  dataDir: string;
  outDir: string;
  limit: number | null;
  writeModelsReadme: boolean;
}

export class UsageError extends Error {}

const USAGE = 'usage: npm run tune -- [--catalog DIR] [--set text|composed-meaning|all] [--models DIR] [--data DIR] [--out DIR] [--limit N] [--write-models-readme]';

/** The models/README.md section the table goes to. */
export const TUNING_SECTION = 'search-tuning';

export function parseTuneArgs(argv: string[]): TuneArgs {
  const args: TuneArgs = { catalogDir: 'data/validation', sets: [], modelsDir: 'models', dataDir: 'data/eval', outDir: 'data/tune', limit: null, writeModelsReadme: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--catalog':
        args.catalogDir = value();
        break;
      case '--set':
        args.sets.push(...value().split(','));
        break;
      case '--models':
        args.modelsDir = value();
        break;
      case '--data':
        args.dataDir = value();
        break;
      case '--out':
        args.outDir = value();
        break;
      case '--limit': {
        const v = value();
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--limit needs an integer >= 1, got ${v}`);
        args.limit = n;
        break;
      }
      case '--write-models-readme':
        args.writeModelsReadme = true;
        break;
      case '--help':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  if (args.sets.length === 0 || args.sets.includes('all')) args.sets = [...TUNED_SETS];
  const unknown = args.sets.find((s) => !(TUNED_SETS as readonly string[]).includes(s));
  if (unknown) throw new UsageError(`unknown set "${unknown}": choose ${TUNED_SETS.join(', ')} or all`);
  return args;
}

/** One configuration of the search service to compare. */
export interface TuningConfiguration {
  name: string;
  description: string;
  overrides: Partial<SearchOptions>;
}

/**
 * The configurations compared: the configured defaults, then one setting changed at a time.
 * `base` holds the defaults' understanding policy and re-ranking weight.
 */
export function tuningGrid(base: { policy: UnderstandingPolicy; rerankWeight: number; understanding?: Partial<UnderstandingOptions> }): TuningConfiguration[] {
  const policy = (changes: Partial<UnderstandingPolicy>): Partial<SearchOptions> => ({ understanding: { ...base.policy, ...changes } });
  const understanding = (changes: Partial<UnderstandingOptions>): Partial<SearchOptions> => ({ understandingOptions: { ...base.understanding, ...changes } });
  const d = DEFAULT_UNDERSTANDING_OPTIONS;
  return [
    { name: 'defaults', description: 'the configured defaults', overrides: {} },
    { name: 'no-understanding', description: 'no query understanding: the text as typed', overrides: { understand: false } },
    { name: 'sources-image-lexical', description: 'text sources: image space and BM25 (no text space)', overrides: { textSources: ['image', 'lexical'] } },
    { name: 'sources-image-text', description: 'text sources: image and text spaces (no BM25)', overrides: { textSources: ['image', 'text'] } },
    { name: 'restrict-0.15', description: 'attributes at least 0.15 sure restrict retrieval', overrides: policy({ restrictConfidence: 0.15 }) },
    { name: 'restrict-0.5', description: 'attributes at least 0.5 sure restrict retrieval', overrides: policy({ restrictConfidence: 0.5 }) },
    { name: 'restrict-off', description: 'no attribute source', overrides: policy({ restrictConfidence: Infinity }) },
    { name: 'filter-0.9', description: 'attributes at least 0.9 sure filter', overrides: policy({ filterConfidence: 0.9 }) },
    { name: 'filter-0.7', description: 'attributes at least 0.7 sure filter', overrides: policy({ filterConfidence: 0.7 }) },
    { name: 'rank-0.5', description: 'attributes at least 0.5 sure re-rank', overrides: policy({ rankConfidence: 0.5 }) },
    { name: 'rank-0.1', description: 'attributes at least 0.1 sure re-rank', overrides: policy({ rankConfidence: 0.1 }) },
    { name: 'rerank-off', description: 'no attribute re-ranking', overrides: { reranker: null } },
    { name: 'rerank-half', description: `attribute re-ranking at half the weight (${base.rerankWeight / 2})`, overrides: { reranker: new AttributeReranker({ weight: base.rerankWeight / 2 }) } },
    { name: 'rerank-double', description: `attribute re-ranking at twice the weight (${base.rerankWeight * 2})`, overrides: { reranker: new AttributeReranker({ weight: base.rerankWeight * 2 }) } },
    { name: 'min-confidence-0.2', description: 'recognitions kept from confidence 0.2', overrides: understanding({ minConfidence: 0.2 }) },
    { name: 'min-confidence-0.45', description: 'recognitions kept from confidence 0.45', overrides: understanding({ minConfidence: 0.45 }) },
    { name: 'vector-margin-0.025', description: `word-vector confidence full at margin 0.025 (default ${d.vectorFullMargin})`, overrides: understanding({ vectorFullMargin: 0.025 }) },
    { name: 'vector-margin-0.1', description: `word-vector confidence full at margin 0.1 (default ${d.vectorFullMargin})`, overrides: understanding({ vectorFullMargin: 0.1 }) },
    { name: 'vector-similarity-0.4', description: `word-vector confidence from similarity 0.4 (default ${d.vectorMinSimilarity})`, overrides: understanding({ vectorMinSimilarity: 0.4 }) },
    { name: 'vector-similarity-0.55', description: `word-vector confidence from similarity 0.55 (default ${d.vectorMinSimilarity})`, overrides: understanding({ vectorMinSimilarity: 0.55 }) },
    { name: 'vectors-all', description: 'word vectors name categories, patterns and materials (default: categories)', overrides: understanding({ vectorAttributes: ['category', 'pattern', 'material'] }) },
    { name: 'colour-margin-1', description: `colour-name confidence scale 1 (default ${d.colourMarginScale})`, overrides: understanding({ colourMarginScale: 1 }) },
    { name: 'colour-margin-4', description: `colour-name confidence scale 4 (default ${d.colourMarginScale})`, overrides: understanding({ colourMarginScale: 4 }) },
    ...[3, 5, 8].map((deltaE) => ({
      name: `colour-pair-${deltaE}`,
      description: `a colour name stands for its two nearest catalogue colours when they are within CIEDE2000 ${deltaE} (default ${d.colourPairDeltaE || 'never'})`,
      overrides: understanding({ colourPairDeltaE: deltaE }),
    })),
  ];
}

/** The text segments whose mean P@10 is the objective, with their column labels. */
export const OBJECTIVE_SEGMENTS: readonly { segment: string; label: string }[] = [
  { segment: COLOUR_CATEGORY_SEGMENTS.all, label: 'colour+category (in-distribution)' },
  ...HELD_OUT_TEXT_KINDS.map((k) => ({ segment: k.segment, label: k.label })),
];

export interface TuningRow {
  configuration: string;
  description: string;
  objective: number | null;
  /** segment or metric -> mean */
  values: Record<string, number>;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One row per configuration from the text run (objective, P@10 per segment, nDCG@10) and the composed run (P@10 by meaning). */
export function tuningRows(grid: TuningConfiguration[], textRun: EvaluationRun | null, composedRun: EvaluationRun | null): TuningRow[] {
  return grid
    .map((c) => {
      const values: Record<string, number> = {};
      const text = textRun?.variants.find((v) => v.name === c.name);
      if (text) {
        values['ndcg@10'] = text.aggregates.find((a) => a.metric === 'ndcg@10')?.mean ?? NaN;
        for (const s of OBJECTIVE_SEGMENTS) {
          const seg = text.segments.find((x) => x.segment === s.segment);
          const p = seg?.aggregates.find((a) => a.metric === 'p@10');
          if (p && seg!.queries > 0) values[s.label] = p.mean;
        }
      }
      const composed = composedRun?.variants.find((v) => v.name === c.name);
      if (composed) values['composed P@10 by meaning'] = composed.aggregates.find((a) => a.metric === 'p@10')?.mean ?? NaN;
      const objectiveParts = OBJECTIVE_SEGMENTS.map((s) => values[s.label]).filter((x): x is number => x !== undefined);
      const textObjective = objectiveParts.length ? mean(objectiveParts) : null;
      const composedObjective = composed ? values['composed P@10 by meaning'] : null;
      // text and composed searches count alike when both sets ran
      const parts = [textObjective, composedObjective].filter((x): x is number => x !== null && !Number.isNaN(x));
      return { configuration: c.name, description: c.description, objective: parts.length ? mean(parts) : null, values };
    })
    .sort((a, b) => (b.objective ?? -1) - (a.objective ?? -1));
}

export function tuningTable(rows: TuningRow[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const f = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3));
  return [
    `| Configuration | Objective | ${columns.join(' | ')} |`,
    `| --- | --- | ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.configuration} | ${f(r.objective)} | ${columns.map((c) => f(r.values[c])).join(' | ')} |`),
  ].join('\n');
}

/** Refuses a catalogue without validation products: tuning never reads another split. */
export async function requireValidationCatalogue(catalogDir: string): Promise<void> {
  const manifest = await fs.readFile(path.join(catalogDir, 'manifest.json'), 'utf8').catch(() => null);
  const products = manifest ? ((JSON.parse(manifest) as { products?: Record<string, number> }).products ?? {}) : {};
  if (!(products.validation > 0)) {
    throw new InvalidInputError(
      `${catalogDir} holds no validation products (manifest.json products: ${JSON.stringify(products)}); tuning reads the validation split only. Build one with npm run seed:validation (data/validation).`,
    );
  }
}

export async function runTune(args: TuneArgs, log: NodeJS.WritableStream = process.stderr): Promise<TuningRow[]> {
  await requireValidationCatalogue(args.catalogDir);
  const config = loadConfig();
  const registry = await ModelRegistry.open(args.modelsDir);
  const bar = progressBar(log);
  const gallery = await openGallery({
    catalogDir: args.catalogDir,
    split: 'validation',
    dataDir: args.dataDir,
    dim: registry.index.dim,
    indexKey: await galleryIndexKey(registry),
    textEncoder: registry.textEncoder(),
    imageEncoder: registry.imageEncoder(),
    logger: { info: () => undefined, warn: (m) => log.write(`warning: ${m}\n`) },
    onProgress: (done, total) => bar('gallery', done, total),
  });
  try {
    const vocabulary = await openVocabulary(gallery.store, { ...config, modelsDir: args.modelsDir });
    await vocabulary.refresh();
    const parts = {
      store: gallery.store,
      textEncoder: registry.textEncoder(),
      imageEncoder: registry.imageEncoder(),
      fusionEncoder: registry.fusionEncoder() ?? new MeanFusionEncoder(registry.index.dim),
      images: new ImageLoader({ maxBytes: config.maxImageBytes, fetchTimeoutMs: config.imageFetchTimeoutMs, allowedDir: null, allowPrivateNetworks: false }),
      vocabulary,
    };
    const service = searchServiceVariants(registry, (overrides) => createSearchService(parts, config.search, overrides));
    const grid = tuningGrid({ policy: understandingPolicy(config.search), rerankWeight: config.search.rerankWeight });
    const sets = new SeedJudgementSets({ catalogDir: args.catalogDir, split: 'validation' });
    const runs: Record<string, EvaluationRun | null> = { text: null, 'composed-meaning': null };
    for (const setName of args.sets) {
      const loaded = await sets.load(setName);
      const set = args.limit ? { ...loaded, queries: loaded.queries.slice(0, args.limit) } : loaded;
      const variants = grid.map((c) => service.configured(setName, c.name, c.description, c.overrides));
      runs[setName] = await runEvaluation(set, variants, {
        id: `tune-${setName}`,
        createdAt: new Date().toISOString(),
        metrics: setName === 'text' ? ['p@10', 'ndcg@10'] : ['p@10'],
        bootstrapSamples: 200,
        permutationSamples: 200,
        catalogSource: args.catalogDir,
        onProgress: (e) => bar(`${setName} ${e.variant}`, e.done, e.total),
      });
    }
    const rows = tuningRows(grid, runs.text, runs['composed-meaning']);
    await fs.mkdir(args.outDir, { recursive: true });
    const table = tuningTable(rows);
    const command = `npm run tune -- ${process.argv.slice(2).join(' ')}`.trim();
    const note = `Generated by \`${command}\` on the validation split (${path.basename(path.resolve(args.catalogDir))}, ${gallery.products} products): P@10 per query segment, best objective first; the objective is the mean P@10 over the text set's colour+category segment and held-out kinds, averaged with the composed P@10 by meaning when that set ran. Do not edit by hand.`;
    await fs.writeFile(path.join(args.outDir, 'tuning.md'), `${note}\n\n${table}\n`);
    if (args.writeModelsReadme) {
      const readme = path.join(args.modelsDir, 'README.md');
      const current = await fs.readFile(readme, 'utf8').catch(() => '# Models\n');
      await fs.writeFile(readme, replaceMetricsSection(current, `${note}\n\n${table}`, TUNING_SECTION));
    }
    await fs.writeFile(path.join(args.outDir, 'tuning.json'), `${JSON.stringify({ command, catalog: path.resolve(args.catalogDir), grid: grid.map(({ name, description }) => ({ name, description })), rows }, null, 2)}\n`);
    return rows;
  } finally {
    await gallery.close();
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  let args: TuneArgs;
  try {
    args = parseTuneArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  runTune(args).then(
    (rows) => {
      process.stdout.write(`${tuningTable(rows)}\n`);
      process.exit(0);
    },
    (e: Error) => {
      const known = e instanceof UsageError || e instanceof ConfigError || e instanceof DomainError;
      process.stderr.write(`tune failed: ${known ? e.message : e.stack}\n`);
      process.exit(known ? 2 : 1);
    },
  );
}
