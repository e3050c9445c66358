import { ConfigError, loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      store: 'embedded',
      dataDir: 'data/store',
      catalogDir: 'seed/demo',
      modelsDir: 'models',
      modelAdapter: 'manifest',
      logLevel: 'info',
      microBatch: { enabled: true },
    });
    expect(c.search.textSources.length).toBeGreaterThan(0);
  });

  it('parses every kind of variable', () => {
    const c = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      STORE: 'qdrant',
      QDRANT_URL: 'http://localhost:6333',
      QDRANT_API_KEY: 'k',
      QDRANT_QUANTIZATION: 'binary',
      MODEL_ADAPTER: 'clip-hf',
      CLIP_MODEL_DIR: '/models/clip',
      MAX_IMAGE_BYTES: '2048',
      MICRO_BATCH: 'off',
      SEARCH_TEXT_SOURCES: 'text, lexical',
      SEARCH_RERANK: 'true',
      LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      store: 'qdrant',
      qdrant: { url: 'http://localhost:6333', apiKey: 'k', quantization: 'binary', collection: 'products' },
      modelAdapter: 'clip-hf',
      clipModelDir: '/models/clip',
      maxImageBytes: 2048,
      microBatch: { enabled: false },
      search: { textSources: ['text', 'lexical'], rerank: true },
      logLevel: 'warn',
    });
  });

  it('lists every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'http', STORE: 'redis', LOG_LEVEL: 'loud', MICRO_BATCH: 'maybe', SEARCH_TEXT_SOURCES: 'image,vibes', MAX_IMAGE_BYTES: '-5' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'STORE="redis": expected one of embedded, qdrant',
      'PORT="http": expected an integer from 0 to 65535',
      'MAX_IMAGE_BYTES="-5": expected an integer from 1024 to 104857600',
      'LOG_LEVEL="loud": expected one of debug, info, warn, error, silent',
      'MICRO_BATCH="maybe": expected true or false',
      'SEARCH_TEXT_SOURCES="image,vibes": expected a comma-separated list of image, text, lexical',
    ]);
    expect(error!.message).toContain('invalid configuration');
  });

  it('reads the overload and request limits, with defaults', () => {
    expect(loadConfig({})).toMatchObject({
      maxInFlight: 64,
      microBatch: { maxQueuedItems: 4096 },
      graphqlLimits: { maxDepth: 15, maxFields: 1000, maxCost: 1000, maxTokens: 20_000, maxErrors: 20, maxVariablesDepth: 32, maxVariableValues: 50_000 },
      rateLimits: { imageSearchPerMinute: 300, catalogWritePerMinute: 120, evaluationPerMinute: 60 },
      evaluationQueueSize: 4,
    });
    const c = loadConfig({
      MAX_IN_FLIGHT: '8',
      MICRO_BATCH_MAX_QUEUE: '100',
      GRAPHQL_MAX_DEPTH: '10',
      GRAPHQL_MAX_FIELDS: '200',
      GRAPHQL_MAX_COST: '500',
      GRAPHQL_MAX_TOKENS: '5000',
      GRAPHQL_MAX_ERRORS: '5',
      GRAPHQL_MAX_VARIABLES_DEPTH: '16',
      GRAPHQL_MAX_VARIABLE_VALUES: '1000',
      RATE_LIMIT_IMAGE_SEARCH: '0',
      RATE_LIMIT_CATALOG_WRITE: '30',
      RATE_LIMIT_EVALUATE: '2',
      EVALUATION_QUEUE_SIZE: '0',
    });
    expect(c).toMatchObject({
      maxInFlight: 8,
      microBatch: { maxQueuedItems: 100 },
      graphqlLimits: { maxDepth: 10, maxFields: 200, maxCost: 500, maxTokens: 5000, maxErrors: 5, maxVariablesDepth: 16, maxVariableValues: 1000 },
      rateLimits: { imageSearchPerMinute: 0, catalogWritePerMinute: 30, evaluationPerMinute: 2 },
      evaluationQueueSize: 0,
    });
    let error: ConfigError | undefined;
    try {
      loadConfig({ MAX_IN_FLIGHT: '0', GRAPHQL_MAX_DEPTH: '1', RATE_LIMIT_IMAGE_SEARCH: '-1', GRAPHQL_MAX_ERRORS: 'many' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error!.problems).toEqual([
      'MAX_IN_FLIGHT="0": expected an integer from 1 to 100000',
      'GRAPHQL_MAX_DEPTH="1": expected an integer from 2 to 1000',
      'GRAPHQL_MAX_ERRORS="many": expected an integer from 1 to 10000',
      'RATE_LIMIT_IMAGE_SEARCH="-1": expected an integer from 0 to 10000000',
    ]);
  });

  it('limits decoded image pixels (MAX_IMAGE_PIXELS)', () => {
    expect(loadConfig({}).maxImagePixels).toBe(40_000_000);
    expect(loadConfig({ MAX_IMAGE_PIXELS: '1000000' }).maxImagePixels).toBe(1_000_000);
    expect(() => loadConfig({ MAX_IMAGE_PIXELS: '0' })).toThrow(/MAX_IMAGE_PIXELS="0": expected an integer from 10000 to 268402689/);
  });

  it('checks combinations', () => {
    expect(() => loadConfig({ STORE: 'qdrant' })).toThrow(/STORE=qdrant needs QDRANT_URL/);
    expect(() => loadConfig({ MODEL_ADAPTER: 'clip-hf' })).toThrow(/needs CLIP_MODEL_DIR/);
    expect(() => loadConfig({ QDRANT_URL: 'ftp://x' })).toThrow(/expected an http\(s\) URL/);
    expect(() => loadConfig({ MAX_IMAGE_BYTES: '10000000', MAX_BODY_BYTES: '2000000' })).toThrow(/MAX_BODY_BYTES=2000000 is smaller/);
  });
});

describe('createLogger', () => {
  it('writes JSON lines at or above the level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (l) => lines.push(l));
    log.info('hidden');
    log.warn('shown', { n: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'shown', n: 1 });
  });
});
