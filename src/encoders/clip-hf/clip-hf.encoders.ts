import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AutoProcessor, AutoTokenizer, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, RawImage } from '@huggingface/transformers';
import { InvalidInputError } from '../../domain/errors';
import type { ImageEncoder, ModelVersion, TextEncoder } from '../encoder';
import { decodeImages, type ImageLimits } from '../image/image-decoder';
import { once } from '../lazy';
import { ModelLoadError } from '../model-load.error';
import { embeddingRows } from '../onnx/embedding-rows';
import { useLocalModelsOnly } from '../transformers-env';

/** Files of a Hugging Face CLIP-layout folder (as in the transformers.js model repositories). */
export const CLIP_HF_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'preprocessor_config.json',
  'onnx/text_model.onnx',
  'onnx/vision_model.onnx',
] as const;

export interface ClipHfOptions {
  /** Folder with config.json, tokenizer files, preprocessor_config.json and onnx/{text,vision}_model.onnx. */
  modelDir: string;
  intraOpThreads?: number;
  imageLimits: ImageLimits;
}

export interface ClipHfModel {
  model: ModelVersion;
  dim: number;
  text: TextEncoder & { load(): Promise<void>; readonly model: ModelVersion };
  image: ImageEncoder & { load(): Promise<void>; readonly model: ModelVersion };
}

interface OutputTensor {
  data: Float32Array;
  dims: number[];
}
type TextModel = (inputs: Record<string, unknown>) => Promise<{ text_embeds?: OutputTensor }>;
type VisionModel = (inputs: Record<string, unknown>) => Promise<{ image_embeds?: OutputTensor }>;
type Tokenizer = (texts: string[], options: { padding: boolean; truncation: boolean }) => Record<string, unknown>;
type Processor = (images: RawImage[]) => Promise<{ pixel_values: unknown }>;

async function hashFiles(dir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${f}\0`);
    await new Promise<void>((resolve, reject) => {
      createReadStream(path.join(dir, f))
        .on('data', (chunk) => hash.update(chunk))
        .on('end', resolve)
        .on('error', reject);
    });
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * Opens a CLIP-layout model folder: checks the files, reads the projection dimension from config.json and
 * derives the version from a hash of the files. The towers load lazily through transformers.js;
 * embeddings are L2-normalised here (CLIP graphs return unnormalised projections).
 */
export async function openClipHf(options: ClipHfOptions): Promise<ClipHfModel> {
  const dir = path.resolve(options.modelDir);
  const name = path.basename(dir);
  const missing: string[] = [];
  for (const f of CLIP_HF_FILES) {
    await fs.access(path.join(dir, f)).catch(() => missing.push(f));
  }
  if (missing.length) {
    throw new ModelLoadError(name, `the CLIP model folder ${dir} lacks ${missing.join(', ')}; it needs the transformers.js layout (${CLIP_HF_FILES.join(', ')})`);
  }
  let config: { projection_dim?: unknown; text_config?: { projection_dim?: unknown } };
  try {
    config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new ModelLoadError(name, `${path.join(dir, 'config.json')} is not valid JSON (${(err as Error).message})`);
  }
  const dim = config.projection_dim ?? config.text_config?.projection_dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) {
    throw new ModelLoadError(name, `${path.join(dir, 'config.json')} needs a positive integer projection_dim`);
  }
  const model: ModelVersion = { name, version: await hashFiles(dir, CLIP_HF_FILES) };
  useLocalModelsOnly(path.dirname(dir));
  const pretrained = {
    local_files_only: true,
    dtype: 'fp32' as const,
    device: 'cpu' as const,
    session_options: { intraOpNumThreads: options.intraOpThreads ?? 2, interOpNumThreads: 1 },
  };
  const wrap = async <T>(what: string, load: () => Promise<T>): Promise<T> => {
    try {
      return await load();
    } catch (err) {
      throw new ModelLoadError(name, `could not load the ${what} from ${dir} (${(err as Error).message})`);
    }
  };
  const checkDim = (out: OutputTensor | undefined, output: string): OutputTensor => {
    if (!out) throw new ModelLoadError(name, `the ONNX graph has no output "${output}"`);
    if (out.dims.length !== 2 || out.dims[1] !== dim) {
      throw new ModelLoadError(name, `output "${output}" has shape [${out.dims.join(', ')}] but config.json says projection_dim ${dim}`);
    }
    return out;
  };

  const textParts = once(async () => {
    const [tokenizer, textModel] = await Promise.all([
      wrap('tokenizer', async () => (await AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as Tokenizer),
      wrap('text model', async () => (await CLIPTextModelWithProjection.from_pretrained(dir, pretrained)) as unknown as TextModel),
    ]);
    checkDim((await textModel(tokenizer(['probe'], { padding: true, truncation: true }))).text_embeds, 'text_embeds');
    return { tokenizer, textModel };
  });
  const visionParts = once(async () => {
    const [processor, visionModel] = await Promise.all([
      wrap('image processor', async () => (await AutoProcessor.from_pretrained(dir, { local_files_only: true })) as unknown as Processor),
      wrap('vision model', async () => (await CLIPVisionModelWithProjection.from_pretrained(dir, pretrained)) as unknown as VisionModel),
    ]);
    const gray = new RawImage(new Uint8ClampedArray(64 * 64 * 3).fill(128), 64, 64, 3);
    checkDim((await visionModel(await processor([gray]))).image_embeds, 'image_embeds');
    return { processor, visionModel };
  });

  const text = {
    dim,
    model,
    load: async () => {
      await textParts();
    },
    async encode(texts: string[]): Promise<Float32Array[]> {
      if (!Array.isArray(texts)) throw new InvalidInputError('texts must be an array of strings');
      texts.forEach((t, i) => {
        if (typeof t !== 'string') throw new InvalidInputError(`text ${i} must be a string`, { index: i });
      });
      if (texts.length === 0) return [];
      const { tokenizer, textModel } = await textParts();
      const out = checkDim((await textModel(tokenizer(texts, { padding: true, truncation: true }))).text_embeds, 'text_embeds');
      return embeddingRows(out.data, texts.length, dim, 0);
    },
  };

  const image = {
    dim,
    model,
    load: async () => {
      await visionParts();
    },
    async encode(images: Buffer[]): Promise<Float32Array[]> {
      if (!Array.isArray(images)) throw new InvalidInputError('images must be an array of encoded image files');
      if (images.length === 0) return [];
      const [{ processor, visionModel }, decoded] = await Promise.all([
        visionParts(),
        decodeImages(images, options.imageLimits, undefined),
      ]);
      const raw = decoded.map((d) => new RawImage(new Uint8ClampedArray(d.data.buffer, d.data.byteOffset, d.data.length), d.width, d.height, 3));
      const out = checkDim((await visionModel(await processor(raw))).image_embeds, 'image_embeds');
      return embeddingRows(out.data, images.length, dim, 0);
    },
  };
  return { model, dim, text, image };
}
