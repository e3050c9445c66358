/**
 * npm run eval:attributes -- [--split test|validation] [--catalog DIR] [--gallery DIR] [--models DIR]
 *                            [--fashion-mnist DIR] [--sample N] [--out FILE] [--write-fusion]
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
 * 3. With the picture category model (models/fashion-category), category accuracy of the category head,
 *    the picture model, their mix and the neighbours; on validation also the grid that chooses a (the
 *    picture model against the head), W (the classifier against the neighbours) and F (the filter
 *    confidence: right 99% of the time), which `--write-fusion` writes into the model's manifest entry.
 * 4. Colour of a picture by the colour head, the picture's colour profile and their mix.
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
import { COLOUR_ATTRIBUTE, fuseColour, PICTURE_COLOUR_WEIGHT } from '../attributes/colour-fusion';
import { OnnxPictureClassifier, PICTURE_CATEGORY_ROLE, type PictureCategoryFusion } from '../attributes/picture-category';
import { DEFAULT_IMAGE_LIMITS } from '../encoders/image/image-decoder';
import type { ProductColours } from '../domain/product';
import { InProcessColourProfiler } from '../vision/colour/colour-profiler';
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

/** Per query: the category head's, the picture model's (null without one) and the neighbours' probabilities, in label order. */
interface CategoryViews {
  labels: string[];
  truth: number[];
  head: Float64Array[];
  picture: (Float32Array | null)[];
  knn: Float64Array[];
}

async function categoryViews(
  embeddings: Float32Array[],
  pictures: (Float32Array | null)[],
  truth: string[],
  categories: CategoryPredictor,
  labels: string[],
  progress: (done: number) => void,
): Promise<CategoryViews> {
  const v: CategoryViews = { labels, truth: truth.map((t) => labels.indexOf(t)), head: [], picture: pictures, knn: [] };
  const dense = (list: { value: string; probability: number }[]) => {
    const out = new Float64Array(labels.length);
    for (const c of list) out[labels.indexOf(c.value)] = c.probability;
    return out;
  };
  let done = 0;
  const next = async (i: number) => {
    const p = await categories.predict(embeddings[i]);
    if (!p) throw new Error('the attributes model has no categoryFusion');
    v.head[i] = dense(p.classifier);
    v.knn[i] = dense(p.neighbours);
    progress(++done);
  };
  for (let i = 0; i < embeddings.length; i += 8) await Promise.all(Array.from({ length: Math.min(8, embeddings.length - i) }, (_, j) => next(i + j)));
  return v;
}

/** Per query with a known category: the top category of p = W ((1 - a) head + a picture) + (1 - W) knn (a = 0 without a picture model), its p, and whether it is right. */
function categoryPredictions(v: CategoryViews, a: number, w: number): { p: number; right: boolean }[] {
  const out: { p: number; right: boolean }[] = [];
  v.truth.forEach((t, i) => {
    if (t < 0) return;
    const pic = v.picture[i];
    let best = -1;
    let bestP = -Infinity;
    for (let c = 0; c < v.labels.length; c++) {
      const classifier = pic ? (1 - a) * v.head[i][c] + a * pic[c] : v.head[i][c];
      const p = w * classifier + (1 - w) * v.knn[i][c];
      if (p > bestP) [best, bestP] = [c, p];
    }
    out.push({ p: bestP, right: best === t });
  });
  return out;
}

function categoryAccuracy(v: CategoryViews, a: number, w: number): number {
  const predictions = categoryPredictions(v, a, w);
  return predictions.filter((x) => x.right).length / Math.max(1, predictions.length);
}

/**
 * The lowest probability t such that for every t' >= t the predictions at or above t' are right at
 * least `target` of the time (prefixes of fewer than `minSupport` predictions are not measured), as
 * training/calibration.py's threshold_for_precision; above every probability when even the most
 * confident fall short.
 */
