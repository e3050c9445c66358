import type { FusionEncoder, ModelVersion } from '../encoder';
import { InvalidInputError } from '../../domain/errors';
import { once } from '../lazy';
import type { FusionModelEntry } from '../manifest';
import { embeddingRows } from './embedding-rows';
import { checkOutputDim, openCheckedSession } from './model-signature';
import { ort, type ModelSession, type SessionFactory } from './onnx-session.factory';

/** Fusion tower: (image embedding, text embedding) pairs -> product-space query embeddings, one ONNX run per batch. */
export class OnnxFusionEncoder implements FusionEncoder {
  readonly dim: number;
  readonly model: ModelVersion;
  readonly load: () => Promise<void>;
  private readonly session: () => Promise<ModelSession>;
  private readonly inputDims: [number, number];
  private readonly inputNames: [string, string];

  constructor(
    private readonly entry: FusionModelEntry,
    private readonly modelsDir: string,
    private readonly sessions: SessionFactory,
  ) {
    this.dim = entry.dim;
    this.model = { name: entry.name, version: entry.version };
    // The image input is the one named for images (image_embedding), else the first one.
    const imageIndex = Math.max(0, entry.inputs.findIndex((i) => /image/i.test(i.name)));
    const [imageInput, textInput] = [entry.inputs[imageIndex], entry.inputs[1 - imageIndex]];
    const last = (spec: { shape: (number | string)[] }) => {
      const d = spec.shape[spec.shape.length - 1];
      return typeof d === 'number' ? d : entry.dim;
    };
    this.inputDims = [last(imageInput), last(textInput)];
    this.inputNames = [imageInput.name, textInput.name];
    this.session = once(() => this.open());
    this.load = async () => {
      await this.session();
    };
  }

  private async open(): Promise<ModelSession> {
    const session = await openCheckedSession(this.sessions, this.modelsDir, this.entry);
    const unit = (n: number) => {
      const v = new Float32Array(n);
      v[0] = 1;
      return v;
    };
    const probe = await this.run(session, [{ image: unit(this.inputDims[0]), text: unit(this.inputDims[1]) }]);
    checkOutputDim(this.entry.name, probe.dims, this.dim);
    return session;
  }

  async fuse(pairs: { image: Float32Array; text: Float32Array }[]): Promise<Float32Array[]> {
    if (!Array.isArray(pairs)) throw new InvalidInputError('pairs must be an array of { image, text } embeddings');
    pairs.forEach((p, i) => {
      const [di, dt] = this.inputDims;
      if (!(p?.image instanceof Float32Array) || p.image.length !== di) throw new InvalidInputError(`pair ${i}: image embedding must be a Float32Array of length ${di}`, { index: i });
      if (!(p?.text instanceof Float32Array) || p.text.length !== dt) throw new InvalidInputError(`pair ${i}: text embedding must be a Float32Array of length ${dt}`, { index: i });
    });
    if (pairs.length === 0) return [];
    const out = await this.run(await this.session(), pairs);
    return embeddingRows(out.data, pairs.length, this.dim);
  }

  private async run(session: ModelSession, pairs: { image: Float32Array; text: Float32Array }[]): Promise<{ data: Float32Array; dims: number[] }> {
    const [di, dt] = this.inputDims;
    const image = new Float32Array(pairs.length * di);
    const text = new Float32Array(pairs.length * dt);
    pairs.forEach((p, i) => {
      image.set(p.image, i * di);
      text.set(p.text, i * dt);
    });
    const result = await session.run({
      [this.inputNames[0]]: new ort.Tensor('float32', image, [pairs.length, di]),
      [this.inputNames[1]]: new ort.Tensor('float32', text, [pairs.length, dt]),
    });
    const output = result[this.entry.outputs[0].name];
    return { data: output.data as Float32Array, dims: output.dims as number[] };
  }
}
