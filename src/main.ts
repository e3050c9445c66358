/**
 * Wiring, and nothing else: config -> models -> stores -> services -> server.
 * `npm start` runs main(); tests and CLIs call the exported builders.
 */
import * as path from 'node:path';
import { loadConfig, ConfigError, type Config } from './config/config';
import { createLogger, type Logger } from './config/logger';
import { batchFusionEncoder, batchImageEncoder, batchTextEncoder } from './encoders/batched.encoder';
import { openClipHf } from './encoders/clip-hf/clip-hf.encoders';
import type { FusionEncoder, ImageEncoder, ModelVersion, TextEncoder } from './encoders/encoder';
import { ModelRegistry } from './encoders/model-registry';
import { OnnxSessionFactory } from './encoders/onnx/onnx-session.factory';
import { OnnxOutfitScorer } from './outfits/onnx-outfit.scorer';
import { OutfitService } from './outfits/outfit.service';
import { createEvaluationServices } from './evaluation/evaluation.factory';
import { EventLog } from './events/event-log';
import { createApolloServer } from './graphql/apollo.server';
import { createContext, type ApiServices } from './graphql/context';
import { CatalogIngestService } from './ingestion/catalog-ingest.service';
import { ImageLoader } from './ingestion/image-loader';
import { MediaStore } from './ingestion/media-store';
import { ProductWriterService } from './ingestion/product-writer.service';
import { AttributeReranker } from './search/attribute.reranker';
import { loadColourDictionary } from './query/colour-names';
import { Lexicon } from './query/lexicon';
import { CatalogVocabulary } from './search/catalog-vocabulary';
import { MeanFusionEncoder } from './search/mean.fusion';
import { SearchService, type SearchOptions, type SearchServiceDeps } from './search/search.service';
import { DEFAULT_UNDERSTANDING_POLICY, type UnderstandingPolicy } from './search/understood-conditions';
import { createHttpServer, listen } from './server/http.server';
import { createMediaRoutes } from './server/media.routes';
import { EmbeddedStore } from './stores/embedded/embedded.store';
import { quantization } from './stores/qdrant/qdrant-options';
import { createQdrantStore } from './stores/qdrant/qdrant.store';
import type { VectorStore } from './stores/vector-store';
import { createWebRoutes } from './web/web.routes';

export interface Encoders {
  text: TextEncoder;
  image: ImageEncoder;
  fusion: FusionEncoder;
  dim: number;
  /** Identifies the vector space and the models that fill it; a change means re-ingesting. */
  indexKey: string;
  models: (ModelVersion & { role: string })[];
  /** Loads every model now rather than on first use. */
  warmUp(): Promise<void>;
  /** The manifest's registry (named text baselines for evaluations); null for other adapters. */
  registry: ModelRegistry | null;
}

export async function buildEncoders(config: Config): Promise<Encoders> {
  const imageLimits = { maxBytes: config.maxImageBytes, maxPixels: 40_000_000 };
  let encoders: Encoders;
  if (config.modelAdapter === 'clip-hf') {
    const clip = await openClipHf({ modelDir: config.clipModelDir as string, intraOpThreads: config.onnxThreads, imageLimits });
    encoders = {
      text: clip.text,
      image: clip.image,
      fusion: new MeanFusionEncoder(clip.dim),
      dim: clip.dim,
      indexKey: `clip-hf:${clip.model.name}@${clip.model.version}`,
      models: [
        { ...clip.text.model, role: 'text' },
        { ...clip.image.model, role: 'image' },
      ],
      warmUp: async () => {
        await Promise.all([clip.text.load(), clip.image.load()]);
      },
      registry: null,
    };
  } else {
    const registry = await ModelRegistry.open(config.modelsDir, { intraOpThreads: config.onnxThreads, imageLimits });
    const versions = registry.versions();
    const fusion = registry.fusionEncoder();
    encoders = {
      text: registry.textEncoder(),
      image: registry.imageEncoder(),
      fusion: fusion ?? new MeanFusionEncoder(registry.index.dim),
      dim: registry.index.dim,
      indexKey: [registry.compatibilityKey, ...versions.models.filter((m) => m.role !== 'fusion').map((m) => `${m.role}=${m.name}@${m.version}`)].join(' '),
      models: versions.models,
      warmUp: () => registry.warmUp(),
      registry,
    };
  }
  if (config.microBatch.enabled) {
    const options = { maxBatchSize: config.microBatch.maxItems, maxDelayMs: config.microBatch.maxWaitMs };
    encoders.text = batchTextEncoder(encoders.text, options);
    encoders.image = batchImageEncoder(encoders.image, options);
    encoders.fusion = batchFusionEncoder(encoders.fusion, options);
  }
  return encoders;
}

export async function openStore(config: Config, dim: number): Promise<VectorStore> {
  const store: VectorStore =
    config.store === 'qdrant'
      ? createQdrantStore(
          { url: config.qdrant.url as string, apiKey: config.qdrant.apiKey ?? undefined },
          { collection: config.qdrant.collection, quantization: quantization(config.qdrant.quantization) },
        )
      : new EmbeddedStore({ directory: config.dataDir });
  await store.open({ image: dim, text: dim });
  return store;
}

/**
 * The catalogue vocabulary with what query understanding needs beyond it: the lexicon trained with
 * the models (models/fashion-lexicon; absent for other model adapters) and the colour dictionary.
 */
export async function openVocabulary(store: VectorStore, config: Config): Promise<CatalogVocabulary> {
  const lexicon = config.modelAdapter === 'manifest' ? await Lexicon.load(config.modelsDir) : Lexicon.empty();
  return new CatalogVocabulary(store, { lexicon, colourDictionary: loadColourDictionary() });
}