export function thresholdForPrecision(predictions: { p: number; right: boolean }[], target: number, minSupport = 30): number {
  const sorted = [...predictions].sort((x, y) => y.p - x.p);
  if (sorted.length === 0) return 1;
  const ends: number[] = []; // last index of each group of equal probabilities
  for (let i = 0; i < sorted.length; i++) if (i === sorted.length - 1 || sorted[i + 1].p !== sorted[i].p) ends.push(i);
  const rightUpTo: number[] = [];
  sorted.forEach((x, i) => (rightUpTo[i] = (i ? rightUpTo[i - 1] : 0) + (x.right ? 1 : 0)));
  const firstBad = ends.findIndex((e) => e + 1 >= minSupport && rightUpTo[e] / (e + 1) < target);
  if (firstBad < 0) return sorted[sorted.length - 1].p;
  if (firstBad === 0) return sorted[0].p + 1e-9;
  return sorted[ends[firstBad - 1]].p;
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

/** Writes the chosen fusion settings into the manifest's entry of role category (other entries untouched). */
async function writeFusion(file: string, fusion: PictureCategoryFusion): Promise<void> {
  const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as { models: Record<string, unknown>[] };
  const entry = manifest.models.find((m) => m.role === PICTURE_CATEGORY_ROLE);
  if (!entry) throw new Error(`${file} has no entry of role ${PICTURE_CATEGORY_ROLE}`);
  entry.categoryFusion = fusion;
  await fs.writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      split: { type: 'string', default: 'test' },
      catalog: { type: 'string', default: 'data/catalog' },
      gallery: { type: 'string', default: 'data/bench-scale/full' },
      models: { type: 'string', default: 'models' },
      'fashion-mnist': { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
      'write-fusion': { type: 'boolean', default: false },
      sample: { type: 'string', default: '5000' },
      out: { type: 'string' },
    },
  });
  const split = values.split as string;
  if (split !== 'test' && split !== 'validation') throw Object.assign(new Error('--split must be test or validation'), { usage: true });
  if (values['write-fusion'] && split !== 'validation') throw Object.assign(new Error('--write-fusion chooses on validation: use it with --split validation'), { usage: true });
  const sample = Number(values.sample);
  const registry = await ModelRegistry.open(values.models as string);
  const image = registry.imageEncoder();
  const predictor = await OnnxAttributePredictor.open(path.join(values.models as string, 'fashion-attributes'), new OnnxSessionFactory());
  const pictures = await OnnxPictureClassifier.open(values.models as string, new OnnxSessionFactory(), DEFAULT_IMAGE_LIMITS);
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
    // The served settings: the picture model's (a, W, F) when there is one, else the attributes model's.
    const served = pictures?.spec.fusion ?? { pictureWeight: 0, classifierWeight: predictor.spec.categoryFusion!.classifierWeight, filterConfidence: predictor.spec.categoryFusion!.filterConfidence };
    const fusion = predictor.spec.categoryFusion!;
    const categoryLabels = predictor.spec.labels[fusion.attribute];
    // The picture model's rows in the attributes model's label order.
    const classifyPictures = async (bytes: Buffer[]): Promise<(Float32Array | null)[]> => {
      if (!pictures) return bytes.map(() => null);
      const at = categoryLabels.map((l) => pictures.spec.labels.indexOf(l));
      return (await pictures.classify(bytes)).map((row) => (row ? Float32Array.from(at, (j) => (j >= 0 ? row[j] : 0)) : null));
    };
    const viewsBySet: [string, CategoryViews][] = [];
    /** Accuracy of the predictors, and the full fusion at the served weights. */
    const categoryTable = (sets: [string, CategoryViews][]) => {
      const rows = [
        ['category head on the embedding', (v: CategoryViews) => categoryAccuracy(v, 0, 1)],
        ...(pictures ? [['picture category model', (v: CategoryViews) => categoryAccuracy(v, 1, 1)], [`classifier: head and picture mixed (a = ${served.pictureWeight})`, (v: CategoryViews) => categoryAccuracy(v, served.pictureWeight, 1)]] : []),
        [`${fusion.k} nearest neighbours alone (train split)`, (v: CategoryViews) => categoryAccuracy(v, 0, 0)],
        [`served: fusion (a = ${served.pictureWeight}, W = ${served.classifierWeight})`, (v: CategoryViews) => categoryAccuracy(v, served.pictureWeight, served.classifierWeight)],
      ] as [string, (v: CategoryViews) => number][];
      return [
        `| predictor | ${sets.map(([name, v]) => `${name} (${v.truth.length})`).join(' | ')} |`,
        `| --- | ${sets.map(() => '---:').join(' | ')} |`,
        ...rows.map(([name, f]) => `| ${name} | ${sets.map(([, v]) => pct(f(v))).join(' | ')} |`),
        '',
      ].join('\n');
    };
    log(`Command: \`npm run eval:attributes -- --split ${split}\` (${new Date().toISOString().slice(0, 16)} UTC); models ${image.model.name}@${image.model.version}, ${predictor.model.name}@${predictor.model.version}; fusion k = ${fusion.k}, classifier weight ${fusion.classifierWeight}${pictures ? `; ${pictures.spec.name}@${pictures.spec.version}, served a = ${served.pictureWeight}, W = ${served.classifierWeight}, F = ${served.filterConfidence}` : ''}; neighbours from the catalogue's train split (${values.gallery}).`);
    log('');

    // 1. Fashion-MNIST test images as they are.
    const dir = values['fashion-mnist'] as string;
    const images = readIdx(await fs.readFile(path.join(dir, 't10k-images-idx3-ubyte.gz')));
    const labels = readIdx(await fs.readFile(path.join(dir, 't10k-labels-idx1-ubyte.gz')));
    const [n, rows, cols] = images.dims;
    const fm: Float32Array[] = [];
    const fmPictures: (Float32Array | null)[] = [];
    for (let i = 0; i < n; i += 256) {
      const batch: Buffer[] = [];
      for (let j = i; j < Math.min(n, i + 256); j++) {
        const pixels = Buffer.from(images.data.subarray(j * rows * cols, (j + 1) * rows * cols));
        batch.push(await sharp(pixels, { raw: { width: cols, height: rows, channels: 1 } }).png().toBuffer());
      }
      fm.push(...(await image.encode(batch)));
      fmPictures.push(...(await classifyPictures(batch)));
    }
    const fmTruth = Array.from(labels.data, (l) => FASHION_MNIST_CATEGORIES[l]);
    const s = await categoryViews(fm, fmPictures, fmTruth, categories, categoryLabels, (d) => d % 2000 === 0 && process.stderr.write(`fashion-mnist ${d}/${n}\n`));
    log('**Fashion-MNIST test images as they are (10,000; grey 28x28, never re-rendered)**');
    log('');
    log(categoryTable([['Fashion-MNIST test images', s]]));

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
    // Colour of a picture: the colour head, the picture's colour profile, and their mix (colour-fusion.ts).
    const profiler = new InProcessColourProfiler();
    const colourLabels = predictor.spec.labels[COLOUR_ATTRIBUTE];
    const weights = split === 'validation' ? [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] : [0, PICTURE_COLOUR_WEIGHT, 1];
    const colourRows: { set: string; n: number; accuracy: number[]; family: number[] }[] = [];
    const familyOf = new Map<string, string>();
    for (const p of inSplit) if (p.attributes.color?.length === 1 && p.attributes.colorFamily?.length === 1) familyOf.set(p.attributes.color[0], p.attributes.colorFamily[0]);
    const colourScores = (set: string, probabilities: AttributeProbabilities[], colours: (ProductColours | null)[], products: Product[]) => {
      const accuracy = weights.map(() => 0);
      const family = weights.map(() => 0);
      let n = 0;
      probabilities.forEach((p, i) => {
        const truth = products[i].attributes.color?.[0];
        if (!colourLabels || truth === undefined || !colourLabels.includes(truth)) return;
        n++;
        weights.forEach((w, k) => {
          const predicted = colourLabels[argmax(fuseColour(p[COLOUR_ATTRIBUTE], colourLabels, colours[i] ?? undefined, w))];
          if (predicted === truth) accuracy[k]++;
          if (familyOf.get(predicted) === products[i].attributes.colorFamily?.[0]) family[k]++;
        });
      });
      colourRows.push({ set, n, accuracy: accuracy.map((a) => a / Math.max(1, n)), family: family.map((f) => f / Math.max(1, n)) });
    };
    {
      const renders = kept.slice(0, 1000);
      const bytes = await Promise.all(renders.map((p) => fs.readFile(path.join(values.catalog as string, (p as Product & { image: string }).image))));
      colourScores(`clean renders (${renders.length})`, clean.slice(0, renders.length), await profiler.profile(bytes), renders);
      const renderVectors = vectors.filter((v): v is Float32Array => v !== null).slice(0, renders.length);
      const renderPictures = await classifyPictures(bytes);
      viewsBySet.push([`clean renders`, await categoryViews(renderVectors, renderPictures, renders.map((p) => p.attributes.category?.[0] ?? ''), categories, categoryLabels, () => undefined)]);
    }
    for (const family of ['realshot', 'realshot-indist'] as const) {
      const file = path.join(values.catalog as string, 'queries', `${family}-${split}.jsonl`);
      const queries = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { productId: string; image: string });
      const photos: Float32Array[] = [];
      const photoColours: (ProductColours | null)[] = [];
      const photoPictures: (Float32Array | null)[] = [];
      for (let i = 0; i < queries.length; i += 64) {
        const bytes = await Promise.all(queries.slice(i, i + 64).map((q) => fs.readFile(path.join(values.catalog as string, q.image))));
        photos.push(...(await image.encode(bytes)));
        photoColours.push(...(await profiler.profile(bytes)));
        photoPictures.push(...(await classifyPictures(bytes)));
      }
      const products = queries.map((q) => byId.get(q.productId) as Product);
      const name = family === 'realshot' ? 'held-out family' : 'in-distribution family';
      const photoProbabilities = await predictor.predict(photos);
      log(attributeTable(`Real-shot photos, ${name} (${queries.length}, ${split} split)`, photoProbabilities, products, predictor.spec.labels));
      colourScores(`real-shot photos, ${name} (${queries.length})`, photoProbabilities, photoColours, products);
      viewsBySet.push([`photos, ${name}`, await categoryViews(photos, photoPictures, products.map((p) => p.attributes.category?.[0] ?? ''), categories, categoryLabels, () => undefined)]);
    }
    log(`**Category of the ${split} split's pictures**`);
    log('');
    log(categoryTable(viewsBySet));
    if (split === 'validation' && pictures) {
      // The choice of a (picture against head) and W (classifier against neighbours): the mean over the clean renders and the in-distribution photos.
      const choosing = viewsBySet.filter(([name]) => !name.includes('held-out'));
      const grid = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
      log(`**Choice of a and W on validation (mean category accuracy over ${choosing.map(([n]) => n).join(' and ')}; rows a, columns W)**`);
      log('');
      log(`| a \\ W | ${grid.map((w) => `${w}`).join(' | ')} |`);
      log(`| --- | ${grid.map(() => '---:').join(' | ')} |`);
      let best = { a: 0, w: 0, score: -1 };
      for (const a of grid) {
        const cells = grid.map((w) => {
          const score = choosing.reduce((sum, [, v]) => sum + categoryAccuracy(v, a, w), 0) / choosing.length;
          if (score > best.score + 1e-9) best = { a, w, score };
          return pct(score);
        });
        log(`| ${a} | ${cells.join(' | ')} |`);
      }
      log('');
      log(`Best: a = ${best.a}, W = ${best.w} (${pct(best.score)}).`);
      // At the best a and W: F, the filter confidence (right at least 99% of the time on each set choosing), and M for products' category (95% on clean renders).
      const perSet = choosing.map(([name, v]) => [name, thresholdForPrecision(categoryPredictions(v, best.a, best.w), 0.99)] as const);
      const f = Math.max(...perSet.map(([, t]) => t));
      log(`F (filter confidence) at a = ${best.a}, W = ${best.w}: ${f.toFixed(4)} (${perSet.map(([name, t]) => `${name} ${t.toFixed(4)}`).join(', ')}).`);
      if (values['write-fusion']) {
        await writeFusion(path.join(values.models as string, 'manifest.json'), { pictureWeight: best.a, classifierWeight: best.w, filterConfidence: Math.min(1, Math.round(f * 10000) / 10000) });
        log(`Wrote categoryFusion { pictureWeight: ${best.a}, classifierWeight: ${best.w}, filterConfidence: ${Math.min(1, Math.round(f * 10000) / 10000)} } into the category entry of ${path.join(values.models as string, 'manifest.json')}.`);
      }
      const renders = choosing.find(([name]) => name === 'clean renders');
      if (renders) {
        const products = categoryPredictions(renders[1], best.a, 1);
        const above = products.filter((x) => x.p >= predictor.spec.minConfidence);
        log(
          `Products' category (a = ${best.a}) at the model's minimum confidence M = ${predictor.spec.minConfidence}: right ${pct(above.filter((x) => x.right).length / Math.max(1, above.length))} of ${above.length} clean renders above it ` +
            `(${pct(above.length / Math.max(1, products.length))}); 95% needs ${thresholdForPrecision(products, 0.95).toFixed(4)}.`,
        );
      }
      log('');
    }
    log(`**Colour of a picture (24 colours; colour family in brackets) by the colour head (w = 0), the picture's colour profile (w = 1) and their mix p = (1 - w) head + w profile; the server uses w = ${PICTURE_COLOUR_WEIGHT}**`);
    log('');
    log(`| set | pictures | ${weights.map((w) => `w = ${w}`).join(' | ')} |`);
    log(`| --- | ---: | ${weights.map(() => '---:').join(' | ')} |`);
    for (const r of colourRows) log(`| ${r.set} | ${r.n} | ${weights.map((_, k) => `${pct(r.accuracy[k])} (${pct(r.family[k])})`).join(' | ')} |`);
    // The choice of w: the clean renders and the in-distribution photos (the held-out family takes no part in choices).
    const choosingColour = colourRows.filter((r) => !r.set.includes('held-out'));
    if (choosingColour.length) {
      const mean = weights.map((_, k) => choosingColour.reduce((a, r) => a + r.accuracy[k], 0) / choosingColour.length);
      log(`| mean colour accuracy, clean renders and in-distribution photos (the choice) | | ${mean.map(pct).join(' | ')} |`);
    }
    log('');
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
