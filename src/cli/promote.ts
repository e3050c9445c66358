/**
 * `npm run promote -- --candidate DIR [--models models] [--events DATA_DIR] [--catalog DIR]
 *                     [--data data/eval] [--runs DIR] [--force] [--dry-run]`
 *
 * Decides whether a candidate query model (written by `python -m training.train --events ...`)
 * replaces the current one:
 * 1. the candidate must keep the gallery models (same image and gallery text towers, same weights):
 *    a query-side candidate is compatible with the index and re-embeds nothing;
 * 2. its ONNX export must reproduce the golden embeddings training wrote (parity);
 * 3. both query towers rank, for each query of the held-out recorded sessions (the latest part of
 *    the log by time, which training never read), the products the log judged for it
 *    (held-out-judgements.json: position-debiased clicks and query chains; see
 *    src/learning/held-out-judgements.ts), by the cosine of the query vector and the products'
 *    stored image vectors; the run (MRR, MAP, NDCG@10, P@10, intervals and paired tests against the
 *    current model) is stored where the server lists evaluation runs (<DATA_DIR>/evaluations) and
 *    rendered as <candidate>/promotion-report.html;
 * 4. it is refused when it is significantly worse on MRR or NDCG@10 (src/learning/promotion.ts),
 *    unless --force; otherwise its files are copied into --models, the manifest last, and a running
 *    server takes them with the reloadModels mutation or SIGHUP.
 * Exit code 0 when promoted (or evaluated with --dry-run), 3 when refused.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TextEncoder } from '../encoders/encoder';
import { ModelRegistry } from '../encoders/model-registry';
import { openGallery } from '../evaluation/evaluation-gallery';
import type { EvaluationRun, Variant } from '../evaluation/evaluation-run';
import { FileEvaluationRunStore } from '../evaluation/evaluation-run.store';
import { runEvaluation } from '../evaluation/evaluation-runner';
import { renderReport } from '../evaluation/report.html';
import { dot } from '../domain/embedding';
import { readHeldOutJudgements } from '../learning/held-out-judgements';
import { decidePromotion, type PromotionDecision } from '../learning/promotion';
import type { VectorStore } from '../stores/vector-store';
import { galleryIndexKey } from './eval';

/** Metrics of the promotion run (recall at 50 says nothing on lists of about 20 judged products). */
const PROMOTION_METRICS = ['mrr', 'map', 'ndcg@10', 'p@10', 'r@10'];

const USAGE =
  'usage: npm run promote -- --candidate DIR [--models DIR] [--events DATA_DIR] [--catalog DIR] [--data DIR] [--runs DIR] [--force] [--dry-run]';

export interface PromoteArgs {
  candidateDir: string;
  modelsDir: string;
  eventsDir: string | null;
  catalogDir: string | null;
  dataDir: string;
  runsDir: string | null;
  force: boolean;
  dryRun: boolean;
}

export function parsePromoteArgs(argv: string[]): PromoteArgs {
  const out: PromoteArgs = { candidateDir: '', modelsDir: 'models', eventsDir: null, catalogDir: null, dataDir: 'data/eval', runsDir: null, force: false, dryRun: false };
  const flags: Record<string, keyof PromoteArgs> = {
    '--candidate': 'candidateDir',
    '--models': 'modelsDir',
    '--events': 'eventsDir',
    '--catalog': 'catalogDir',
    '--data': 'dataDir',
    '--runs': 'runsDir',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') out.force = true;
    else if (a === '--dry-run') out.dryRun = true;
    else if (a in flags) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`);
      (out as unknown as Record<string, string>)[flags[a]] = v;
    } else throw new Error(`unexpected argument "${a}"\n${USAGE}`);
  }
  if (!out.candidateDir) throw new Error(`--candidate is required\n${USAGE}`);
  return out;
}

interface TrainingReport {
  events: { source: string };
  catalog: string;
  from: string;
}

export interface PromoteResult {
  run: EvaluationRun;
  decision: PromotionDecision;
  installed: boolean;
  candidate: string;
  current: string;
  /**
   * Each baseline text tower of the current manifest (e.g. the GRU) against the current and the
   * candidate tower, on the same held-out judgements; reported, never deciding.
   */
  baselineRuns: EvaluationRun[];
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Refuses a candidate whose gallery models differ from the current ones (it would need re-embedding). */
async function checkSameGallery(current: ModelRegistry, candidate: ModelRegistry): Promise<void> {
  const a = current.galleryModels();
  const b = candidate.galleryModels();
  for (const role of ['image', 'text'] as const) {
    const x = a.find((m) => m.role === role)!;
    const y = b.find((m) => m.role === role)!;
    const same =
      x.name === y.name &&
      x.version === y.version &&
      (await sha256(path.join(current.modelsDir, current.entry(x.name).file))) === (await sha256(path.join(candidate.modelsDir, candidate.entry(y.name).file)));
    if (!same) {
      throw new Error(
        `the candidate's gallery ${role} model ${y.name}@${y.version} differs from the current ${x.name}@${x.version}: ` +
          'products would need re-embedding, which a query-side promotion does not do (re-ingest the catalogue with the new models instead)',
      );
    }
  }
  if (candidate.compatibilityKey !== current.compatibilityKey) {
    throw new Error(`the candidate's index ${candidate.compatibilityKey} differs from the current ${current.compatibilityKey}`);
  }
}

