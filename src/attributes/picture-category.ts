/**
 * The category of a picture from its pixels (models/fashion-category, `npm run train:category`):
 * the image tower's convolutions fine-tuned to classify the catalogue's categories. The attributes
 * model's category head reads the 128-d embedding, which keeps only part of what the picture shows
 * of the garment's shape; this model reads the picture itself, preprocessed exactly as the image tower
 * it requires (its manifest entry's preprocessing), and its probabilities are mixed with the head's:
 *
 *     p_classifier(c) = (1 - a) * head(c) + a * picture(c)
 *
 * for the predicted category of products (the predicting store) and as the classifier term of image
 * queries' category prediction (category-prediction.ts), where it replaces the attributes model's
 * fusion settings: a, the classifier weight W and the filter confidence F, chosen together on the
 * validation split (`npm run eval:attributes -- --split validation`, models/README.md), are the
 * entry's `categoryFusion`.
 *
 * The model is described by a manifest entry of role `category` (which the encoders skip).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeImages, writePixels, type ImageLimits, type RgbImage } from '../encoders/image/image-decoder';
import { parseManifest, type ImagePreprocessing } from '../encoders/manifest';
import { ModelLoadError } from '../encoders/model-load.error';
import type { ModelSession, SessionFactory } from '../encoders/onnx/onnx-session.factory';
import type { AttributeProbabilities } from './attribute-predictor';

export const PICTURE_CATEGORY_ROLE = 'category';

/** How image queries' categories are predicted with the picture model (chosen on validation, see above). */
export interface PictureCategoryFusion {
  /** a: p_classifier = (1 - a) head + a picture. */
  pictureWeight: number;
  /** W: p = W p_classifier + (1 - W) neighbours' share. */
  classifierWeight: number;
  /** F: a fused probability at or above it makes an image search filter by the category. */
  filterConfidence: number;
}

export interface PictureCategorySpec {
  name: string;
  version: string;
  /** Relative to the models folder. */
  file: string;
  /** The image model whose preprocessing it shares. */
  requires: string;
  /** The attribute it predicts (category). */
  attribute: string;
  labels: string[];
  input: string;
  output: string;
  preprocessing: ImagePreprocessing;
  /** Null until chosen on validation (`npm run eval:attributes -- --split validation --write-fusion`). */
  fusion: PictureCategoryFusion | null;
}

/** A picture's categories: probability per value, best first (0.1% or more). */
export type PictureCategories = { name: string; probability: number }[];

export interface PictureClassifier {
  readonly spec: Pick<PictureCategorySpec, 'attribute' | 'labels' | 'name' | 'version' | 'fusion'>;
  /** Probabilities in `spec.labels` order per picture; null for a picture that does not decode. */
  classify(images: readonly Buffer[]): Promise<(Float32Array | null)[]>;
}

type Json = Record<string, unknown>;

/** The category model's entry of a manifest (role `category`); null when it has none. */
export function parsePictureCategorySpec(manifest: unknown, where: string): PictureCategorySpec | null {
  const fail = (problem: string): never => {
    throw new ModelLoadError('fashion-category', `${where}: ${problem}`);
  };
  const models = (manifest as Json)?.models;
  if (!Array.isArray(models)) return null;
  const entry = (models as Json[]).find((m) => m && m.role === PICTURE_CATEGORY_ROLE);
  if (!entry) return null;
  const str = (k: string): string => (typeof entry[k] === 'string' && entry[k] !== '' ? (entry[k] as string) : fail(`the category entry's "${k}" must be a non-empty string`));
  const requires = Array.isArray(entry.requires) ? entry.requires[0] : entry.requires;
  if (typeof requires !== 'string') fail('the category entry\'s "requires" must name the image model it shares preprocessing with');
  const labels = entry.labels;
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== 'string')) fail('the category entry\'s "labels" must list at least two values');
  const inputs = entry.inputs as Json[] | undefined;
  const outputs = entry.outputs as Json[] | undefined;
  if (!Array.isArray(inputs) || typeof inputs[0]?.name !== 'string') fail('the category entry needs "inputs" [{ name }]');
  if (!Array.isArray(outputs) || typeof outputs[0]?.name !== 'string') fail('the category entry needs "outputs" [{ name }]');
  const f = entry.categoryFusion as Json | null | undefined;
  const weight = (k: string): number =>
    typeof f?.[k] === 'number' && (f[k] as number) >= 0 && (f[k] as number) <= 1 ? (f[k] as number) : fail(`the category entry's "categoryFusion.${k}" must be a number from 0 to 1`);
  const fusion: PictureCategoryFusion | null = f == null ? null : { pictureWeight: weight('pictureWeight'), classifierWeight: weight('classifierWeight'), filterConfidence: weight('filterConfidence') };
  const image = parseManifest(manifest as never, where).models.find((m) => m.name === requires);
  if (!image || image.role !== 'image') fail(`the category entry requires "${requires}", which is not an image model of the manifest`);
  return {
    name: str('name'),
    version: str('version'),
    file: str('file'),
    requires: requires as string,
    attribute: typeof entry.attribute === 'string' ? entry.attribute : 'category',
    labels: labels as string[],
    input: inputs![0].name as string,
    output: outputs![0].name as string,
    preprocessing: (image as { preprocessing: ImagePreprocessing }).preprocessing,
    fusion,
  };
}

