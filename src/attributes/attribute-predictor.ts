/**
 * Attribute predictions from image embeddings. The port (AttributePredictor) and its ONNX
 * implementation over the attributes model (attribute-model.ts): one session run per batch of
 * embeddings, one probability vector per attribute and embedding.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../domain/errors';
import type { PredictedValue, Product } from '../domain/product';
import type { ModelVersion } from '../encoders/encoder';
import { once } from '../encoders/lazy';
import { ModelLoadError } from '../encoders/model-load.error';
import { ort, type ModelSession, type SessionFactory } from '../encoders/onnx/onnx-session.factory';
import { parseAttributeModelSpec, type AttributeModelSpec } from './attribute-model';

/** Attribute name -> probability of each of its values (the model's label order). */
export type AttributeProbabilities = Record<string, Float32Array>;

export interface AttributePredictor {
  readonly model: ModelVersion;
  readonly spec: AttributeModelSpec;
  /** Probabilities per attribute for each embedding (image tower outputs), in order. */
  predict(embeddings: Float32Array[]): Promise<AttributeProbabilities[]>;
}

/** Values kept per attribute in Product.predictedAttributes (the likeliest ones). */
export const KEPT_VALUES = 3;
/** Values below this probability are not kept (they say nothing a shopper could use). */
export const KEPT_FLOOR = 0.05;

/**
 * The product's predicted attributes from its probabilities: the likeliest values (at most
 * KEPT_VALUES, each at least KEPT_FLOOR), best first; the best one is filterable when its
 * confidence reaches the model's minConfidence and the merchant gave no value of that attribute.
 */
export function predictedAttributes(product: Pick<Product, 'attributes'>, probabilities: AttributeProbabilities, spec: Pick<AttributeModelSpec, 'labels' | 'minConfidence'>): Record<string, PredictedValue[]> {
  const out: Record<string, PredictedValue[]> = {};
  for (const [name, labels] of Object.entries(spec.labels)) {
    const p = probabilities[name];
    if (!p) continue;
    const order = labels.map((_, i) => i).sort((a, b) => p[b] - p[a]);
    const merchantGave = (product.attributes[name]?.length ?? 0) > 0;
    const kept: PredictedValue[] = [];
    for (const i of order.slice(0, KEPT_VALUES)) {
      if (p[i] < KEPT_FLOOR) break;
      kept.push({ value: labels[i], confidence: Math.round(p[i] * 10000) / 10000, filterable: kept.length === 0 && !merchantGave && p[i] >= spec.minConfidence });
    }
    if (kept.length) out[name] = kept;
  }
  return out;
}

const RUN_BATCH = 1024;

async function readJson(file: string): Promise<unknown | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError('fashion-attributes', `${file} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The model's description: `<dir>/model.json`, or else the entry of role "attributes" in the
 * models' manifest (`<dir>/../manifest.json`, whose file paths are relative to the models folder).
 */
async function readSpec(dir: string): Promise<{ json: unknown; file: string; base: string }> {
  const own = path.join(dir, 'model.json');
  const json = await readJson(own);
  if (json !== undefined) return { json, file: own, base: dir };
  const manifestFile = path.join(path.dirname(dir), 'manifest.json');
  const manifest = (await readJson(manifestFile)) as { models?: { role?: string; name?: string }[] } | undefined;
  const entry = manifest?.models?.find((m) => m.role === 'attributes' && m.name === path.basename(dir)) ?? manifest?.models?.find((m) => m.role === 'attributes');
  if (!entry) throw new ModelLoadError('fashion-attributes', `${own} not found, nor an entry of role "attributes" in ${manifestFile} (train it with npm run train:attributes)`);
  return { json: entry, file: `${manifestFile} (${entry.name ?? 'attributes'})`, base: path.dirname(dir) };
}

export class OnnxAttributePredictor implements AttributePredictor {
  readonly model: ModelVersion;
  private readonly session: () => Promise<ModelSession>;

  private constructor(
    readonly spec: AttributeModelSpec,
    private readonly dir: string,
    private readonly sessions: SessionFactory,
  ) {
    this.model = { name: spec.name, version: spec.version };
    this.session = once(() => this.open());
  }

  /**
   * Reads `<dir>/model.json`; the ONNX file is loaded on first use (or by `load`). `minConfidence`
   * replaces the model's own (configuration), when given.
   */
  static async open(dir: string, sessions: SessionFactory, options: { minConfidence?: number | null } = {}): Promise<OnnxAttributePredictor> {
    const { json, file, base } = await readSpec(dir);
    const spec = parseAttributeModelSpec(json, file);
    if (base !== dir) spec.file = path.relative(dir, path.join(base, spec.file));
    if (options.minConfidence != null) spec.minConfidence = options.minConfidence;
    return new OnnxAttributePredictor(spec, dir, sessions);
  }

  /** The ONNX file this model runs (for the gallery's space record). */
  get file(): string {
    return path.join(this.dir, this.spec.file);
  }

  async load(): Promise<void> {
    await this.session();
  }

  private async open(): Promise<ModelSession> {
    const file = this.file;
    const session = await this.sessions.create(file).catch((err: Error) => {
      throw new ModelLoadError(this.spec.name, `could not load ${file} (${err.message})`);
    });
    if (!session.inputs.some((i) => i.name === this.spec.input.name)) {
      throw new ModelLoadError(this.spec.name, `${file} has no input "${this.spec.input.name}"`);
    }
    for (const name of Object.keys(this.spec.labels)) {
      if (!session.outputs.some((o) => o.name === name)) throw new ModelLoadError(this.spec.name, `${file} has no output "${name}"`);
    }
    return session;
  }

  async predict(embeddings: Float32Array[]): Promise<AttributeProbabilities[]> {
    if (!Array.isArray(embeddings)) throw new InvalidInputError('embeddings must be an array of Float32Array');
    const dim = this.spec.input.dim;
    embeddings.forEach((e, i) => {
      if (!(e instanceof Float32Array) || e.length !== dim) throw new InvalidInputError(`embedding ${i} must be a Float32Array of length ${dim}`, { index: i });
    });
    if (embeddings.length === 0) return [];
    const session = await this.session();
    const out: AttributeProbabilities[] = [];
    for (let start = 0; start < embeddings.length; start += RUN_BATCH) {
      const chunk = embeddings.slice(start, start + RUN_BATCH);
      const input = new Float32Array(chunk.length * dim);
      chunk.forEach((e, i) => input.set(e, i * dim));
      const result = await session.run({ [this.spec.input.name]: new ort.Tensor('float32', input, [chunk.length, dim]) });
      for (let i = 0; i < chunk.length; i++) {
        const row: AttributeProbabilities = {};
        for (const [name, labels] of Object.entries(this.spec.labels)) {
          const data = result[name].data as Float32Array;
          row[name] = data.slice(i * labels.length, (i + 1) * labels.length);
        }
        out.push(row);
      }
    }
    return out;
  }
}