/** The candidate's ONNX query tower against the golden embeddings PyTorch wrote at export. */
async function checkParity(candidate: ModelRegistry, tolerance = 1e-4): Promise<number> {
  const name = candidate.manifest.defaults.text;
  const golden = JSON.parse(await fs.readFile(path.join(candidate.modelsDir, 'golden', 'golden.json'), 'utf8')) as {
    text: { model: string; text: string; embedding: number[] }[];
  };
  const rows = golden.text.filter((r) => r.model === name);
  if (rows.length === 0) throw new Error(`${candidate.modelsDir}/golden/golden.json holds no golden embedding of ${name}`);
  const vectors = await candidate.textEncoder(name).encode(rows.map((r) => r.text));
  rows.forEach((r, i) => {
    const err = Math.max(...r.embedding.map((v, j) => Math.abs(v - vectors[i][j])));
    if (err > tolerance) throw new Error(`the ONNX export of ${name} is ${err.toExponential(2)} away from PyTorch on "${r.text}"`);
  });
  return rows.length;
}

/** Ranks a query's judged products by the cosine of the tower's query vector and their image vectors. */
function towerVariant(name: string, encoder: TextEncoder & { model: { name: string; version: string } }, store: VectorStore, candidates: Map<string, string[]>): Variant {
  const vectors = new Map<string, Float32Array | null>();
  const cache = new Map<string, Float32Array>();
  return {
    name,
    description: `${encoder.model.name}@${encoder.model.version} query tower, exact search over the image space`,
    models: [encoder.model],
    prepare: async (queries) => {
      const texts = [...new Set(queries.map((q) => q.text as string))].filter((t) => !cache.has(t));
      for (let i = 0; i < texts.length; i += 64) {
        const part = texts.slice(i, i + 64);
        (await encoder.encode(part)).forEach((v, j) => cache.set(part[j], v));
      }
    },
    rank: async (query, depth) => {
      const vector = cache.get(query.text as string) ?? (await encoder.encode([query.text as string]))[0];
      const scored = [];
      for (const id of candidates.get(query.id) ?? []) {
        if (!vectors.has(id)) vectors.set(id, await store.getVector(id, 'image'));
        const v = vectors.get(id);
        if (v) scored.push({ id, score: dot(vector, v) });
      }
      return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, depth);
    },
  };
}

/** Copies the candidate's model files into the models folder, the manifest last (atomically). */
async function install(candidateDir: string, modelsDir: string, registry: ModelRegistry): Promise<string[]> {
  const copied: string[] = [];
  const files = new Set<string>(['golden/golden.json']);
  for (const m of registry.manifest.models) {
    files.add(m.file);
    if (m.role === 'text') for (const f of m.tokenizer.files) files.add(path.join(m.tokenizer.dir, f));
  }
  for (const rel of files) {
    const from = path.join(candidateDir, rel);
    const to = path.join(modelsDir, rel);
    const same = await Promise.all([sha256(from), sha256(to).catch(() => null)]).then(([a, b]) => a === b);
    if (same) continue;
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.copyFile(from, `${to}.tmp`);
    await fs.rename(`${to}.tmp`, to);
    copied.push(rel);
  }
  const manifest = path.join(modelsDir, 'manifest.json');
  await fs.copyFile(path.join(candidateDir, 'manifest.json'), `${manifest}.tmp`);
  await fs.rename(`${manifest}.tmp`, manifest);
  copied.push('manifest.json');
  return copied;
}

