import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NotFoundError } from '../domain/errors';
import type { FusionEncoder, ImageEncoder, ModelVersion, TextEncoder } from './encoder';
import { checkImageLimits, DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image/image-decoder';
import { indexKey, ManifestError, parseManifest, type ModelEntry, type ModelManifest, type ModelRole } from './manifest';
import { OnnxFusionEncoder } from './onnx/onnx-fusion.encoder';
import { OnnxImageEncoder } from './onnx/onnx-image.encoder';
import { OnnxSessionFactory, type SessionFactory } from './onnx/onnx-session.factory';
import { OnnxTextEncoder } from './onnx/onnx-text.encoder';

export interface Loadable {
  /** Loads the model now (it otherwise loads on first use); shared by concurrent callers. */
  load(): Promise<void>;
  readonly model: ModelVersion;
}
export type LoadableTextEncoder = TextEncoder & Loadable & {
  /** Token ids (special tokens included, no padding, truncated at maxLength) as the model sees them. */
  tokenize(text: string): Promise<number[]>;
};
export type LoadableImageEncoder = ImageEncoder & Loadable;
export type LoadableFusionEncoder = FusionEncoder & Loadable;

export interface TextModelInfo {
  name: string;
  version: string;
  baseline: boolean;
  isDefault: boolean;
  /** Whether its embeddings live in the registry's index space. */
  compatible: boolean;
  metrics: Record<string, unknown>;
}

/** What an evaluation or benchmark records about the models it ran on. */
export interface ModelVersions {
  index: { name: string; version: string; dim: number; key: string };
  trainingDataHash: string | null;
  /** `gallery-text`: the text tower that embeds products when it differs from the query tower. */
  models: (ModelVersion & { role: ModelRole | 'gallery-text' })[];
}

export interface ModelRegistryOptions {
  sessions?: SessionFactory;
  /** Threads per ONNX session when no session factory is given (default 2). */
  intraOpThreads?: number;
  imageLimits?: ImageLimits;
}

/**
 * Reads models/manifest.json and creates the encoders it describes, by name or by role (the manifest's
 * defaults). Each model has one encoder instance; it loads lazily and once.
 */
export class ModelRegistry {
  private readonly encoders = new Map<string, LoadableTextEncoder | LoadableImageEncoder | LoadableFusionEncoder>();
  private readonly sessions: SessionFactory;
  private readonly imageLimits: ImageLimits;

  constructor(
    readonly manifest: ModelManifest,
    readonly modelsDir: string,
    options: ModelRegistryOptions = {},
  ) {
    this.sessions = options.sessions ?? new OnnxSessionFactory({ intraOpThreads: options.intraOpThreads });
    this.imageLimits = checkImageLimits(options.imageLimits ?? DEFAULT_IMAGE_LIMITS);
  }

  /** Reads and validates `<modelsDir>/manifest.json`. */
  static async open(modelsDir: string, options: ModelRegistryOptions = {}): Promise<ModelRegistry> {
    const dir = path.resolve(modelsDir);
    const file = path.join(dir, 'manifest.json');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      throw new ManifestError(file, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); train and export the models first, or point the models directory elsewhere`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ManifestError(file, '', `is not valid JSON (${(err as Error).message})`);
    }
    return new ModelRegistry(parseManifest(json, file), dir, options);
  }

  get index(): ModelVersions['index'] {
    return { ...this.manifest.index, key: indexKey(this.manifest.index) };
  }

  /** `name@version` of the index; stores built from the default image tower carry it. */
  get compatibilityKey(): string {
    return indexKey(this.manifest.index);
  }

  /** Versions of the default models (and a separate gallery text model), the index and the training data. */
  versions(): ModelVersions {
    const { defaults, gallery } = this.manifest;
    const names = [defaults.image, defaults.text, defaults.fusion, gallery.text !== defaults.text ? gallery.text : null].filter((n): n is string => n !== null);
    return {
      index: this.index,
      trainingDataHash: this.manifest.trainingData.hash,
      models: names.map((n) => {
        const m = this.entry(n);
        return { name: m.name, version: m.version, role: m.name === gallery.text && m.name !== defaults.text ? ('gallery-text' as const) : m.role };
      }),
    };
  }

  entry(name: string): ModelEntry {
    const found = this.manifest.models.find((m) => m.name === name);
    if (!found) throw new NotFoundError(`no model named "${name}" in the manifest (have: ${this.manifest.models.map((m) => m.name).join(', ')})`, { model: name });
    return found;
  }

  /** Every text model (default first, then baselines), so evaluations can pick a variant by name. */
  textModels(): TextModelInfo[] {
    const key = this.compatibilityKey;
    return this.manifest.models
      .filter((m) => m.role === 'text')
      .map((m) => ({
        name: m.name,
        version: m.version,
        baseline: m.baseline,
        isDefault: m.name === this.manifest.defaults.text,
        compatible: m.compatibleWith === null || m.compatibleWith === key,
        metrics: m.metrics,
      }))
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  }

  textEncoder(name: string = this.manifest.defaults.text): LoadableTextEncoder {
    return this.cached(name, 'text') as LoadableTextEncoder;
  }

  /** The models that embed products (the image tower and the gallery text tower): what the index's vectors depend on. */
  galleryModels(): { role: 'image' | 'text'; name: string; version: string }[] {
    const image = this.entry(this.manifest.defaults.image);
    const text = this.entry(this.manifest.gallery.text);
    return [
      { role: 'image', name: image.name, version: image.version },
      { role: 'text', name: text.name, version: text.version },
    ];
  }

  /** The text tower that embeds products (the `text` space); the query tower unless the manifest separates them. */
  galleryTextEncoder(): LoadableTextEncoder {
    return this.textEncoder(this.manifest.gallery.text);
  }

  imageEncoder(name: string = this.manifest.defaults.image): LoadableImageEncoder {
    return this.cached(name, 'image') as LoadableImageEncoder;
  }

  /** The fusion encoder, or null when the manifest has no default fusion model and none is named. */
  fusionEncoder(name: string | null = this.manifest.defaults.fusion): LoadableFusionEncoder | null {
    return name === null ? null : (this.cached(name, 'fusion') as LoadableFusionEncoder);
  }

  /** Loads the default encoders now (e.g. at start-up) instead of on the first request. */
  async warmUp(): Promise<void> {
    await Promise.all([this.textEncoder().load(), this.galleryTextEncoder().load(), this.imageEncoder().load(), this.fusionEncoder()?.load()]);
  }

  private cached(name: string, role: ModelRole): LoadableTextEncoder | LoadableImageEncoder | LoadableFusionEncoder {
    const entry = this.entry(name);
    if (entry.role !== role) throw new NotFoundError(`model "${name}" has role "${entry.role}", not "${role}"`, { model: name });
    let encoder = this.encoders.get(name);
    if (!encoder) {
      encoder =
        entry.role === 'text'
          ? new OnnxTextEncoder(entry, this.modelsDir, this.sessions)
          : entry.role === 'image'
            ? new OnnxImageEncoder(entry, this.modelsDir, this.sessions, this.imageLimits)
            : new OnnxFusionEncoder(entry, this.modelsDir, this.sessions);
      this.encoders.set(name, encoder);
    }
    return encoder;
  }
}
