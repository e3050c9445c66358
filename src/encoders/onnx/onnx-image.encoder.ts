import type { ImageEncoder, ModelVersion } from '../encoder';
import { InvalidInputError } from '../../domain/errors';
import { decodeImages, writePixels, type ImageLimits, type RgbImage } from '../image/image-decoder';
import { once } from '../lazy';
import type { ImageModelEntry } from '../manifest';
import { ModelLoadError } from '../model-load.error';
import { embeddingRows } from './embedding-rows';
import { checkOutputDim, openCheckedSession } from './model-signature';
import { ort, type ModelSession, type SessionFactory } from './onnx-session.factory';

/**
 * Image tower: sharp decodes and resizes each image as the manifest's preprocessing says,
 * pixels are normalised into one float32 tensor, and the batch runs in one ONNX call.
 */
export class OnnxImageEncoder implements ImageEncoder {
  readonly dim: number;
  readonly model: ModelVersion;
  readonly load: () => Promise<void>;
  private readonly session: () => Promise<ModelSession>;

  constructor(
    private readonly entry: ImageModelEntry,
    private readonly modelsDir: string,
    private readonly sessions: SessionFactory,
    private readonly limits: ImageLimits,
  ) {
    this.dim = entry.dim;
    this.model = { name: entry.name, version: entry.version };
    this.session = once(() => this.open());
    this.load = async () => {
      await this.session();
    };
  }

  private async open(): Promise<ModelSession> {
    const session = await openCheckedSession(this.sessions, this.modelsDir, this.entry);
    const inputShape = this.entry.inputs[0].shape;
    const { size, layout } = this.entry.preprocessing;
    const expected = layout === 'NCHW' ? [3, size, size] : [size, size, 3];
    const declared = inputShape.slice(1);
    if (declared.length !== 3 || declared.some((d, i) => typeof d === 'number' && d !== expected[i])) {
      throw new ModelLoadError(this.entry.name, `input shape [${inputShape.join(', ')}] does not match preprocessing (${layout}, size ${size})`);
    }
    const probe = await this.run(session, [{ data: Buffer.alloc(size * size * 3, 128), width: size, height: size }]);
    checkOutputDim(this.entry.name, probe.dims, this.dim);
    return session;
  }

  async encode(images: Buffer[]): Promise<Float32Array[]> {
    if (!Array.isArray(images)) throw new InvalidInputError('images must be an array of encoded image files');
    if (images.length === 0) return [];
    const { size, fit, background } = this.entry.preprocessing;
    const [session, decoded] = await Promise.all([
      this.session(),
      decodeImages(images, this.limits, { size, fit, background }),
    ]);
    const out = await this.run(session, decoded);
    return embeddingRows(out.data, images.length, this.dim);
  }

  private async run(session: ModelSession, images: RgbImage[]): Promise<{ data: Float32Array; dims: number[] }> {
    const { size, layout } = this.entry.preprocessing;
    const per = size * size * 3;
    const pixels = new Float32Array(images.length * per);
    images.forEach((img, i) => writePixels(img, this.entry.preprocessing, pixels, i * per));
    const dims = layout === 'NCHW' ? [images.length, 3, size, size] : [images.length, size, size, 3];
    const result = await session.run({ [this.entry.inputs[0].name]: new ort.Tensor('float32', pixels, dims) });
    const output = result[this.entry.outputs[0].name];
    return { data: output.data as Float32Array, dims: output.dims as number[] };
  }
}
