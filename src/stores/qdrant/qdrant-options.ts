/**
 * Settings of the Qdrant store, with defaults and validation. Values come from the caller (the
 * server's config module or a CLI); nothing here reads the environment.
 */
import { InvalidInputError } from '../../domain/errors';
import { DEFAULT_BM25, type Bm25Params } from './lexical-terms';

export type QuantizationOptions =
  | { kind: 'none' }
  | {
      /** int8 scalar quantization (4x smaller) or 1-bit binary quantization (32x smaller). */
      kind: 'scalar' | 'binary';
      /** Candidates fetched from the quantized index per requested result, rescored with full vectors. */
      oversampling: number;
      /** Rescore candidates with the original vectors (recommended, and essential for binary). */
      rescore: boolean;
      /** Keep quantized vectors pinned in RAM. */
      pinned: boolean;
      /** Scalar only: quantile used to clip outliers before quantizing. */
      quantile?: number;
    };

export interface QdrantStoreOptions {
  /** Collection holding one catalogue. */
  collection: string;
  quantization: QuantizationOptions;
  /** Shards the collection is split into (fixed at creation). */
  shards: number;
  /** Copies of each shard (fault tolerance and read throughput). */
  replicas: number;
  /** Replicas that must confirm a write before it is acknowledged. */
  writeConsistency: number;
  /** Keep original vectors on disk (memory-mapped) instead of in RAM; pairs well with quantization. */
  vectorsOnDisk: boolean;
  /** HNSW graph degree and build beam; search beam (`ef`) per query, none = Qdrant's default. */
  hnsw: { m?: number; efConstruct?: number; ef?: number };
  /** Points per upsert request. */
  batchSize: number;
  /**
   * Each fused source fetches `ceil(limit * prefetchFactor)` candidates. 1 (the default) ranks every
   * source to the requested depth, as the embedded store does; more lets deeper candidates compete.
   */
  prefetchFactor: number;
  /** Retries on 5xx answers, timeouts and dropped connections; 4xx answers are never retried. */
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  lexical: Bm25Params;
}

export const DEFAULT_QDRANT_STORE_OPTIONS: QdrantStoreOptions = {
  collection: 'products',
  quantization: { kind: 'none' },
  shards: 1,
  replicas: 1,
  writeConsistency: 1,
  vectorsOnDisk: false,
  hnsw: {},
  batchSize: 256,
  prefetchFactor: 1,
  retry: { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 },
  lexical: DEFAULT_BM25,
};

/** Quantization defaults per kind: binary needs more oversampling than scalar to keep recall. */
export function quantization(kind: 'none' | 'scalar' | 'binary', overrides: Partial<Omit<Exclude<QuantizationOptions, { kind: 'none' }>, 'kind'>> = {}): QuantizationOptions {
  if (kind === 'none') return { kind };
  return { kind, oversampling: kind === 'binary' ? 3 : 1.5, rescore: true, pinned: true, ...overrides };
}

const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export type QdrantStoreSettings = Partial<Omit<QdrantStoreOptions, 'retry' | 'lexical' | 'hnsw'>> & {
  retry?: Partial<QdrantStoreOptions['retry']>;
  lexical?: Partial<Bm25Params>;
  hnsw?: QdrantStoreOptions['hnsw'];
};

/** Fills defaults and checks every value; throws one error listing every problem. */
export function resolveQdrantStoreOptions(settings: QdrantStoreSettings = {}): QdrantStoreOptions {
  const d = DEFAULT_QDRANT_STORE_OPTIONS;
  const options: QdrantStoreOptions = {
    ...d,
    ...settings,
    retry: { ...d.retry, ...settings.retry },
    lexical: { ...d.lexical, ...settings.lexical },
    hnsw: { ...d.hnsw, ...settings.hnsw },
  };
  const problems: string[] = [];
  const positiveInt = (name: string, value: number | undefined, optional = false): void => {
    if (optional && value === undefined) return;
    if (!Number.isInteger(value) || (value as number) < 1) problems.push(`${name} must be a positive integer (got ${value})`);
  };
  if (!COLLECTION_NAME.test(options.collection)) {
    problems.push(`collection must be 1-255 letters, digits, '_', '-' or '.', starting with a letter or digit (got ${JSON.stringify(options.collection)})`);
  }
  positiveInt('shards', options.shards);
  positiveInt('replicas', options.replicas);
  positiveInt('writeConsistency', options.writeConsistency);
  if (Number.isInteger(options.writeConsistency) && options.writeConsistency > options.replicas) {
    problems.push(`writeConsistency (${options.writeConsistency}) must not exceed replicas (${options.replicas})`);
  }
  positiveInt('batchSize', options.batchSize);
  positiveInt('hnsw.m', options.hnsw.m, true);
  positiveInt('hnsw.efConstruct', options.hnsw.efConstruct, true);
  positiveInt('hnsw.ef', options.hnsw.ef, true);
  positiveInt('retry.attempts', options.retry.attempts);
  if (!(options.prefetchFactor >= 1)) problems.push(`prefetchFactor must be at least 1 (got ${options.prefetchFactor})`);
  if (!(options.retry.baseDelayMs >= 0) || !(options.retry.maxDelayMs >= options.retry.baseDelayMs)) {
    problems.push('retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs');
  }
  const q = options.quantization;
  if (q.kind !== 'none') {
    if (q.kind !== 'scalar' && q.kind !== 'binary') problems.push(`quantization.kind must be none, scalar or binary (got ${(q as { kind: string }).kind})`);
    if (!(q.oversampling >= 1)) problems.push(`quantization.oversampling must be at least 1 (got ${q.oversampling})`);
    if (q.quantile !== undefined && (q.kind !== 'scalar' || !(q.quantile >= 0.5 && q.quantile <= 1))) {
      problems.push('quantization.quantile applies to scalar quantization and must be within [0.5, 1]');
    }
  }
  const { k1, b, avgDocLength } = options.lexical;
  if (!(k1 >= 0)) problems.push(`lexical.k1 must be >= 0 (got ${k1})`);
  if (!(b >= 0 && b <= 1)) problems.push(`lexical.b must be within [0, 1] (got ${b})`);
  if (!(avgDocLength > 0)) problems.push(`lexical.avgDocLength must be > 0 (got ${avgDocLength})`);
  if (problems.length > 0) {
    throw new InvalidInputError(`invalid Qdrant store settings: ${problems.join('; ')}`, { problems });
  }
  return options;
}