export async function promote(args: PromoteArgs, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<PromoteResult> {
  const report = JSON.parse(await fs.readFile(path.join(args.candidateDir, 'training-report.json'), 'utf8').catch(() => {
    throw new Error(`${args.candidateDir}/training-report.json not found: --candidate must be a folder written by python -m training.train --events`);
  })) as TrainingReport;
  const judgements = await readHeldOutJudgements(path.join(args.candidateDir, 'held-out-judgements.json'));
  const heldOutFrom = judgements.from;
  if (judgements.set.queries.length === 0) throw new Error('the candidate has no held-out query with a judged product; nothing to evaluate it on');
  // the log's data folder: where the server lists evaluation runs (an exported file has none)
  const source = args.eventsDir ?? report.events.source;
  const eventsDir = source.endsWith('.sqlite') ? path.dirname(source) : source.endsWith('.jsonl') ? null : source;
  const catalogDir = args.catalogDir ?? report.catalog;
  const current = await ModelRegistry.open(args.modelsDir);
  const candidate = await ModelRegistry.open(args.candidateDir);
  await checkSameGallery(current, candidate);
  const parity = await checkParity(candidate);
  log(`candidate ${candidate.manifest.defaults.text}: gallery models unchanged, ${parity} golden embeddings reproduced by its ONNX export`);

  const gallery = await openGallery({
    catalogDir,
    split: 'all',
    dataDir: args.dataDir,
    dim: current.index.dim,
    indexKey: await galleryIndexKey(current),
    textEncoder: current.galleryTextEncoder(),
    imageEncoder: current.imageEncoder(),
    logger: { info: () => undefined, warn: (m) => log(`warning: ${m}`) },
  });
  try {
    const set = judgements.set;
    log(`held-out sessions from ${heldOutFrom}: ${set.queries.length} queries with judged products`);
    const currentTower = current.textEncoder();
    const candidateTower = candidate.textEncoder();
    const createdAt = new Date().toISOString();
    const run = await runEvaluation(
      set,
      [towerVariant('current', currentTower, gallery.store, judgements.candidates), towerVariant('candidate', candidateTower, gallery.store, judgements.candidates)],
      { id: `promotion-${createdAt.replace(/[^0-9]/g, '').slice(0, 14)}`, createdAt, metrics: PROMOTION_METRICS, baseline: 'current', catalogSource: path.resolve(catalogDir) },
    );
    const runs = new FileEvaluationRunStore(args.runsDir ?? (eventsDir ? path.join(eventsDir, 'evaluations') : path.join('data', 'store', 'evaluations')));
    await runs.save(run);
    const baselineRuns: EvaluationRun[] = [];
    for (const b of current.textModels().filter((m) => m.baseline && m.compatible)) {
      const tower = current.textEncoder(b.name);
      const stamp = createdAt.replace(/[^0-9]/g, '').slice(0, 14);
      const baselineRun = await runEvaluation(
        set,
        [
          towerVariant(b.name, tower, gallery.store, judgements.candidates),
          towerVariant('current', currentTower, gallery.store, judgements.candidates),
          towerVariant('candidate', candidateTower, gallery.store, judgements.candidates),
        ],
        { id: `promotion-${stamp}-vs-${b.name}`.replace(/[^A-Za-z0-9_.-]/g, '-'), createdAt, metrics: PROMOTION_METRICS, baseline: b.name, catalogSource: path.resolve(catalogDir) },
      );
      await runs.save(baselineRun);
      baselineRuns.push(baselineRun);
    }
    await fs.writeFile(
      path.join(args.candidateDir, 'promotion-report.html'),
      renderReport([run, ...baselineRuns], { title: `Promotion of ${candidateTower.model.name}@${candidateTower.model.version}`, notes: [`Held-out recorded sessions from ${heldOutFrom}; baseline: ${currentTower.model.name}@${currentTower.model.version}.`] }),
    );
    const decision = decidePromotion(run, { baseline: 'current', candidate: 'candidate', force: args.force });
    for (const c of decision.comparisons) log(`${c.metric}: current ${c.current.toFixed(4)}, candidate ${c.candidate.toFixed(4)} (difference ${c.difference >= 0 ? '+' : ''}${c.difference.toFixed(4)}, p = ${c.p.toFixed(4)})`);
    let installed = false;
    if (!decision.promote) log(`refused: the candidate is significantly worse: ${decision.reasons.join('; ')} (--force promotes it anyway)`);
    else if (args.dryRun) log('the candidate may be promoted (--dry-run: nothing copied)');
    else {
      const copied = await install(args.candidateDir, args.modelsDir, candidate);
      installed = true;
      log(`${decision.forced ? 'promoted by --force despite: ' + decision.reasons.join('; ') : 'promoted'}: ${copied.join(', ')} copied into ${args.modelsDir}; a running server takes it with the reloadModels mutation or SIGHUP`);
    }
    log(`evaluation run ${run.id} stored; report ${path.join(args.candidateDir, 'promotion-report.html')}`);
    return { run, decision, installed, baselineRuns, candidate: `${candidateTower.model.name}@${candidateTower.model.version}`, current: `${currentTower.model.name}@${currentTower.model.version}` };
  } finally {
    await gallery.close();
  }
}

if (require.main === module) {
  let args: PromoteArgs;
  try {
    args = parsePromoteArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  promote(args)
    .then((r) => process.exit(r.decision.promote ? 0 : 3))
    .catch((e: Error) => {
      process.stderr.write(`promote: ${e.message}\n`);
      process.exit(1);
    });
}
