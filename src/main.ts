/**
 * Wiring, and nothing else: config -> models -> stores -> services -> server.
 * `npm start` runs main(); tests and CLIs call the exported builders.
 */
import * as path from 'node:path';
import { ApiKeyStore } from './auth/api-key.store';
import { Authorizer } from './auth/authorizer';
import { loadConfig, ConfigError, type Config } from './config/config';
import { createLogger, type Logger } from './config/logger';
import { batchFusionEncoder, batchImageEncoder, batchTextEncoder, type EncoderObserver } from './encoders/batched.encoder';
import { openClipHf } from './encoders/clip-hf/clip-hf.encoders';
import type { FusionEncoder, ImageEncoder, ModelVersion, TextEncoder } from './encoders/encoder';
import { ModelRegistry } from './encoders/model-registry';
import { ReloadableQueryModels, type GalleryChange, type QueryModels, type ReloadResult } from './encoders/query-models';
import { IncompatibleModelsError, UnavailableError } from './domain/errors';
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
import { ProductImageReader } from './ingestion/product-image.reader';
import { ProductWriterService } from './ingestion/product-writer.service';
import { Metrics } from './observability/metrics';
import { AttributeReranker } from './search/attribute.reranker';
import { loadColourDictionary } from './query/colour-names';
import { Lexicon } from './query/lexicon';
import { CatalogVocabulary } from './search/catalog-vocabulary';
import { MeanFusionEncoder } from './search/mean.fusion';
import { DEFAULT_SEARCH_OPTIONS, SearchService, type SearchOptions, type SearchServiceDeps } from './search/search.service';
import { RuleBook } from './rules/rule-book.service';
import { OnnxAttributePredictor } from './attributes/attribute-predictor';
import { predictingStore } from './attributes/predicting.store';
import { CategoryPredictor } from './attributes/category-prediction';
import { CachedColourProfiler, COLOUR_CACHE_FILE, COLOUR_PROFILE_VERSION, readColourCache, type ColourProfiler } from './vision/colour/colour-profiler';
import { WorkerColourProfiler } from './vision/colour/colour-profile-worker.runner';
import { OnnxPictureClassifier } from './attributes/picture-category';
import { RulePreviewService } from './rules/rule-preview.service';
import { workerStatistics } from './evaluation/statistics-worker.runner';
import { DEFAULT_UNDERSTANDING_POLICY, type UnderstandingPolicy } from './search/understood-conditions';
import { createHttpServer, listen } from './server/http.server';
import { InFlightLimiter } from './server/in-flight.limiter';
import { TokenBucketLimiter } from './server/token-bucket.limiter';
import type { RateLimitedKind } from './graphql/rate-limit.guard';
import { createMediaRoutes } from './server/media.routes';
import { drainServer } from './server/graceful-shutdown';
import { createMetricsRoute } from './server/metrics.routes';
import { timedStore } from './stores/timed.store';
import type { VectorStore } from './stores/vector-store';
import { createWebRoutes } from './web/web.routes';

export interface Encoders {
  /** The query text tower. */
  text: TextEncoder;
  /** The text tower that embeds products (the `text` space); `text` when absent. */
  galleryText?: TextEncoder;
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
  /** Set when no fusion model exists and `fusion` averages the image and text vectors instead. */
  meanFusion?: { reason: string };
}

/**
 * Refuses a server start on the mean-of-vectors fallback for composed searches unless
 * ALLOW_MEAN_FUSION=true says it is wanted: a deployment that lost its fusion model must not
 * silently answer "this, but in red" worse than it was measured to.
 */
export function checkFusion(encoders: Pick<Encoders, 'meanFusion'>, config: Pick<Config, 'allowMeanFusion'>): void {
  if (!encoders.meanFusion || config.allowMeanFusion) return;
  throw new ConfigError([
    `${encoders.meanFusion.reason}, so image + modifier searches would average the image and text vectors instead of using a trained fusion network. ` +
      'Train and export a fusion model (npm run train), or set ALLOW_MEAN_FUSION=true to serve with the mean of vectors.',
  ]);
}

/** The index key of a manifest's gallery: the index and the models that embed products. */
export function galleryKey(registry: ModelRegistry): string {
  return [registry.compatibilityKey, ...registry.galleryModels().map((m) => `${m.role}=${m.name}@${m.version}`)].join(' ');
}