/** How understood attributes shape searches, as configured. */
export function understandingPolicy(search: Config['search']): UnderstandingPolicy {
  return {
    ...DEFAULT_UNDERSTANDING_POLICY,
    restrictConfidence: search.restrictConfidence,
    filterConfidence: search.filterConfidence,
    excludeConfidence: search.excludeConfidence,
  };
}

/** The search service as the API runs it; `overrides` replaces configured options (evaluations). */
export function createSearchService(
  deps: Omit<SearchServiceDeps, 'options'>,
  search: Config['search'],
  overrides: Partial<SearchOptions> = {},
): SearchService {
  return new SearchService({
    ...deps,
    options: {
      textSources: search.textSources,
      defaultImageWeight: search.defaultImageWeight,
      reranker: search.rerank ? new AttributeReranker({ weight: search.rerankWeight }) : null,
      understand: search.understand,
      understanding: understandingPolicy(search),
      ...overrides,
    },
  });
}

export interface Application {
  url: string;
  port: number;
  /** Resolves when the catalogue ingest has finished (rejects if it failed). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Starts the server; `encoders` replaces the configured models (tests run the wiring with fakes). */
export async function startApplication(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  overrides: { encoders?: Encoders } = {},
): Promise<Application> {
  const encoders = overrides.encoders ?? (await buildEncoders(config));
  const store = await openStore(config, encoders.dim);
  const events = new EventLog(path.join(config.dataDir, 'events.sqlite'));
  const vocabulary = await openVocabulary(store, config);
  const uploads = new MediaStore(path.join(config.dataDir, 'media'));
  const images = new ImageLoader({
    maxBytes: config.maxImageBytes,
    fetchTimeoutMs: config.imageFetchTimeoutMs,
    allowedDir: config.imageDir,
    allowPrivateNetworks: config.imageUrlAllowPrivate,
  });

  const searchParts = { store, textEncoder: encoders.text, imageEncoder: encoders.image, fusionEncoder: encoders.fusion, images, vocabulary };
  const search = createSearchService({ ...searchParts, log: events }, config.search);
  const writer = new ProductWriterService({
    store,
    textEncoder: encoders.text,
    imageEncoder: encoders.image,
    images,
    media: uploads,
    listener: {
      catalogChanged: async (names) => {
        vocabulary.observe(names);
        await vocabulary.refresh();
      },
    },
  });
  const ingest = new CatalogIngestService({
    store,
    textEncoder: encoders.text,
    imageEncoder: encoders.image,
    logger,
    options: { catalogDir: config.catalogDir, stateDir: config.dataDir, indexKey: encoders.indexKey, batchSize: config.ingestBatchSize, limit: config.catalogLimit },
  });

  const outfitScorer = await OnnxOutfitScorer.open(path.join(config.modelsDir, 'fashion-outfit'), new OnnxSessionFactory({ intraOpThreads: config.onnxThreads })).catch((error: Error) => {
    logger.warn('complete the look is disabled', { error: error.message });
    return null;
  });
  const outfits = outfitScorer ? new OutfitService(store, outfitScorer) : undefined;

  const { evaluation, analytics } = createEvaluationServices({
    outfitScorer,
    models: encoders.registry,
    store,
    eventLog: events,
    catalogDir: config.catalogDir,
    runsDir: path.join(config.dataDir, 'evaluations'),
    // Evaluation searches go through the same service, unlogged (they are not user searches).
    searchService: (overrides) => createSearchService(searchParts, config.search, overrides),
  });

  let modelsLoaded = false;
  const services: ApiServices = {
    search,
    products: store,
    writer,
    events,
    ingest,
    evaluation,
    analytics,
    outfits,
    info: async () => ({
      index: encoders.indexKey.split(' ')[0],
      models: encoders.models,
      store: (await store.info()).backend,
      productCount: (await store.info()).products,
      ready: ingest.ready,
    }),
  };

  const apollo = createApolloServer(logger);
  await apollo.start();
  const server = createHttpServer({
    apollo,
    context: () => createContext(services),
    readiness: () => {
      const status = ingest.status();
      return {
        ready: modelsLoaded && ingest.ready,
        checks: { models: modelsLoaded, store: true, ingest: status.state, processed: `${status.processed}/${status.total}` },
      };
    },
    routes: [createWebRoutes(), createMediaRoutes({ catalogDir: config.catalogDir, uploads })],
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });
  const address = await listen(server, config.port, config.host);
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info('listening', { url, graphql: `${url}/graphql`, lab: `${url}/lab` });

  const ready = (async () => {
    await encoders.warmUp();
    modelsLoaded = true;
    logger.info('models loaded', { index: encoders.indexKey });
    await ingest.run();
    await vocabulary.refresh();
    logger.info('ready', { products: (await store.info()).products });
  })();
  ready.catch((error) => logger.error('start-up failed: the server stays not ready', { error: (error as Error).message }));

  let closing: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    ready,
    close: () =>
      (closing ??= (async () => {
        // Requests in flight get a few seconds to finish; idle keep-alive connections close at once.
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), 5000);
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        await apollo.stop();
        ingest.cancel();
        await ready.catch(() => undefined);
        await store.close();
        events.close();
      })()),
  };
}

export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // A stray rejection is a bug to log, not a reason to drop every client's connection.
  process.on('unhandledRejection', (reason) => logger.error('unhandled promise rejection', { error: (reason as Error)?.stack ?? String(reason) }));
  const app = await startApplication(config, logger);
  const stop = (signal: string) => {
    logger.info('shutting down', { signal });
    app.close().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdown failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
