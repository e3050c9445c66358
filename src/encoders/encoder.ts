/**
 * Encoder ports. Implementations run ONNX models (src/encoders/onnx/*) and return L2-normalised
 * Float32Array embeddings of the manifest's dimension, in input order, one model run per batch.
 */
export interface TextEncoder {
  readonly dim: number;
  encode(texts: string[]): Promise<Float32Array[]>;
}

/** Images are encoded file bytes (JPEG, PNG, WebP, GIF, AVIF...); decoding is the encoder's job. */
export interface ImageEncoder {
  readonly dim: number;
  encode(images: Buffer[]): Promise<Float32Array[]>;
}

/** Composes a reference image embedding with a modifying text embedding into a product-space query. */
export interface FusionEncoder {
  readonly dim: number;
  fuse(pairs: { image: Float32Array; text: Float32Array }[]): Promise<Float32Array[]>;
}

export interface ModelVersion {
  name: string;
  version: string;
}
