/**
 * npm run eval:attributes -- [--split test|validation] [--catalog DIR] [--gallery DIR] [--models DIR]
 *                            [--fashion-mnist DIR] [--sample N] [--out FILE]
 *
 * Measures the attributes model (src/attributes/) through the product's own code: the image tower
 * as the server runs it (decoding and preprocessing of src/encoders), the attributes heads, and
 * category prediction as image searches use it (classifier fused with the neighbours' categories).
 *
 * 1. Zalando's Fashion-MNIST test images as they are (grey 28x28, white garment on black, never
 *    re-rendered; a domain the models were not trained on), from the Debian package
 *    dataset-fashion-mnist: category accuracy of the classifier alone, the k nearest neighbours alone
 *    and their fusion. The neighbours come from the catalogue's TRAIN split only (`--gallery`, an
 *    embedded store holding the catalogue's products, e.g. data/bench-scale/full written by
 *    npm run bench:scale), so no re-render of a query image is among them.
 * 2. The catalogue's `--split` (test for the release, validation while choosing): per attribute,
 *    accuracy and expected calibration error (15 equal-width bins) of the likeliest predicted value,
 *    on clean renders (their stored image vectors, a sample of `--sample`) and on the real-shot photos
 *    of the held-out family (queries/realshot-<split>) and of the in-distribution family
 *    (queries/realshot-indist-<split>), and category accuracy by fusion on those photos.
 *
 * Prints markdown tables (and writes them to --out). Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { OnnxAttributePredictor, type AttributeProbabilities } from '../attributes/attribute-predictor';
import { CategoryPredictor } from '../attributes/category-prediction';
import { andFilters, type Filter } from '../domain/filter';
import type { Product } from '../domain/product';
import { ModelRegistry } from '../encoders/model-registry';
import { OnnxSessionFactory } from '../encoders/onnx/onnx-session.factory';
import { EmbeddedStore } from '../stores/embedded/embedded.store';
import type { SearchRequest, VectorStore } from '../stores/vector-store';

/** Zalando's label order of Fashion-MNIST (github.com/zalandoresearch/fashion-mnist), in the catalogue's category words. */
export const FASHION_MNIST_CATEGORIES = ['t-shirt', 'trousers', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'] as const;

const ECE_BINS = 15;

/** Expected calibration error: bins of confidence, |accuracy - mean confidence| weighted by the bin's share. */
export function expectedCalibrationError(confidences: number[], correct: boolean[], bins = ECE_BINS): number {
  const n = confidences.length;
  if (n === 0) return 0;
  const sum = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const count = new Float64Array(bins);
  confidences.forEach((c, i) => {
    const b = Math.min(bins - 1, Math.floor(c * bins));
    sum[b] += c;
    hits[b] += correct[i] ? 1 : 0;
    count[b] += 1;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += (count[b] / n) * Math.abs(hits[b] / count[b] - sum[b] / count[b]);
  return ece;
}

/** Reads an IDX file (gzip or not): images [n, rows, cols] as bytes, or labels [n]. */
export function readIdx(bytes: Buffer): { dims: number[]; data: Uint8Array } {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const magic = raw.readUInt32BE(0);
  if (magic >> 8 !== 0x08) throw new Error('not an IDX file of unsigned bytes');
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + 4 + 4 * rank, dims.reduce((a, b) => a * b, 1)) };
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The store's search limited to the gallery split (filter split = <split>). */
function splitGallery(store: VectorStore, split: string): Pick<VectorStore, 'search' | 'getProducts'> {
  const only: Filter = { must: [{ kind: 'match', key: 'split', value: split }] };
  return {
    search: (request: SearchRequest) => store.search({ ...request, filter: andFilters(request.filter, only) }),
    getProducts: (ids: string[]) => store.getProducts(ids),
  };
}

interface Scores {
  n: number;
  classifier: number;
  neighbours: number;
  fusion: number;
}

async function categoryScores(embeddings: Float32Array[], truth: string[], categories: CategoryPredictor, progress: (done: number) => void): Promise<Scores> {
  const s: Scores = { n: embeddings.length, classifier: 0, neighbours: 0, fusion: 0 };
  let done = 0;
  const next = async (i: number) => {
    const p = await categories.predict(embeddings[i]);
    if (!p) throw new Error('the attributes model has no categoryFusion');
    if (p.classifier[0]?.value === truth[i]) s.classifier += 1;
    if (p.neighbours[0]?.value === truth[i]) s.neighbours += 1;
    if (p.categories[0]?.value === truth[i]) s.fusion += 1;
    progress(++done);
  };
  for (let i = 0; i < embeddings.length; i += 8) await Promise.all(Array.from({ length: Math.min(8, embeddings.length - i) }, (_, j) => next(i + j)));
  return s;
}

function attributeTable(title: string, probabilities: AttributeProbabilities[], products: Product[], labels: Record<string, string[]>): string {
  const rows: string[] = [];
  for (const [name, values] of Object.entries(labels)) {
    const conf: number[] = [];
    const correct: boolean[] = [];
    probabilities.forEach((p, i) => {
      const truth = products[i].attributes[name]?.[0];
      if (truth === undefined || !values.includes(truth)) return;
      const best = argmax(p[name]);
      conf.push(p[name][best]);
      correct.push(values[best] === truth);
    });
    if (conf.length === 0) continue;
    const acc = correct.filter(Boolean).length / correct.length;
    rows.push(`| ${name} | ${values.length} | ${conf.length} | ${pct(acc)} | ${expectedCalibrationError(conf, correct).toFixed(3)} |`);
  }
  return [`**${title}**`, '', '| attribute | values | products | accuracy | ECE |', '| --- | ---: | ---: | ---: | ---: |', ...rows, ''].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      split: { type: 'string', default: 'test' },
      catalog: { type: 'string', default: 'data/catalog' },
      gallery: { type: 'string', default: 'data/bench-scale/full' },
      models: { type: 'string', default: 'models' },
      'fashion-mnist': { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
      sample: { type: 'string', default: '5000' },
      out: { type: 'string' },
    },
  });
  const split = values.split as string;
  if (split !== 'test' && split !== 'validation') throw Object.assign(new Error('--split must be test or validation'), { usage: true });
  const sample = Number(values.sample);
  const registry = await ModelRegistry.open(values.models as string);
  const image = registry.imageEncoder();
  const predictor = await OnnxAttributePredictor.open(path.join(values.models as string, 'fashion-attributes'), new OnnxSessionFactory());
  const store = new EmbeddedStore({ directory: values.gallery as string });
  await store.open({ image: registry.index.dim, text: registry.index.dim });
  const out: string[] = [];
  const log = (line: string) => {
    process.stdout.write(`${line}\n`);
    out.push(line);
  };
  const started = Date.now();
  try {
    const categories = new CategoryPredictor({ predictor, store: splitGallery(store, 'train') });
    const fusion = predictor.spec.categoryFusion!;
    log(`Command: \`npm run eval:attributes -- --split ${split}\` (${new Date().toISOString().slice(0, 16)} UTC); models ${image.model.name}@${image.model.version}, ${predictor.model.name}@${predictor.model.version}; fusion k = ${fusion.k}, classifier weight ${fusion.classifierWeight}; neighbours from the catalogue's train split (${values.gallery}).`);
    log('');

    // 1. Fashion-MNIST test images as they are.
    const dir = values['fashion-mnist'] as string;
    const images = readIdx(await fs.readFile(path.join(dir, 't10k-images-idx3-ubyte.gz')));
    const labels = readIdx(await fs.readFile(path.join(dir, 't10k-labels-idx1-ubyte.gz')));
    const [n, rows, cols] = images.dims;
    const fm: Float32Array[] = [];
    for (let i = 0; i < n; i += 256) {
      const batch: Buffer[] = [];
      for (let j = i; j < Math.min(n, i + 256); j++) {
        const pixels = Buffer.from(images.data.subarray(j * rows * cols, (j + 1) * rows * cols));
        batch.push(await sharp(pixels, { raw: { width: cols, height: rows, channels: 1 } }).png().toBuffer());
      }
      fm.push(...(await image.encode(batch)));
    }
    const fmTruth = Array.from(labels.data, (l) => FASHION_MNIST_CATEGORIES[l]);
    const s = await categoryScores(fm, fmTruth, categories, (d) => d % 2000 === 0 && process.stderr.write(`fashion-mnist ${d}/${n}\n`));
    log('**Fashion-MNIST test images as they are (10,000; grey 28x28, never re-rendered)**');
    log('');
    log('| predictor | category accuracy |');
    log('| --- | ---: |');
    log(`| classifier alone | ${pct(s.classifier / s.n)} |`);
    log(`| ${fusion.k} nearest neighbours alone (train split renders) | ${pct(s.neighbours / s.n)} |`);
    log(`| fusion | ${pct(s.fusion / s.n)} |`);
    log('');

    // 2. The catalogue's split: clean renders and real-shot photos.
    const lines = (await fs.readFile(path.join(values.catalog as string, 'products.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const inSplit = lines.map((l) => JSON.parse(l) as Product & { split: string }).filter((p) => p.split === split);
    const every = Math.max(1, Math.floor(inSplit.length / sample));
    const chosen = inSplit.filter((_, i) => i % every === 0).slice(0, sample);
    const vectors = await Promise.all(chosen.map((p) => store.getVector(p.id, 'image')));
    const kept = chosen.filter((_, i) => vectors[i] !== null);
    const clean = await predictor.predict(vectors.filter((v): v is Float32Array => v !== null));
    log(attributeTable(`Clean renders of the ${split} split (${kept.length} products, their stored image vectors)`, clean, kept, predictor.spec.labels));
    const byId = new Map(inSplit.map((p) => [p.id, p]));
    for (const family of ['realshot', 'realshot-indist'] as const) {
      const file = path.join(values.catalog as string, 'queries', `${family}-${split}.jsonl`);
      const queries = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { productId: string; image: string });
      const photos: Float32Array[] = [];
      for (let i = 0; i < queries.length; i += 64) {
        const bytes = await Promise.all(queries.slice(i, i + 64).map((q) => fs.readFile(path.join(values.catalog as string, q.image))));
        photos.push(...(await image.encode(bytes)));
      }
      const products = queries.map((q) => byId.get(q.productId) as Product);
      const name = family === 'realshot' ? 'held-out family' : 'in-distribution family';
      log(attributeTable(`Real-shot photos, ${name} (${queries.length}, ${split} split)`, await predictor.predict(photos), products, predictor.spec.labels));
      const c = await categoryScores(photos, products.map((p) => p.attributes.category?.[0] ?? ''), categories, () => undefined);
      log(`Category of the real-shot photos (${name}): classifier ${pct(c.classifier / c.n)}, neighbours ${pct(c.neighbours / c.n)}, fusion ${pct(c.fusion / c.n)}.`);
      log('');
    }
    log(`(${Math.round((Date.now() - started) / 1000)} s)`);
    if (values.out) await fs.writeFile(values.out as string, `${out.join('\n')}\n`);
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  main().catch((e: Error & { usage?: boolean }) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(e.usage ? 2 : 1);
  });
}
