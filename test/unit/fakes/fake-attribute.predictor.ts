/**
 * An attributes model for unit tests: the probability of a value is a softmax over the values of
 * its attribute of 8 x (cosine between the embedding and the value's bag of words), so an image of
 * "red dress" (fake-encoders.ts) predicts red and dress.
 */
import type { AttributeModelSpec } from '../../../src/attributes/attribute-model';
import type { AttributePredictor, AttributeProbabilities } from '../../../src/attributes/attribute-predictor';
import { bagOfWords, DIM } from './fake-encoders';

export const FAKE_LABELS = {
  color: ['red', 'navy', 'black', 'white', 'green'],
  category: ['shirt', 'dress', 'sneaker', 'bag'],
  material: ['denim', 'cotton', 'leather'],
};

export class FakeAttributePredictor implements AttributePredictor {
  readonly model = { name: 'fake-attributes', version: '0' };
  readonly spec: AttributeModelSpec;
  readonly calls: number[] = [];

  constructor(overrides: Partial<AttributeModelSpec> = {}) {
    this.spec = {
      name: 'fake-attributes',
      version: '0',
      file: 'model.onnx',
      requires: 'fake-image',
      input: { name: 'embedding', dim: DIM },
      labels: FAKE_LABELS,
      minConfidence: 0.5,
      categoryFusion: { attribute: 'category', k: 10, classifierWeight: 0.5, filterConfidence: 0.8 },
      trainingDataHash: null,
      metrics: {},
      ...overrides,
    };
  }

  async predict(embeddings: Float32Array[]): Promise<AttributeProbabilities[]> {
    this.calls.push(embeddings.length);
    return embeddings.map((e) => {
      const out: AttributeProbabilities = {};
      for (const [name, values] of Object.entries(this.spec.labels)) {
        const logits = values.map((v) => {
          const b = bagOfWords(v, e.length);
          let d = 0;
          for (let i = 0; i < e.length; i++) d += e[i] * b[i];
          return 8 * d;
        });
        const m = Math.max(...logits);
        const ex = logits.map((l) => Math.exp(l - m));
        const sum = ex.reduce((a, b) => a + b, 0);
        out[name] = Float32Array.from(ex.map((x) => x / sum));
      }
      return out;
    });
  }
}

/**
 * A picture category model for unit tests: a fake picture (fake-encoders.ts) with the word
 * `looks<category>` ("lookssneaker") is that category with probability 1, else the category its words
 * name ("navy dress"), else all are equally likely.
 */
export class FakePictureClassifier {
  readonly spec = {
    name: 'fake-category',
    version: '0',
    attribute: 'category',
    labels: [...FAKE_LABELS.category],
    // the fake attributes model's classifier weight and filter confidence, the picture counting for 0.7 of the classifier
    fusion: { pictureWeight: 0.7, classifierWeight: 0.5, filterConfidence: 0.8 },
  };
  readonly calls: number[] = [];

  async classify(images: readonly Buffer[]): Promise<(Float32Array | null)[]> {
    this.calls.push(images.length);
    return images.map((image) => {
      const words = image.toString('latin1');
      const said = /looks([a-z]+)/.exec(words)?.[1] ?? this.spec.labels.find((l) => new RegExp(`\\b${l}\\b`).test(words));
      const at = said ? this.spec.labels.indexOf(said) : -1;
      return Float32Array.from(this.spec.labels, (_, i) => (at < 0 ? 1 / this.spec.labels.length : i === at ? 1 : 0));
    });
  }
}
