/**
 * models/manifest.json: the contract between training and the encoders.
 * `parseManifest` validates the parsed JSON and returns typed entries; every error names the file and
 * the field (e.g. `models/manifest.json: models[1].tokenizer.maxLength must be a positive integer`).
 */

export type ModelRole = 'text' | 'image' | 'fusion';
export type ImageFit = 'contain' | 'cover' | 'fill';
export type TensorType = 'float32' | 'int64' | 'int32';

export interface TensorSpec {
  name: string;
  type: TensorType;
  shape: (number | string)[];
}

export interface ImagePreprocessing {
  size: number;
  fit: ImageFit;
  background: [number, number, number];
  mean: [number, number, number];
  std: [number, number, number];
  colorOrder: 'RGB' | 'BGR';
  layout: 'NCHW' | 'NHWC';
  scale: number;
}

export interface TokenizerSpec {
  /** Folder (relative to the models directory) holding tokenizer.json and tokenizer_config.json. */
  dir: string;
  files: string[];
  maxLength: number;
}

interface ModelEntryBase {
  name: string;
  version: string;
  /** ONNX file, relative to the models directory. */
  file: string;
  dim: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** `name@version` of the index this model's embeddings live in. */
  compatibleWith: string | null;
  trainingDataHash: string | null;
  baseline: boolean;
  metrics: Record<string, unknown>;
}

export interface TextModelEntry extends ModelEntryBase {
  role: 'text';
  tokenizer: TokenizerSpec;
}

export interface ImageModelEntry extends ModelEntryBase {
  role: 'image';
  preprocessing: ImagePreprocessing;
}

export interface FusionModelEntry extends ModelEntryBase {
  role: 'fusion';
  requires: { image: string | null; text: string | null };
}

export type ModelEntry = TextModelEntry | ImageModelEntry | FusionModelEntry;

export interface ModelManifest {
  formatVersion: 1;
  index: { name: string; version: string; dim: number };
  trainingData: { profile: string | null; hash: string | null };
  defaults: { text: string; image: string; fusion: string | null };
  /**
   * The models that embed products (the gallery side of the index). A query text tower fine-tuned
   * on click logs (`defaults.text`) reads queries only; products' text vectors keep coming from
   * `gallery.text`, so products embedded before and after the swap stay in one space. Absent in a
   * manifest, the gallery models are the defaults.
   */
  gallery: { text: string; image: string };
  models: ModelEntry[];
}

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: ${field ? `${field} ` : ''}${problem}`);
    this.name = 'ManifestError';
  }
}

/** `fashion-space@1.0.0`: the key query encoders declare in `compatibleWith`. */
export function indexKey(index: { name: string; version: string }): string {
  return `${index.name}@${index.version}`;
}

type Json = unknown;

class Reader {
  constructor(readonly file: string) {}

  fail(field: string, problem: string): never {
    throw new ManifestError(this.file, field, problem);
  }

  object(v: Json, field: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    return v as Record<string, Json>;
  }

  string(v: Json, field: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(field, 'must be a non-empty string');
    return v;
  }

  optionalString(v: Json, field: string): string | null {
    return v === undefined || v === null ? null : this.string(v, field);
  }

  positiveInt(v: Json, field: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(field, 'must be a positive integer');
    return v;
  }

  positiveNumber(v: Json, field: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(field, 'must be a positive number');
    return v;
  }

  triple(v: Json, field: string, check?: (n: number) => boolean, what = 'finite numbers'): [number, number, number] {
    if (!Array.isArray(v) || v.length !== 3 || v.some((n) => typeof n !== 'number' || !Number.isFinite(n) || (check && !check(n)))) {
      this.fail(field, `must be an array of 3 ${what}`);
    }
    return [v[0], v[1], v[2]];
  }

  oneOf<T extends string>(v: Json, field: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')} (got ${JSON.stringify(v)})`);
    }
    return v as T;
  }

  relativePath(v: Json, field: string): string {
    const p = this.string(v, field);
    if (p.startsWith('/') || p.split(/[\\/]/).includes('..')) {
      this.fail(field, `must be a path inside the models directory (got "${p}")`);
    }
    return p;
  }
}

const TENSOR_TYPES = ['float32', 'int64', 'int32'] as const;