export async function buildEncoders(config: Config, observer?: EncoderObserver): Promise<Encoders> {
  const imageLimits = { maxBytes: config.maxImageBytes, maxPixels: config.maxImagePixels };
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
      meanFusion: { reason: 'MODEL_ADAPTER=clip-hf has no fusion model' },
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
      galleryText: registry.galleryTextEncoder(),
      indexKey: galleryKey(registry),
      models: versions.models,
      warmUp: () => registry.warmUp(),
      registry,
      ...(fusion ? {} : { meanFusion: { reason: `${path.join(config.modelsDir, 'manifest.json')} names no fusion model (defaults.fusion)` } }),
    };
  }
  if (config.microBatch.enabled) {
    const options = { maxBatchSize: config.microBatch.maxItems, maxDelayMs: config.microBatch.maxWaitMs, maxQueuedItems: config.microBatch.maxQueuedItems, observer };
    const sameText = encoders.galleryText === undefined || encoders.galleryText === encoders.text;
    encoders.text = batchTextEncoder(encoders.text, options);
    encoders.galleryText = sameText ? encoders.text : batchTextEncoder(encoders.galleryText as TextEncoder, options);
    encoders.image = batchImageEncoder(encoders.image, options);
    encoders.fusion = batchFusionEncoder(encoders.fusion, options);
  }
  return encoders;
}

import { currentEmbeddedDirectory, openGalleryTarget, openStore, removeReplacedGallery, ruleStore } from './gallery/gallery-locations';
import { GalleryRebuildService, type GalleryModels, type GalleryTarget, type RebuildStatus } from './gallery/gallery-rebuild.service';
import { modelRecord, otherWeights, spaceIdentity, spaceModels } from './gallery/space-models';
import { SwitchableStore } from './gallery/switchable.store';

export { openStore };

/**
 * The catalogue vocabulary with what query understanding needs beyond it: the lexicon trained with
 * the models (models/fashion-lexicon; absent for other model adapters) and the colour dictionary.
 */
export async function openVocabulary(store: VectorStore, config: Config, logger?: Pick<Logger, 'warn'>): Promise<CatalogVocabulary> {
  const lexicon = config.modelAdapter === 'manifest' ? await Lexicon.load(config.modelsDir) : Lexicon.empty();
  if (config.modelAdapter === 'manifest' && lexicon.isEmpty) {
    logger?.warn('no query lexicon: query understanding knows only the catalogue\'s own values (no learned phrases, colour anchors or word vectors)', {
      expected: path.join(config.modelsDir, 'fashion-lexicon', 'lexicon.json'),
      fix: 'npm run lexicon',
    });
  }
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

/**
 * The attributes model (models/fashion-attributes), or null when it is missing, or reads another
 * image tower's embeddings than the running one's (another name or dimension, or no image tower at
 * all; logged: predictions and category prediction are off).
 */
async function openAttributePredictor(config: Config, encoders: Encoders, logger: Logger): Promise<OnnxAttributePredictor | null> {
  const image = encoders.models.find((m) => m.role === 'image');
  try {
    const predictor = await OnnxAttributePredictor.open(path.join(config.modelsDir, 'fashion-attributes'), new OnnxSessionFactory({ intraOpThreads: config.onnxThreads }), {
      minConfidence: config.predictedAttributesMinConfidence,
    });
    if (!image || predictor.spec.requires !== image.name || predictor.spec.input.dim !== encoders.dim) {
      logger.warn('attribute predictions are off: the attributes model reads another image tower', {
        requires: predictor.spec.requires,
        image: image?.name ?? null,
        dim: predictor.spec.input.dim,
        imageDim: encoders.dim,
      });
      return null;
    }
    await predictor.load();
    return predictor;
  } catch (error) {
    logger.warn('attribute predictions are off', { error: (error as Error).message });
    return null;
  }
}

/**
 * The picture category model (a manifest entry of role category), or null when the manifest has none
 * or it shares another image tower's preprocessing than the running one's (logged).
 */
async function openPictureClassifier(config: Config, encoders: Encoders, logger: Logger): Promise<OnnxPictureClassifier | null> {
  const image = encoders.models.find((m) => m.role === 'image');
  try {
    const classifier = await OnnxPictureClassifier.open(config.modelsDir, new OnnxSessionFactory({ intraOpThreads: config.onnxThreads }), {
      maxBytes: config.maxImageBytes,
      maxPixels: config.maxImagePixels,
    });
    if (!classifier) return null;
    if (!classifier.spec.fusion) {
      logger.warn('picture categories are off: the category model\'s fusion settings are not chosen yet (npm run eval:attributes -- --split validation --write-fusion)', { model: classifier.spec.name });
      return null;
    }
    if (!image || classifier.spec.requires !== image.name) {
      logger.warn('picture categories are off: the category model reads another image tower\'s pictures', { requires: classifier.spec.requires, image: image?.name ?? null });
      return null;
    }
    await classifier.load();
    return classifier;
  } catch (error) {
    logger.warn('picture categories are off', { error: (error as Error).message });
    return null;
  }
}

/** Colour profiling on a worker thread, with the catalogue's cache of its pictures' profiles (when it has one of the running colour module). */
async function openColourProfiler(config: Config, logger: Logger): Promise<ColourProfiler> {
  const file = path.join(config.catalogDir, COLOUR_CACHE_FILE);
  const { cache, ignored } = await readColourCache(file);
  if (ignored && ignored !== 'no cache file') logger.warn('colour profiles: the catalogue\'s cache file is not used; its pictures are profiled', { file, reason: ignored });
  return cache.size ? new CachedColourProfiler(new WorkerColourProfiler(), cache) : new WorkerColourProfiler();
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
      categoryPrediction: search.categoryPrediction,
      colourWeight: search.colourWeight,
      categoryBoostWeight: search.categoryBoostWeight,
      ...overrides,
    },
  });
}

