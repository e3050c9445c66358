import * as path from 'node:path';
import { NotFoundError } from '../domain/errors';
import type { FusionEncoder, ImageEncoder, ModelVersion, TextEncoder } from './encoder';
import { batchFusionEncoder, batchImageEncoder, batchTextEncoder } from './batched.encoder';
import { openClipHf } from './clip-hf/clip-hf.encoders';
import { checkImageLimits, DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image/image-decoder';
import type { MicroBatcherOptions } from './micro-batcher';
import { ModelRegistry, type ModelVersions, type TextModelInfo } from './model-registry';

export type EncoderAdapter = 'manifest' | 'clip-hf';

export interface CreateEncodersOptions {
  /** "manifest" (models/manifest.json, default) or "clip-hf" (a Hugging Face CLIP-layout folder). */
  adapter?: EncoderAdapter;
  /** Folder holding manifest.json (adapter "manifest"); default "models". */
  modelsDir?: string;
  /** CLIP-layout folder (adapter "clip-hf"). */
  clipModelDir?: string;
  /** Threads per ONNX session (default 2). */
  intraOpThreads?: number;
  imageLimits?: Partial<ImageLimits>;
  /** Micro-batching of concurrent calls, one batcher per encoder; `false` turns it off. */
  batching?: MicroBatcherOptions | false;
}

export interface EncoderSet {
  adapter: EncoderAdapter;
  text: TextEncoder;
  image: ImageEncoder;
  /** Null when the adapter has no fusion model: composed queries then have no fusion step. */
  fusion: FusionEncoder | null;
  /** Why `fusion` is null, for logs and health output. */
  fusionUnavailableReason: string | null;
  dim: number;
  /** Models behind text, image and fusion, with the index they are compatible with. */
  versions: ModelVersions;
  /** Text models an evaluation can pick by name (the default first). */
  textModels(): TextModelInfo[];
  /** Encoder of a named text model (not micro-batched): evaluation variants. */
  textEncoder(name: string): TextEncoder & { readonly model: ModelVersion };
  /** Loads every model now instead of on first use. */
  warmUp(): Promise<void>;
}

/** Creates the query and ingestion encoders from plain options; the server's config module supplies them. */
export async function createEncoders(options: CreateEncodersOptions = {}): Promise<EncoderSet> {
  const adapter = options.adapter ?? 'manifest';
  const imageLimits = checkImageLimits({ ...DEFAULT_IMAGE_LIMITS, ...options.imageLimits });
  const batching = options.batching ?? {};
  const batched = <T>(encoder: T, wrap: (e: T, o: MicroBatcherOptions) => T): T => (batching === false ? encoder : wrap(encoder, batching));

  if (adapter === 'clip-hf') {
    if (!options.clipModelDir) throw new RangeError('the clip-hf adapter needs clipModelDir, the folder of a CLIP-layout model');
    const clip = await openClipHf({ modelDir: options.clipModelDir, intraOpThreads: options.intraOpThreads, imageLimits });
    const versions: ModelVersions = {
      index: { name: `clip-hf/${clip.model.name}`, version: clip.model.version, dim: clip.dim, key: `clip-hf/${clip.model.name}@${clip.model.version}` },
      trainingDataHash: null,
      models: [
        { ...clip.model, role: 'image' },
        { ...clip.model, role: 'text' },
      ],
    };
    const info: TextModelInfo = { ...clip.model, baseline: false, isDefault: true, compatible: true, metrics: {} };
    return {
      adapter,
      text: batched(clip.text, batchTextEncoder),
      image: batched(clip.image, batchImageEncoder),
      fusion: null,
      fusionUnavailableReason: 'the clip-hf adapter has no fusion model',
      dim: clip.dim,
      versions,
      textModels: () => [info],
      textEncoder: (name) => {
        if (name !== clip.model.name) throw new NotFoundError(`no text model "${name}" (have: ${clip.model.name})`);
        return clip.text;
      },
      warmUp: async () => {
        await Promise.all([clip.text.load(), clip.image.load()]);
      },
    };
  }
  if (adapter !== 'manifest') throw new RangeError(`unknown encoder adapter "${String(adapter)}" (use "manifest" or "clip-hf")`);

  const registry = await ModelRegistry.open(path.resolve(options.modelsDir ?? 'models'), { intraOpThreads: options.intraOpThreads, imageLimits });
  const fusion = registry.fusionEncoder();
  return {
    adapter,
    text: batched(registry.textEncoder(), batchTextEncoder),
    image: batched(registry.imageEncoder(), batchImageEncoder),
    fusion: fusion ? batched(fusion, batchFusionEncoder) : null,
    fusionUnavailableReason: fusion ? null : `${path.join(registry.modelsDir, 'manifest.json')} names no default fusion model`,
    dim: registry.index.dim,
    versions: registry.versions(),
    textModels: () => registry.textModels(),
    textEncoder: (name) => registry.textEncoder(name),
    warmUp: () => registry.warmUp(),
  };
}
