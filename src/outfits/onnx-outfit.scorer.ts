/**
 * The outfit compatibility model (models/fashion-outfit): model.json describes the features and
 * the ONNX signature; the session is created on first use and shared by concurrent first calls.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../domain/errors';
import type { Product } from '../domain/product';
import type { ModelVersion } from '../encoders/encoder';
import { once } from '../encoders/lazy';
import { ModelLoadError } from '../encoders/model-load.error';
import { ort, type ModelSession, type SessionFactory } from '../encoders/onnx/onnx-session.factory';
import { OutfitFeatureSpace, type FeatureSpec } from './outfit-features';
import type { OutfitScorer } from './outfit-scorer';

export interface OutfitModelSpec {
  name: string;
  version: string;
  file: string;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  features: FeatureSpec;
  trainingData?: { hash?: string };
}

/** Outfits per ONNX run. */
const RUN_BATCH = 1024;

/** Checks a parsed model.json; the error names the model folder and the field to fix. */
export function parseOutfitModelSpec(json: unknown, where: string): OutfitModelSpec {
  const fail = (problem: string): never => {
    throw new ModelLoadError('fashion-outfit', `${where}: ${problem}`);
  };
  if (typeof json !== 'object' || json === null) fail('model.json must hold an object');
  const spec = json as Partial<OutfitModelSpec>;
  for (const key of ['name', 'version', 'file'] as const) if (typeof spec[key] !== 'string' || spec[key] === '') fail(`"${key}" must be a non-empty string`);
  if (!Array.isArray(spec.inputs) || spec.inputs.length !== 2) fail('"inputs" must list the items and mask inputs');
  if (!Array.isArray(spec.outputs) || spec.outputs.length !== 1) fail('"outputs" must list the score output');
  const f = spec.features;
  if (!f || !Array.isArray(f.attributes) || typeof f.dim !== 'number' || typeof f.maxItems !== 'number') fail('"features" must hold attributes, dim and maxItems');
  const [items, mask] = spec.inputs!;
  const shape = (s: (number | string)[]) => JSON.stringify(s.slice(1));
  if (shape(items.shape) !== JSON.stringify([f!.maxItems, f!.dim])) fail(`input "${items.name}" must have shape [batch, ${f!.maxItems}, ${f!.dim}]`);
  if (shape(mask.shape) !== JSON.stringify([f!.maxItems])) fail(`input "${mask.name}" must have shape [batch, ${f!.maxItems}]`);
  return spec as OutfitModelSpec;
}

export class OnnxOutfitScorer implements OutfitScorer {
  readonly model: ModelVersion;
  readonly features: OutfitFeatureSpace;
  readonly trainingDataHash: string | null;
  private readonly session: () => Promise<ModelSession>;

  private constructor(
    private readonly spec: OutfitModelSpec,
    private readonly dir: string,
    private readonly sessions: SessionFactory,
  ) {
    this.model = { name: spec.name, version: spec.version };
    this.features = new OutfitFeatureSpace(spec.features);
    this.trainingDataHash = spec.trainingData?.hash ?? null;
    this.session = once(() => this.open());
  }

  /** Reads `<dir>/model.json`; the ONNX file is loaded on first use (or by `load`). */
  static async open(dir: string, sessions: SessionFactory): Promise<OnnxOutfitScorer> {
    const file = path.join(dir, 'model.json');
    const text = await fs.readFile(file, 'utf8').catch(() => {
      throw new ModelLoadError('fashion-outfit', `${file} not found (train it with npm run train:outfits)`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ModelLoadError('fashion-outfit', `${file} is not valid JSON (${(e as Error).message})`);
    }
    return new OnnxOutfitScorer(parseOutfitModelSpec(json, file), dir, sessions);
  }

  async load(): Promise<void> {
    await this.session();
  }

  private async open(): Promise<ModelSession> {
    const file = path.join(this.dir, this.spec.file);
    const session = await this.sessions.create(file).catch((err: Error) => {
      throw new ModelLoadError(this.spec.name, `could not load ${file} (${err.message})`);
    });
    const names = session.inputs.map((i) => i.name).sort();
    const expected = this.spec.inputs.map((i) => i.name).sort();
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      throw new ModelLoadError(this.spec.name, `${file} has inputs ${names.join(', ')} but model.json declares ${expected.join(', ')}`);
    }
    if (!session.outputs.some((o) => o.name === this.spec.outputs[0].name)) {
      throw new ModelLoadError(this.spec.name, `${file} has no output "${this.spec.outputs[0].name}"`);
    }
    return session;
  }

  async score(outfits: Product[][]): Promise<number[]> {
    if (!Array.isArray(outfits)) throw new InvalidInputError('outfits must be an array of product arrays');
    if (outfits.length === 0) return [];
    const session = await this.session();
    const out: number[] = [];
    for (let i = 0; i < outfits.length; i += RUN_BATCH) {
      const chunk = outfits.slice(i, i + RUN_BATCH);
      const batch = this.features.batch(chunk);
      const { maxItems, dim } = this.features;
      const result = await session.run({
        [this.spec.inputs[0].name]: new ort.Tensor('float32', batch.items, [batch.count, maxItems, dim]),
        [this.spec.inputs[1].name]: new ort.Tensor('float32', batch.mask, [batch.count, maxItems]),
      });
      const scores = result[this.spec.outputs[0].name].data as Float32Array;
      if (scores.length !== chunk.length) throw new ModelLoadError(this.spec.name, `returned ${scores.length} scores for ${chunk.length} outfits`);
      for (const s of scores) out.push(s);
    }
    return out;
  }
}
