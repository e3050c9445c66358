/**
 * A fusion encoder for model sets without a trained fusion network (e.g. a pretrained CLIP
 * export): the normalised mean of the image and modifier-text embeddings, the usual zero-shot
 * baseline for composed retrieval in a shared space.
 */
import { weightedMean } from '../domain/embedding';
import type { FusionEncoder } from '../encoders/encoder';

export class MeanFusionEncoder implements FusionEncoder {
  constructor(
    readonly dim: number,
    private readonly imageWeight = 0.5,
  ) {}

  async fuse(pairs: { image: Float32Array; text: Float32Array }[]): Promise<Float32Array[]> {
    return pairs.map(({ image, text }) =>
      weightedMean([
        { vector: image, weight: this.imageWeight },
        { vector: text, weight: 1 - this.imageWeight },
      ]),
    );
  }
}