export class OnnxPictureClassifier implements PictureClassifier {
  private session: Promise<ModelSession> | null = null;

  private constructor(
    readonly spec: PictureCategorySpec,
    readonly file: string,
    private readonly sessions: SessionFactory,
    private readonly limits: ImageLimits,
  ) {}

  /** The category model of `modelsDir/manifest.json`; null when the manifest has none. */
  static async open(modelsDir: string, sessions: SessionFactory, limits: ImageLimits): Promise<OnnxPictureClassifier | null> {
    const where = path.join(modelsDir, 'manifest.json');
    const text = await fs.readFile(where, 'utf8').catch(() => null);
    if (text === null) return null;
    const spec = parsePictureCategorySpec(JSON.parse(text), where);
    return spec ? new OnnxPictureClassifier(spec, path.join(modelsDir, spec.file), sessions, limits) : null;
  }

  /** Opens the ONNX session and checks the output's width against the labels. */
  async load(): Promise<void> {
    const session = await this.open();
    const size = this.spec.preprocessing.size;
    const [probe] = await this.run(session, [{ data: Buffer.alloc(size * size * 3, 128), width: size, height: size }]);
    if (probe.length !== this.spec.labels.length) {
      throw new ModelLoadError(this.spec.name, `the model outputs ${probe.length} probabilities for ${this.spec.labels.length} labels`);
    }
  }

  async classify(images: readonly Buffer[]): Promise<(Float32Array | null)[]> {
    if (images.length === 0) return [];
    const { size, fit, background } = this.spec.preprocessing;
    const decoded = await Promise.all(images.map((image) => decodeImages([image], this.limits, { size, fit, background }).then(([d]) => d, () => null)));
    const ok = decoded.flatMap((d, i) => (d ? [i] : []));
    const out: (Float32Array | null)[] = images.map(() => null);
    if (ok.length) {
      const rows = await this.run(await this.open(), ok.map((i) => decoded[i]!));
      ok.forEach((i, j) => (out[i] = rows[j]));
    }
    return out;
  }

  private open(): Promise<ModelSession> {
    this.session ??= this.sessions.create(this.file).catch((error: Error) => {
      this.session = null;
      throw new ModelLoadError(this.spec.name, `${this.file} could not be loaded (${error.message}); npm run train:category writes it`);
    });
    return this.session;
  }

  private async run(session: ModelSession, images: RgbImage[]): Promise<Float32Array[]> {
    const p = this.spec.preprocessing;
    const per = p.size * p.size * 3;
    const pixels = new Float32Array(images.length * per);
    images.forEach((img, i) => writePixels(img, p, pixels, i * per));
    const dims = p.layout === 'NCHW' ? [images.length, 3, p.size, p.size] : [images.length, p.size, p.size, 3];
    const result = await session.run({ [this.spec.input]: new ort.Tensor('float32', pixels, dims) });
    const data = result[this.spec.output].data as Float32Array;
    const n = this.spec.labels.length;
    return images.map((_, i) => data.slice(i * n, (i + 1) * n));
  }
}

/** A probability vector as stored on a product: the values of 0.1% or more, best first. */
export function rankedCategories(labels: readonly string[], p: ArrayLike<number>): PictureCategories {
  return labels
    .map((name, i) => ({ name, probability: Math.round(p[i] * 10000) / 10000 }))
    .filter((c) => c.probability >= 0.001)
    .sort((a, b) => b.probability - a.probability || (a.name < b.name ? -1 : 1));
}

/** The head's probabilities (in `labels` order) mixed with the picture model's; the head's alone without them. */
export function fuseCategory(head: Float32Array, labels: readonly string[], picture: PictureCategories | undefined, weight: number): Float32Array {
  if (!picture || picture.length === 0 || weight <= 0) return head;
  const byName = new Map(picture.map((c) => [c.name, c.probability]));
  let covered = 0;
  for (const name of labels) covered += byName.get(name) ?? 0;
  if (!(covered > 0)) return head;
  const fused = new Float32Array(head.length);
  labels.forEach((name, i) => (fused[i] = (1 - weight) * head[i] + (weight * (byName.get(name) ?? 0)) / covered));
  return fused;
}

/** The model's probabilities with `attribute` mixed with the picture model's (others unchanged). */
export function withPictureCategory(
  probabilities: AttributeProbabilities,
  labels: Readonly<Record<string, readonly string[]>>,
  attribute: string,
  picture: PictureCategories | undefined,
  weight: number,
): AttributeProbabilities {
  const head = probabilities[attribute];
  const names = labels[attribute];
  if (!head || !names || !picture) return probabilities;
  return { ...probabilities, [attribute]: fuseCategory(head, names, picture, weight) };
}
