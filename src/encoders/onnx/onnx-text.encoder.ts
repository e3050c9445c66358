import * as path from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import type { ModelVersion, TextEncoder } from '../encoder';
import { InvalidInputError } from '../../domain/errors';
import { once } from '../lazy';
import type { TextModelEntry } from '../manifest';
import { ModelLoadError } from '../model-load.error';
import { useLocalModelsOnly } from '../transformers-env';
import { embeddingRows } from './embedding-rows';
import { checkOutputDim, openCheckedSession } from './model-signature';
import { ort, type ModelSession, type SessionFactory } from './onnx-session.factory';

interface TokenTensor {
  data: BigInt64Array;
  dims: number[];
}
interface Encoded {
  input_ids: TokenTensor;
  attention_mask: TokenTensor;
  token_type_ids?: TokenTensor;
}
export type Tokenize = (texts: string[], options: { padding: boolean; truncation: boolean; max_length: number; add_special_tokens?: boolean }) => Encoded;

/** Loads the Hugging Face tokenizer.json folder with transformers.js, from disk only. */
export async function loadTokenizer(dir: string, model: string): Promise<Tokenize> {
  useLocalModelsOnly(path.dirname(dir));
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    return tokenizer as unknown as Tokenize;
  } catch (err) {
    throw new ModelLoadError(model, `could not load the tokenizer from ${dir} (${(err as Error).message})`);
  }
}

/**
 * Text tower: transformers.js tokenizer (padding + truncation to maxLength) and one ONNX run per batch.
 * Returns L2-normalised Float32Array embeddings in input order.
 */
export class OnnxTextEncoder implements TextEncoder {
  readonly dim: number;
  readonly model: ModelVersion;
  private readonly maxChars: number;
  readonly load: () => Promise<void>;
  private readonly loaded: () => Promise<{ tokenize: Tokenize; session: ModelSession }>;

  constructor(
    private readonly entry: TextModelEntry,
    private readonly modelsDir: string,
    private readonly sessions: SessionFactory,
  ) {
    this.dim = entry.dim;
    this.model = { name: entry.name, version: entry.version };
    // Inputs longer than this cannot contribute more than maxLength tokens; cut them before tokenising.
    this.maxChars = entry.tokenizer.maxLength * 64;
    this.loaded = once(() => this.open());
    this.load = async () => {
      await this.loaded();
    };
  }

  private async open(): Promise<{ tokenize: Tokenize; session: ModelSession }> {
    const [tokenize, session] = await Promise.all([
      loadTokenizer(path.join(this.modelsDir, this.entry.tokenizer.dir), this.entry.name),
      openCheckedSession(this.sessions, this.modelsDir, this.entry, ['token_type_ids']),
    ]);
    const probe = await this.run(tokenize, session, ['probe']);
    checkOutputDim(this.entry.name, probe.dims, this.dim);
    return { tokenize, session };
  }

  async encode(texts: string[]): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw new InvalidInputError('texts must be an array of strings');
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new InvalidInputError(`text ${i} must be a string`, { index: i });
    });
    if (texts.length === 0) return [];
    const { tokenize, session } = await this.loaded();
    const out = await this.run(tokenize, session, texts.map((t) => (t.length > this.maxChars ? t.slice(0, this.maxChars) : t)));
    return embeddingRows(out.data, texts.length, this.dim);
  }

  /** Token ids (with special tokens, no padding) as the model sees them. */
  async tokenize(text: string): Promise<number[]> {
    const { tokenize } = await this.loaded();
    const enc = tokenize([text], { padding: false, truncation: true, max_length: this.entry.tokenizer.maxLength });
    return Array.from(enc.input_ids.data, Number);
  }

  private async run(tokenize: Tokenize, session: ModelSession, texts: string[]): Promise<{ data: Float32Array; dims: number[] }> {
    const enc = tokenize(texts, { padding: true, truncation: true, max_length: this.entry.tokenizer.maxLength });
    const [batch, seq] = enc.input_ids.dims;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputs) {
      const source = input.name === 'input_ids' ? enc.input_ids : input.name === 'attention_mask' ? enc.attention_mask : enc.token_type_ids;
      const data = source ? source.data : new BigInt64Array(batch * seq);
      feeds[input.name] = input.type === 'int32' ? new ort.Tensor('int32', Int32Array.from(data, Number), [batch, seq]) : new ort.Tensor('int64', data, [batch, seq]);
    }
    const result = await session.run(feeds);
    const output = result[this.entry.outputs[0].name];
    return { data: output.data as Float32Array, dims: output.dims as number[] };
  }
}