export interface Application {
  url: string;
  port: number;
  /** Resolves when the catalogue ingest has finished (rejects if it failed). */
  ready: Promise<void>;
  /** Swaps in the query models on disk (see src/encoders/query-models.ts); null when they cannot be reloaded. */
  reloadModels?: (() => Promise<ReloadResult>) | null;
  close(): Promise<void>;
}

function modelVersions(indexKey: string, models: Encoders['models']) {
  return { index: indexKey.split(' ')[0], models: models.map((m) => ({ role: m.role, name: m.name, version: m.version })) };
}

/** Starts the server; `encoders` replaces the configured models (tests run the wiring with fakes). */
export async function startApplication(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  overrides: { encoders?: Encoders } = {},
): Promise<Application> {
  const metrics = new Metrics({ processMetrics: true });
  const encoders = overrides.encoders ?? (await buildEncoders(config, metrics));
  checkFusion(encoders, config);
  // One stable store in front of the current gallery's store: a gallery rebuild switches it.
  // Attributes predicted from images (src/attributes/): every product written gets them, whatever writes it.
  const attributes = await openAttributePredictor(config, encoders, logger);
  const predicting = <S extends VectorStore>(s: S): S =>
    attributes ? predictingStore(s, attributes, { pictureWeight: () => pictureClassifier?.spec.fusion?.pictureWeight ?? 0 }) : s;
  const attributeModels = attributes ? [await modelRecord('attributes', attributes.model.name, attributes.model.version, attributes.file)] : [];
  // Colours of the product's region in its picture (src/vision/colour/), profiled on a worker thread;
  // the catalogue's cache file answers for its own pictures.
  const colours = config.colourProfiles ? await openColourProfiler(config, logger) : null;
  const colourModels = colours ? [{ role: 'colours', name: 'colour-profile', version: COLOUR_PROFILE_VERSION, sha256: null }] : [];
  // The category of a picture from its pixels (src/attributes/picture-category.ts), mixed with the attributes model's head.
  const pictureClassifier = attributes ? await openPictureClassifier(config, encoders, logger) : null;
  const pictureModels = pictureClassifier ? [await modelRecord('category', pictureClassifier.spec.name, pictureClassifier.spec.version, pictureClassifier.file)] : [];
  const pictures = { colours, categories: pictureClassifier };
  const store = new SwitchableStore(timedStore(predicting(await openStore(config, encoders.dim, logger)), metrics));
  const apiKeys = new ApiKeyStore(ApiKeyStore.fileIn(config.dataDir));
  const authorizer = new Authorizer(apiKeys, { searchRequiresKey: config.auth.searchRequiresKey });
  if (apiKeys.list().length === 0) logger.info('no API keys yet: only open operations are served; create one with npm run keys -- create --role admin');
  const events = new EventLog(path.join(config.dataDir, 'events.sqlite'), {
    onError: (error) => logger.warn('search log: a group commit failed; its entries stay buffered for the next one', { error: (error as Error)?.message ?? String(error) }),
  });
  const vocabulary = await openVocabulary(store, config, logger);
  // Names and counts of what the store already holds (attributes added through the API included);
  // refreshed again once the catalogue ingest has run.
  await vocabulary.refresh();
  const uploads = new MediaStore(path.join(config.dataDir, 'media'));
  const images = new ImageLoader({
    maxBytes: config.maxImageBytes,
    fetchTimeoutMs: config.imageFetchTimeoutMs,
    allowedDir: config.imageDir,
    allowPrivateNetworks: config.imageUrlAllowPrivate,
    logger,
  });

  // The models answer through stable forwarders, so reloadModels and SIGHUP can swap the query
  // models under running searches, and a gallery rebuild all of them at its switch.
  const queryModels = new ReloadableQueryModels(
    { text: encoders.text, fusion: encoders.fusion, indexKey: encoders.indexKey, models: encoders.models, image: encoders.image, galleryText: encoders.galleryText },
    async () => {
      const next = await buildEncoders(config, metrics);
      checkFusion(next, config);
      loadedRegistry = next.registry;
      return { text: next.text, fusion: next.fusion, indexKey: next.indexKey, models: next.models, image: next.image, galleryText: next.galleryText, warmUp: () => next.warmUp() };
    },
    (swapped) => {
      versions = modelVersions(swapped.indexKey, swapped.models);
      metrics.describeModels(versions.index, versions.models);
      registry = loadedRegistry;
    },
    (next) => startGalleryRebuild(next, loadedRegistry),
  );
  // Evaluations through the API read the registry serving now (its default and baseline towers).
  let registry = encoders.registry;
  let loadedRegistry = registry;
  const evaluationModels = registry
    ? {
        textModels: () => registry!.textModels(),
        textEncoder: (name?: string) => registry!.textEncoder(name),
        imageEncoder: (name?: string) => registry!.imageEncoder(name),
        fusionEncoder: (name?: string | null) => registry!.fusionEncoder(name),
      }
    : null;
  const canReload = !overrides.encoders && encoders.registry !== null;
  const categories = attributes?.spec.categoryFusion ? new CategoryPredictor({ predictor: attributes, store, picture: pictureClassifier?.spec.fusion }) : undefined;
  const searchParts = {
    store,
    textEncoder: queryModels.text,
    imageEncoder: queryModels.image,
    fusionEncoder: queryModels.fusion,
    images,
    vocabulary,
    categories,
    colours: colours ?? undefined,
    pictures: pictureClassifier ?? undefined,
  };
  // Merchandising rules (src/rules/): kept beside the catalogue, live ones compiled for searches.
  const ruleBook = new RuleBook({
    store: ruleStore(config),
    vocabulary,
    products: store,
    maxPosition: DEFAULT_SEARCH_OPTIONS.maxResults,
    refreshIntervalMs: config.rules.refreshMs,
    onRuleError: (ruleId, error) => logger.warn('merchandising rule skipped', { ruleId, error: (error as Error)?.message ?? String(error) }),
  });
  await ruleBook.open();
  const search = createSearchService({ ...searchParts, log: events, rules: ruleBook }, config.search);
  const writer = new ProductWriterService({
    store,
    textEncoder: queryModels.galleryText,
    imageEncoder: queryModels.image,
    images,
    media: uploads,
    listener: {
      catalogChanged: (change) => vocabulary.apply(change),
    },
    pictures,
  });
  const ingest = new CatalogIngestService({
    store,
    textEncoder: queryModels.galleryText,
    imageEncoder: queryModels.image,
    pictures,
    logger,
    options: { catalogDir: config.catalogDir, stateDir: config.dataDir, indexKey: encoders.indexKey, batchSize: config.ingestBatchSize, limit: config.catalogLimit },
  });

  // Gallery rebuilds (src/gallery/): new gallery models re-embed every stored product into a new
  // store in the background; the switch moves the store and the models at once.
  const rebuild = new GalleryRebuildService({
    store,
    images: new ProductImageReader({ catalogDir: config.catalogDir, uploads, images }),
    logger,
    batchSize: config.ingestBatchSize,
    pictures,
  });
  const openTarget = (space: string, dim: number) => async (): Promise<GalleryTarget> => {
    const target = await openGalleryTarget(config, space, dim, logger);
    return { ...target, store: timedStore(predicting(target.store), metrics) };
  };
  const afterSwitch = (previousDirectory: string | null) => async (status: RebuildStatus) => {
    await ingest.adoptIndexKey(status.to as string);
    if (previousDirectory && (await removeReplacedGallery(config, previousDirectory).catch(() => false))) {
      logger.info('gallery rebuild: the replaced gallery folder was removed', { directory: previousDirectory });
    }
  };
  const currentDirectory = () => (config.store === 'embedded' ? currentEmbeddedDirectory(config.dataDir) : null);
  const startGalleryRebuild = async (next: QueryModels, nextRegistry: ModelRegistry | null): Promise<GalleryChange> => {
    if (!ingest.ready) {
      throw new UnavailableError(`the catalogue ingest is ${ingest.status().state.toLowerCase()}; reload the new gallery models once it is complete (ingestStatus)`);
    }
    if (!next.image) throw new Error('the new models have no image tower');
    const running = rebuild.status();
    if (rebuild.inProgress && running.to !== next.indexKey) {
      throw new UnavailableError(`a gallery rebuild to "${running.to}" is running; reload again once it has ended (ingestStatus.rebuild)`);
    }
    const models: GalleryModels = {
      key: next.indexKey,
      models: [...(await spaceModels(nextRegistry, next.models)), ...attributeModels, ...pictureModels, ...colourModels],
      image: next.image,
      text: next.galleryText ?? next.text,
    };
    const previousDirectory = currentDirectory();
    const done = rebuild.start(models, openTarget(spaceIdentity(models.key, models.models), next.image.dim), () => {
      loadedRegistry = nextRegistry;
      queryModels.install(next);
    });
    done.then(afterSwitch(previousDirectory)).catch((error: Error) => {
      if (rebuild.status().state === 'COMPLETE') logger.warn('gallery rebuild: tidying up after the switch failed', { error: error.message });
    });
    await rebuild.whenStarted();
    return rebuild.status();
  };

  // What embedded the stored vectors: the store's space record, or for a store from before records,
  // the models the last catalogue ingest used. Vectors of other models are not searched (their
  // space is not the running models'): they are re-embedded at start, before the server is ready.
  const runningSpace = { key: encoders.indexKey, models: [...(await spaceModels(encoders.registry, encoders.models)), ...attributeModels, ...pictureModels, ...colourModels] };
  const recorded = await store.spaceRecord();
  // A store from before records: the last catalogue ingest says which models embedded it. With no
  // ingest either (a Qdrant collection shared with other replicas, opened from a fresh DATA_DIR), the
  // vectors are taken to be the running models', as they were before records existed.
  const ingestedKey = recorded ? null : await ingest.recordedIndexKey();
  const storedKey = recorded?.key ?? ingestedKey ?? encoders.indexKey;
  if (!recorded && ingestedKey === null && (await store.info()).products > 0) {
    logger.warn('the store records no models and no catalogue ingest ran here: its vectors are taken to be the running models\'', { running: encoders.indexKey });
  }
  // Same names and versions but other weights (a model retrained under its old version) count as other models too.
  const retrained = recorded !== null && recorded.key === encoders.indexKey && otherWeights(recorded.models, runningSpace.models);
  // A store written before the attributes model (or without it) holds no predictions: rebuilt too.
  const unpredicted =
    recorded !== null &&
    ((attributes !== null && !recorded.models.some((m) => m.role === 'attributes')) || (pictureClassifier !== null && !recorded.models.some((m) => m.role === 'category')));
  // Likewise a store without colour profiles, or with those of another version of the colour module.
  const uncoloured = recorded !== null && colours !== null && !recorded.models.some((m) => m.role === 'colours' && m.version === COLOUR_PROFILE_VERSION);
  const staleGallery = storedKey !== encoders.indexKey || retrained || unpredicted || uncoloured;
  if (staleGallery && (storedKey !== encoders.indexKey || retrained)) {
    const stored = retrained ? `${storedKey} (other weights: ${recorded!.models.map((m) => `${m.role} sha256 ${m.sha256?.slice(0, 12)}`).join(', ')})` : storedKey;
    store.refuseSearches(
      new IncompatibleModelsError(
        `the stored vectors were embedded by "${stored}" and the running models embed "${encoders.indexKey}"; ` +
          'searches resume when the store has been re-embedded with the running models (progress: ingestStatus.rebuild)',
        { stored, running: encoders.indexKey },
      ),
    );
    logger.warn('the stored vectors belong to other models: the gallery is re-embedded before the server is ready', { stored: storedKey, retrained, running: encoders.indexKey });
  } else if (staleGallery) {
    // Same vectors, no predictions yet: searches go on while the rebuild adds them.
    logger.warn('the store holds no attribute predictions or colour profiles of the running models: the gallery is rebuilt with them before the server is ready', {
      attributes: unpredicted ? attributes?.model : undefined,
      colours: uncoloured ? COLOUR_PROFILE_VERSION : undefined,
    });
  } else if (!recorded) {
    await store.recordSpace({ ...runningSpace, recordedAt: new Date().toISOString() });
  }

  const outfitScorer = await OnnxOutfitScorer.open(path.join(config.modelsDir, 'fashion-outfit'), new OnnxSessionFactory({ intraOpThreads: config.onnxThreads })).catch((error: Error) => {
    logger.warn('complete the look is disabled', { error: error.message });
    return null;
  });
  const outfits = outfitScorer ? new OutfitService(store, outfitScorer) : undefined;

  const { evaluation, analytics, judgementSets } = createEvaluationServices({
    outfitScorer,
    models: evaluationModels,
    store,
    eventLog: events,
    catalogDir: config.catalogDir,
    runsDir: path.join(config.dataDir, 'evaluations'),
    // Evaluation searches go through the same service, unlogged (they are not user searches).
    searchService: (overrides) => createSearchService(searchParts, config.search, overrides),
    categoryPrediction: categories !== undefined,
    maxQueuedJobs: config.evaluationQueueSize,
    onUnexpectedError: (error, jobId) => logger.error('evaluation job failed', { jobId, error: (error as Error)?.stack ?? String(error) }),
  });
  // Per-client rate limits of expensive operations (src/graphql/rate-limit.guard.ts).
  const rateLimiter = new TokenBucketLimiter<RateLimitedKind>({
    imageSearch: { perMinute: config.rateLimits.imageSearchPerMinute },
    catalogWrite: { perMinute: config.rateLimits.catalogWritePerMinute },
    evaluation: { perMinute: config.rateLimits.evaluationPerMinute },
  });
  const admission = new InFlightLimiter(config.maxInFlight);
  const rulePreview = new RulePreviewService({ rules: ruleBook, search, judgements: judgementSets, traffic: events, statistics: workerStatistics });

  let modelsLoaded = false;
  /** Set at the start of close(): /readyz turns 503 so balancers stop sending requests. */
  let shuttingDown = false;
  const services: ApiServices = {
    search,
    products: store,
    writer,
    events,
    ingest,
    rebuild,
    evaluation,
    analytics,
    outfits,
    rateLimiter,
    rules: { book: ruleBook, preview: rulePreview },
    ...(canReload ? { models: { reload: () => reloadModels('reloadModels') } } : {}),
    info: async () => ({
      index: queryModels.indexKey.split(' ')[0],
      models: queryModels.models,
      store: (await store.info()).backend,
      productCount: (await store.info()).products,
      ready: ingest.ready,
    }),
  };

  let versions = modelVersions(encoders.indexKey, encoders.models);
  const reloadModels = async (trigger: string): Promise<ReloadResult> => {
    try {
      const result = await queryModels.reload();
      logger.info(result.changed ? 'query models swapped' : 'query models unchanged', { trigger, models: result.models.map((m) => `${m.role}=${m.name}@${m.version}`) });
      return result;
    } catch (error) {
      logger.warn('model reload refused: the running models stay', { trigger, error: (error as Error).message });
      throw error;
    }
  };
  metrics.describeModels(versions.index, versions.models);
  metrics.watchIngest(() => ingest.status());
  metrics.watchQueue('graphql_in_flight', () => admission.inFlight);
  metrics.watchQueue('search_log', () => events.stats().pending);
  if (evaluation) metrics.watchQueue('evaluation_jobs_waiting', () => evaluation.queueDepth.waiting);

  const apollo = createApolloServer(logger, { introspection: config.graphqlIntrospection, observer: metrics, limits: config.graphqlLimits });
  await apollo.start();
  const server = createHttpServer({
    apollo,
    context: (request) =>
      createContext(services, { access: authorizer.forRequest(request.headers), requestId: request.requestId, clientAddress: request.clientAddress }),
    readiness: () => {
      const status = ingest.status();
      return {
        ready: !shuttingDown && modelsLoaded && ingest.ready,
        checks: { models: modelsLoaded, store: true, ingest: status.state, processed: `${status.processed}/${status.total}` },
        versions,
      };
    },
    routes: [
      ...(config.playground ? [createWebRoutes()] : []),
      createMediaRoutes({ catalogDir: config.catalogDir, uploads }),
      createMetricsRoute({ metrics, authorize: config.auth.metricsRequireKey ? (headers) => authorizer.forRequest(headers).decide('analyst') : undefined }),
    ],
    maxBodyBytes: config.maxBodyBytes,
    logger,
    observer: metrics,
    corsOrigins: config.corsOrigins,
    admission,
    variablesLimits: { maxDepth: config.graphqlLimits.maxVariablesDepth, maxValues: config.graphqlLimits.maxVariableValues },
  });
  const address = await listen(server, config.port, config.host);
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info('listening', { url, graphql: `${url}/graphql`, lab: `${url}/lab` });

  const ready = (async () => {
    await encoders.warmUp();
    modelsLoaded = true;
    logger.info('models loaded', { index: encoders.indexKey });
    if (staleGallery) {
      const models: GalleryModels = { ...runningSpace, image: encoders.image, text: encoders.galleryText ?? encoders.text };
      const previousDirectory = currentDirectory();
      const status = await rebuild.start(models, openTarget(spaceIdentity(models.key, models.models), encoders.dim), () => undefined, { dropUnreadable: true });
      await afterSwitch(previousDirectory)(status);
    }
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
    reloadModels: canReload ? () => reloadModels('SIGHUP') : null,
    close: () =>
      (closing ??= (async () => {
        // 1. No new connections; requests in flight get SHUTDOWN_TIMEOUT_MS to finish (src/server/graceful-shutdown.ts).
        shuttingDown = true;
        const drained = await drainServer(server, config.shutdownTimeoutMs);
        logger.info('requests drained', { ms: drained.ms, forced: drained.forced });
        // 2. Stop the catalogue ingest (it resumes from its checkpoint at the next start) and wait for start-up to end.
        ingest.cancel();
        rebuild.cancel();
        await ready.catch(() => undefined);
        await rebuild.settled();
        // 3. Save and close every store; one failure does not keep the others from closing.
        const failures: string[] = [];
        const step = async (what: string, fn: () => unknown) => {
          try {
            await fn();
          } catch (error) {
            failures.push(what);
            logger.error(`shutdown: closing the ${what} failed`, { error: (error as Error)?.message ?? String(error) });
          }
        };
        // Evaluation jobs are cancelled (a cancelled run records nothing; the runs recorded stay).
        await step('evaluation jobs', () => evaluation?.close());
        await step('GraphQL server', () => apollo.stop());
        vocabulary.close();
        // The embedded store indexes pending vectors, writes the graph checkpoint and closes its database.
        await step('vector store', () => store.close());
        await step('search log', () => events.close());
        await step('API key store', () => apiKeys.close());
        await step('rule store', () => ruleBook.close());
        await step('colour profiler', async () => colours?.close());
        if (failures.length) throw new Error(`shutdown: could not close the ${failures.join(', ')}`);
        logger.info('stopped: stores saved and closed');
      })()),
  };
}

/**
 * Graceful shutdown on SIGTERM and SIGINT: drain requests (at most `timeoutMs`), stop ingest, save the
 * vector index, close the databases, then exit 0 (1 when a store could not be closed). A second
 * signal while that runs exits at once.
 */
export function exitOnTerminationSignals(app: Pick<Application, 'close'>, logger: Logger, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn('second signal during shutdown: exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal, timeoutMs });
    app.close().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdown failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
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
  let app: Application;
  try {
    app = await startApplication(config, logger);
  } catch (error) {
    // A refused start (e.g. no fusion model without ALLOW_MEAN_FUSION) says what to change.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  exitOnTerminationSignals(app, logger, config.shutdownTimeoutMs);
  reloadOnHangup(app);
}

/** SIGHUP reloads the query models (like the reloadModels mutation); a refusal is logged and the running models stay. */
export function reloadOnHangup(app: Pick<Application, 'reloadModels'>): void {
  const reload = app.reloadModels;
  if (!reload) return;
  process.on('SIGHUP', () => void reload().catch(() => undefined));
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