function tensors(r: Reader, v: Json, field: string): TensorSpec[] {
  if (!Array.isArray(v) || v.length === 0) r.fail(field, 'must be a non-empty array');
  return v.map((t, i) => {
    const f = `${field}[${i}]`;
    const o = r.object(t, f);
    const shape = o.shape;
    if (!Array.isArray(shape) || shape.some((d) => !(typeof d === 'string' || (typeof d === 'number' && Number.isInteger(d) && d > 0)))) {
      r.fail(`${f}.shape`, 'must be an array of positive integers or axis names');
    }
    return { name: r.string(o.name, `${f}.name`), type: r.oneOf(o.type, `${f}.type`, TENSOR_TYPES), shape: shape as (number | string)[] };
  });
}

function preprocessing(r: Reader, v: Json, field: string): ImagePreprocessing {
  const o = r.object(v, field);
  return {
    size: r.positiveInt(o.size, `${field}.size`),
    fit: r.oneOf(o.fit ?? 'contain', `${field}.fit`, ['contain', 'cover', 'fill'] as const),
    background:
      o.background === undefined
        ? [255, 255, 255]
        : r.triple(o.background, `${field}.background`, (n) => Number.isInteger(n) && n >= 0 && n <= 255, 'integers in 0..255'),
    mean: r.triple(o.mean, `${field}.mean`),
    std: r.triple(o.std, `${field}.std`, (n) => n > 0, 'positive numbers'),
    colorOrder: r.oneOf(o.colorOrder ?? 'RGB', `${field}.colorOrder`, ['RGB', 'BGR'] as const),
    layout: r.oneOf(o.layout ?? 'NCHW', `${field}.layout`, ['NCHW', 'NHWC'] as const),
    scale: o.scale === undefined ? 255 : r.positiveNumber(o.scale, `${field}.scale`),
  };
}

/** Roles of manifest entries that are not encoders (read by their own loaders). */
export const READER_ROLES = ['attributes', 'category'] as const;

function isReader(v: Json): boolean {
  return typeof v === 'object' && v !== null && (READER_ROLES as readonly string[]).includes(String((v as Record<string, Json>).role));
}

function modelEntry(r: Reader, v: Json, field: string): ModelEntry {
  const o = r.object(v, field);
  const role = r.oneOf(o.role, `${field}.role`, ['text', 'image', 'fusion'] as const);
  const base: ModelEntryBase = {
    name: r.string(o.name, `${field}.name`),
    version: r.string(o.version, `${field}.version`),
    file: r.relativePath(o.file, `${field}.file`),
    dim: r.positiveInt(o.dim, `${field}.dim`),
    inputs: tensors(r, o.inputs, `${field}.inputs`),
    outputs: tensors(r, o.outputs, `${field}.outputs`),
    compatibleWith: r.optionalString(o.compatibleWith, `${field}.compatibleWith`),
    trainingDataHash: r.optionalString(o.trainingDataHash, `${field}.trainingDataHash`),
    baseline: o.baseline === undefined ? false : o.baseline === true ? true : o.baseline === false ? false : r.fail(`${field}.baseline`, 'must be a boolean'),
    metrics: o.metrics === undefined ? {} : r.object(o.metrics, `${field}.metrics`),
  };
  if (role === 'text') {
    const t = r.object(o.tokenizer, `${field}.tokenizer`);
    const files = t.files === undefined ? ['tokenizer.json', 'tokenizer_config.json'] : t.files;
    if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) r.fail(`${field}.tokenizer.files`, 'must be an array of file names');
    const names = base.inputs.map((i) => i.name);
    if (!names.includes('input_ids')) r.fail(`${field}.inputs`, 'must include "input_ids" for a text model');
    return {
      ...base,
      role,
      tokenizer: { dir: r.relativePath(t.dir, `${field}.tokenizer.dir`), files: files as string[], maxLength: r.positiveInt(t.maxLength, `${field}.tokenizer.maxLength`) },
    };
  }
  if (role === 'image') {
    if (base.inputs.length !== 1) r.fail(`${field}.inputs`, 'must declare exactly one input (the pixel tensor) for an image model');
    return { ...base, role, preprocessing: preprocessing(r, o.preprocessing, `${field}.preprocessing`) };
  }
  if (base.inputs.length !== 2) r.fail(`${field}.inputs`, 'must declare two inputs (image embedding, text embedding) for a fusion model');
  const req = o.requires === undefined ? {} : r.object(o.requires, `${field}.requires`);
  return {
    ...base,
    role,
    requires: { image: r.optionalString(req.image, `${field}.requires.image`), text: r.optionalString(req.text, `${field}.requires.text`) },
  };
}

