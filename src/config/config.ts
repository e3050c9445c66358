/**
 * Configuration from environment variables, parsed once at start against a schema. Every bad
 * variable is reported together (ConfigError lists them all), so one restart fixes them all.
 * `process.env` is read here and nowhere else.
 */
export type StoreBackend = 'embedded' | 'qdrant';
export type ModelAdapter = 'manifest' | 'clip-hf';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type TextSourceName = 'image' | 'text' | 'lexical';

export interface Config {
  port: number;
  host: string;
  store: StoreBackend;
  dataDir: string;
  catalogDir: string;
  /** Ingest only the first N catalogue products (0: all). */
  catalogLimit: number;
  modelsDir: string;
  modelAdapter: ModelAdapter;
  clipModelDir: string | null;
  qdrant: { url: string | null; apiKey: string | null; collection: string; quantization: 'none' | 'scalar' | 'binary' };
  maxImageBytes: number;
  imageFetchTimeoutMs: number;
  /** Whether image URLs may point at private or loopback addresses (off: no requests to internal services). */
  imageUrlAllowPrivate: boolean;
  /** Directory that server-side image paths of upsertProducts must lie in; null disables paths. */
  imageDir: string | null;
  /** Largest decoded image (width x height) accepted, against decompression bombs. */
  maxImagePixels: number;
  logLevel: LogLevel;
  ingestBatchSize: number;
  /** Intra-op threads per ONNX session. */
  onnxThreads: number;
  /** maxQueuedItems: items waiting per encoder beyond which calls are refused with OVERLOADED. */
  microBatch: { enabled: boolean; maxItems: number; maxWaitMs: number; maxQueuedItems: number };
  /**
   * Search strategy. The defaults were chosen on the validation split, never on test, with
   * `npm run seed:validation && npm run tune -- --set all --write-models-readme` (the table is in
   * models/README.md, "Search defaults"): text sources, re-ranking weight and the confidences at
   * which understood attributes restrict retrieval, filter, exclude and re-rank.
   */
  search: {
    textSources: TextSourceName[];
    rerank: boolean;
    rerankWeight: number;
    defaultImageWeight: number;
    /** Query understanding (spelling, attributes, exclusions, prices); off: text is searched as typed. */
    understand: boolean;
    /** Understood attributes at least this sure restrict an extra retrieval source. */
    restrictConfidence: number;
    /** Understood attributes at least this sure become filters; null: never. */
    filterConfidence: number | null;
    /** Understood exclusions at least this sure exclude products. */
    excludeConfidence: number;
    /** What an image query's predicted category does by default (requests may say otherwise). */
    categoryPrediction: 'AUTO' | 'BOOST' | 'FILTER' | 'OFF';
    /** Weight of colour similarity to the query picture in re-ranking image searches by default (requests may say otherwise). */
    colourWeight: number;
    /** Weight of the category boost of image searches (the predicted probability of each result's category, in re-ranking). */
    categoryBoostWeight: number;
  };
  /** Upper bound on a request body, in bytes. */
  maxBodyBytes: number;
  /**
   * Start without a trained fusion model, composing image + modifier searches by averaging the two
   * vectors (a manifest without a fusion model, or MODEL_ADAPTER=clip-hf). Off: such a start is refused.
   */
  allowMeanFusion: boolean;
  /** Longest wait (ms) for requests in flight at SIGTERM/SIGINT before their connections are closed. */
  shutdownTimeoutMs: number;
  /** Access control (API keys live in DATA_DIR/api-keys.sqlite, managed by `npm run keys`). */
  auth: {
    /** Searching and reading products need a key with the `search` role (default: open to anyone). */
    searchRequiresKey: boolean;
    /** /metrics needs a key with the `analyst` role (default: open). */
    metricsRequireKey: boolean;
  };
  /** GraphQL introspection (__schema, __type); production should turn it off. */
  graphqlIntrospection: boolean;
  /** Serve the GraphiQL playground (GET /graphql from a browser) and the search lab (/lab). */
  playground: boolean;
  /** Origins allowed to call the API from a browser (CORS); empty: same origin only; ['*']: any. */
  corsOrigins: string[];
  /** GraphQL requests processed at once; beyond it requests get 503 OVERLOADED. */
  maxInFlight: number;
  /** Limits of every GraphQL request (src/graphql/limits/graphql-limits.ts). */
  graphqlLimits: {
    maxDepth: number;
    maxFields: number;
    maxCost: number;
    maxTokens: number;
    maxErrors: number;
    maxVariablesDepth: number;
    maxVariableValues: number;
  };
  /** Per-client operations a minute (0: unlimited): image searches, catalogue writes, evaluations. */
  rateLimits: { imageSearchPerMinute: number; catalogWritePerMinute: number; evaluationPerMinute: number };
  /** Evaluation jobs that may wait behind the running one. */
  evaluationQueueSize: number;
  /**
   * Predicted attributes: the confidence from which a predicted value is filterable
   * (PREDICTED_ATTRIBUTES_MIN_CONFIDENCE; null: the attributes model's own, chosen on validation).
   * Applies to products written from then on; a gallery rebuild re-predicts every product.
   */
  predictedAttributesMinConfidence: number | null;
  /**
   * Colour profiles of product pictures (src/vision/colour/; COLOUR_PROFILES, default true): every
   * write with an image stores the colours of the product's region, on a worker thread.
   */
  colourProfiles: boolean;
  /** Merchandising rules: how often each server looks for a release published by another (RULES_REFRESH_MS; 0: never). */
  rules: { refreshMs: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | null {
    return this.raw(name) ?? null;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name}="${v}": expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(v);
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name}="${v}": expected a number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /** A number in [min, max], or "off" for null. */
  numberOrOff(name: string, fallback: number | null, min: number, max: number): number | null {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (v.toLowerCase() === 'off') return null;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name}="${v}": expected a number from ${min} to ${max}, or off`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name}="${this.raw(name)}": expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name}="${v}": expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return v as T;
  }

  list<T extends string>(name: string, allowed: readonly T[], fallback: T[]): T[] {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
    if (items.length === 0 || bad.length) {
      this.problems.push(`${name}="${v}": expected a comma-separated list of ${allowed.join(', ')}`);
      return fallback;
    }
    return [...new Set(items)] as T[];
  }

  /** A comma list of browser origins (scheme://host[:port]), or "*" alone for any origin. */
  origins(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const items = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
    if (items.includes('*')) {
      if (items.length > 1) this.problems.push(`${name}="${v}": "*" allows every origin; give it alone or list origins without it`);
      return ['*'];
    }
    const bad = items.filter((o) => {
      try {
        const u = new URL(o);
        return (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o;
      } catch {
        return true;
      }
    });
    if (items.length === 0 || bad.length) {
      this.problems.push(`${name}="${v}": expected "*" or a comma-separated list of origins such as https://shop.example.com (scheme, host and port only${bad.length ? `; not valid: ${bad.join(', ')}` : ''})`);
      return [];
    }
    return items;
  }

  url(name: string): string | null {
    const v = this.raw(name);
    if (v === undefined) return null;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      return v;
    } catch {
      this.problems.push(`${name}="${v}": expected an http(s) URL such as http://localhost:6333`);
      return null;
    }
  }
}

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const store = r.oneOf('STORE', ['embedded', 'qdrant'] as const, 'embedded');
  const modelAdapter = r.oneOf('MODEL_ADAPTER', ['manifest', 'clip-hf'] as const, 'manifest');
  const dataDir = r.string('DATA_DIR', 'data/store');
  const catalogDir = r.string('CATALOG_DIR', 'seed/demo');
  const config: Config = {
    port: r.int('PORT', 4000, 0, 65535),
    host: r.string('HOST', '127.0.0.1'),
    store,
    dataDir,
    catalogDir,
    catalogLimit: r.int('CATALOG_LIMIT', 0, 0, 10_000_000),
    modelsDir: r.string('MODELS_DIR', 'models'),
    modelAdapter,
    clipModelDir: r.optional('CLIP_MODEL_DIR'),
    qdrant: {
      url: r.url('QDRANT_URL'),
      apiKey: r.optional('QDRANT_API_KEY'),
      collection: r.string('QDRANT_COLLECTION', 'products'),
      quantization: r.oneOf('QDRANT_QUANTIZATION', ['none', 'scalar', 'binary'] as const, 'none'),
    },
    maxImageBytes: r.int('MAX_IMAGE_BYTES', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    imageFetchTimeoutMs: r.int('IMAGE_FETCH_TIMEOUT_MS', 5000, 100, 120_000),
    imageUrlAllowPrivate: r.bool('IMAGE_URL_ALLOW_PRIVATE', false),
    imageDir: r.optional('IMAGE_DIR'),
    maxImagePixels: r.int('MAX_IMAGE_PIXELS', 40_000_000, 10_000, 268_402_689),
    logLevel: r.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    ingestBatchSize: r.int('INGEST_BATCH_SIZE', 128, 1, 4096),
    // One thread per session: the image and text towers run side by side during ingest, and on two
    // cores that beat two threads each (2,000 demo products: 8 s against 11 s).
    onnxThreads: r.int('ONNX_THREADS', 1, 1, 64),
    microBatch: {
      enabled: r.bool('MICRO_BATCH', true),
      maxItems: r.int('MICRO_BATCH_MAX_ITEMS', 64, 1, 4096),
      maxWaitMs: r.int('MICRO_BATCH_MAX_WAIT_MS', 3, 0, 1000),
      maxQueuedItems: r.int('MICRO_BATCH_MAX_QUEUE', 4096, 1, 1_000_000),
    },
    search: {
      textSources: r.list('SEARCH_TEXT_SOURCES', ['image', 'text', 'lexical'] as const, ['image', 'text', 'lexical']),
      rerank: r.bool('SEARCH_RERANK', true),
      rerankWeight: r.number('SEARCH_RERANK_WEIGHT', 2, 0, 100),
      defaultImageWeight: r.number('SEARCH_IMAGE_WEIGHT', 0.5, 0, 1),
      understand: r.bool('SEARCH_UNDERSTANDING', true),
      categoryPrediction: r.oneOf('SEARCH_CATEGORY_PREDICTION', ['AUTO', 'BOOST', 'FILTER', 'OFF'] as const, 'AUTO'),
      colourWeight: r.number('SEARCH_COLOUR_WEIGHT', 0, 0, 1),
      categoryBoostWeight: r.number('SEARCH_CATEGORY_BOOST_WEIGHT', 0.1, 0, 10),
      restrictConfidence: r.number('SEARCH_RESTRICT_CONFIDENCE', 0.3, 0, 1),
      filterConfidence: r.numberOrOff('SEARCH_FILTER_CONFIDENCE', null, 0, 1),
      excludeConfidence: r.number('SEARCH_EXCLUDE_CONFIDENCE', 0.5, 0, 1),
    },
    maxBodyBytes: r.int('MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    allowMeanFusion: r.bool('ALLOW_MEAN_FUSION', false),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    auth: {
      searchRequiresKey: r.bool('AUTH_SEARCH_REQUIRES_KEY', false),
      metricsRequireKey: r.bool('METRICS_REQUIRE_KEY', false),
    },
    graphqlIntrospection: r.bool('GRAPHQL_INTROSPECTION', true),
    playground: r.bool('PLAYGROUND', true),
    corsOrigins: r.origins('CORS_ORIGINS'),
    maxInFlight: r.int('MAX_IN_FLIGHT', 64, 1, 100_000),
    graphqlLimits: {
      maxDepth: r.int('GRAPHQL_MAX_DEPTH', 15, 2, 1000),
      maxFields: r.int('GRAPHQL_MAX_FIELDS', 1000, 10, 1_000_000),
      maxCost: r.int('GRAPHQL_MAX_COST', 1000, 10, 100_000_000),
      maxTokens: r.int('GRAPHQL_MAX_TOKENS', 20_000, 100, 10_000_000),
      maxErrors: r.int('GRAPHQL_MAX_ERRORS', 20, 1, 10_000),
      maxVariablesDepth: r.int('GRAPHQL_MAX_VARIABLES_DEPTH', 32, 4, 10_000),
      maxVariableValues: r.int('GRAPHQL_MAX_VARIABLE_VALUES', 50_000, 100, 100_000_000),
    },
    rateLimits: {
      imageSearchPerMinute: r.int('RATE_LIMIT_IMAGE_SEARCH', 300, 0, 10_000_000),
      catalogWritePerMinute: r.int('RATE_LIMIT_CATALOG_WRITE', 120, 0, 10_000_000),
      evaluationPerMinute: r.int('RATE_LIMIT_EVALUATE', 60, 0, 10_000_000),
    },
    evaluationQueueSize: r.int('EVALUATION_QUEUE_SIZE', 4, 0, 1000),
    rules: { refreshMs: r.int('RULES_REFRESH_MS', 5000, 0, 3_600_000) },
    predictedAttributesMinConfidence: r.numberOrOff('PREDICTED_ATTRIBUTES_MIN_CONFIDENCE', null, 0, 1),
    colourProfiles: r.bool('COLOUR_PROFILES', true),
  };
  if (store === 'qdrant' && !config.qdrant.url) r.problems.push('STORE=qdrant needs QDRANT_URL (e.g. http://localhost:6333)');
  if (modelAdapter === 'clip-hf' && !config.clipModelDir) {
    r.problems.push('MODEL_ADAPTER=clip-hf needs CLIP_MODEL_DIR (a folder with config.json, tokenizer.json and onnx/)');
  }
  if (config.maxBodyBytes < Math.ceil((config.maxImageBytes * 4) / 3)) {
    r.problems.push(`MAX_BODY_BYTES=${config.maxBodyBytes} is smaller than a base64 image of MAX_IMAGE_BYTES=${config.maxImageBytes}; raise it`);
  }
  if (r.problems.length) throw new ConfigError(r.problems);
  return config;
}
