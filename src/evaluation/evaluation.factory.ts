/**
 * Builds the API's evaluation and analytics services from what the server already holds: the model
 * registry, the vector store (the gallery is the ingested catalogue), the catalogue folder (judgement
 * sets) and the event log. main.ts calls it; nothing here reads the environment.
 */
import type { OutfitScorer } from '../outfits/outfit-scorer';
import type { VectorStore } from '../stores/vector-store';
import { EncoderVariants, type EvaluationModels } from './encoder-variants';
import { FileEvaluationRunStore } from './evaluation-run.store';
import { EvaluationService } from './evaluation.service';
import type { SearchEventLog } from './event-log.source';
import { SET_METRICS } from './models-readme';
import { SearchAnalyticsService } from './search-analytics';
import { CombinedVariants, SearchServiceVariants, type SearchServiceFactory } from './search-service-variants';
import { SeedJudgementSets } from './seed-judgement-sets';
import { workerStatistics } from './statistics-worker.runner';

export interface EvaluationDeps {
  /** Null when the server runs models without a manifest (no variants to compare). */
  models: EvaluationModels | null;
  store: VectorStore;
  eventLog: SearchEventLog;
  catalogDir: string;
  /** Where runs are recorded, e.g. DATA_DIR/evaluations. */
  runsDir: string;
  /** The outfit compatibility model; adds the compatibility-model variant of the outfits set. */
  outfitScorer?: OutfitScorer | null;
  /** The API's search service with options replaced; adds the search-service variants (see search-service-variants.ts). */
  searchService?: SearchServiceFactory;
  /** Whether image searches can predict categories (the real-shot sets then compare with and without). */
  categoryPrediction?: boolean;
  /** Evaluation jobs that may wait behind the running one (EVALUATION_QUEUE_SIZE; default 4). */
  maxQueuedJobs?: number;
  /** Hears of evaluation jobs failing with an unexpected error (logged by main.ts). */
  onUnexpectedError?: (error: unknown, jobId: string) => void;
}

export function createEvaluationServices(deps: EvaluationDeps): { evaluation?: EvaluationService; analytics: SearchAnalyticsService; judgementSets?: SeedJudgementSets } {
  // Computed by the event log in SQL: memory does not grow with the number of recorded searches.
  const analytics = new SearchAnalyticsService(deps.eventLog);
  if (!deps.models) return { analytics };
  const variants = new EncoderVariants(deps.models, deps.store, deps.outfitScorer ?? null);
  const sets = new SeedJudgementSets({ catalogDir: deps.catalogDir, exactJudge: variants.exactJudge() });
  const provider = deps.searchService ? new CombinedVariants(variants, searchServiceVariants(deps.models, deps.searchService, { categoryPrediction: deps.categoryPrediction })) : variants;
  const evaluation = new EvaluationService(new FileEvaluationRunStore(deps.runsDir), sets, provider, {
    defaultMetrics: SET_METRICS,
    catalogSource: deps.catalogDir,
    // The API's jobs compute bootstrap intervals and permutation tests off the event loop.
    statistics: workerStatistics,
    maxQueuedJobs: deps.maxQueuedJobs,
    onUnexpectedError: deps.onUnexpectedError,
  });
  return { evaluation, analytics, judgementSets: sets };
}

/** Search-service variants recording the registry's default models. */
export function searchServiceVariants(models: EvaluationModels, searchService: SearchServiceFactory, options: { categoryPrediction?: boolean } = {}): SearchServiceVariants {
  return new SearchServiceVariants({
    searchService,
    models: { text: models.textEncoder().model, image: models.imageEncoder().model, fusion: models.fusionEncoder()?.model ?? null },
    categoryPrediction: options.categoryPrediction ?? false,
  });
}