export function parseManifest(json: Json, file = 'models/manifest.json'): ModelManifest {
  const r: Reader = new Reader(file);
  const root = r.object(json, '');
  if (root.formatVersion !== 1) r.fail('formatVersion', `must be 1 (got ${JSON.stringify(root.formatVersion)})`);
  const idx = r.object(root.index, 'index');
  const index = { name: r.string(idx.name, 'index.name'), version: r.string(idx.version, 'index.version'), dim: r.positiveInt(idx.dim, 'index.dim') };
  const td = root.trainingData === undefined ? {} : r.object(root.trainingData, 'trainingData');
  const trainingData = { profile: r.optionalString(td.profile, 'trainingData.profile'), hash: r.optionalString(td.hash, 'trainingData.hash') };
  const list = root.models;
  if (!Array.isArray(list) || list.length === 0) r.fail('models', 'must be a non-empty array');
  // Models that read embeddings rather than make them (role "attributes": src/attributes/) are not
  // encoders; their own loader reads their entry.
  const models: ModelEntry[] = list.flatMap((m: Json, i: number) => (isReader(m) ? [] : [modelEntry(r, m, `models[${i}]`)]));

  const seen = new Map<string, number>();
  models.forEach((m, i) => {
    if (seen.has(m.name)) r.fail(`models[${i}].name`, `"${m.name}" is already used by models[${seen.get(m.name)}]`);
    seen.set(m.name, i);
  });

  const d = r.object(root.defaults, 'defaults');
  const defaults = { text: r.string(d.text, 'defaults.text'), image: r.string(d.image, 'defaults.image'), fusion: r.optionalString(d.fusion, 'defaults.fusion') };
  const key = indexKey(index);
  for (const role of ['text', 'image', 'fusion'] as const) {
    const name = defaults[role];
    if (name === null) continue;
    const i = seen.get(name);
    if (i === undefined) r.fail(`defaults.${role}`, `names "${name}", which is not in models (have: ${[...seen.keys()].join(', ')})`);
    const m = models[i];
    if (m.role !== role) r.fail(`defaults.${role}`, `names "${name}", whose role is "${m.role}"`);
    if (m.dim !== index.dim) r.fail(`models[${i}].dim`, `is ${m.dim} but index.dim is ${index.dim}; the default ${role} model must match the index`);
    if (m.compatibleWith !== null && m.compatibleWith !== key) {
      r.fail(`models[${i}].compatibleWith`, `is "${m.compatibleWith}" but the index is "${key}"; the default ${role} model must be compatible with the index`);
    }
  }
  const g = root.gallery === undefined ? {} : r.object(root.gallery, 'gallery');
  const gallery = { text: g.text === undefined ? defaults.text : r.string(g.text, 'gallery.text'), image: g.image === undefined ? defaults.image : r.string(g.image, 'gallery.image') };
  if (gallery.image !== defaults.image) r.fail('gallery.image', `names "${gallery.image}" but defaults.image is "${defaults.image}"; image queries and products share one image tower`);
  const galleryText = seen.get(gallery.text);
  if (galleryText === undefined || models[galleryText].role !== 'text') r.fail('gallery.text', `names "${gallery.text}", which is not a text model in models`);
  if (models[galleryText].compatibleWith !== null && models[galleryText].compatibleWith !== key) {
    r.fail('gallery.text', `names "${gallery.text}", whose compatibleWith is "${models[galleryText].compatibleWith}" but the index is "${key}"`);
  }
  models.forEach((m, i) => {
    if (m.role !== 'fusion') return;
    for (const side of ['image', 'text'] as const) {
      const dep = m.requires[side];
      if (dep === null) continue;
      const j = seen.get(dep);
      if (j === undefined || models[j].role !== side) r.fail(`models[${i}].requires.${side}`, `names "${dep}", which is not a ${side} model in models`);
    }
  });
  return { formatVersion: 1, index, trainingData, defaults, gallery, models };
}
