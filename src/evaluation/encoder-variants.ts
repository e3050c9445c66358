/**
 * Variants that rank the gallery through the API's encoders and vector store, one family per set:
 *
 * - text:     each text tower in the manifest (baselines first, the default last); the query text's
 *             embedding searches the image space exactly (the shared space of the gallery index);
 * - image, realshot, realshot-indist: the default image tower on the query photo;
 * - composed, composed-meaning: image-only (the reference's stored image vector), text-only (the
 *             modifier through the default text tower), sum (normalised sum of both) and fusion (the
 *             fusion network);
 * - index:    the default text tower through the approximate index (hnsw) and by exact search;
 * - outfits:  candidates ranked by mean cosine similarity to the outfit's items in the image or text
 *             space, a seeded random order as the chance baseline, and (when the outfit model is
 *             loaded) compatibility-model: each completed outfit scored by the compatibility model.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { InvalidInputError, NotFoundError } from '../domain/errors';
import { dot, weightedMean } from '../domain/embedding';
import type { FusionEncoder, ImageEncoder, ModelVersion, TextEncoder } from '../encoders/encoder';
import type { Product } from '../domain/product';
import type { OutfitScorer } from '../outfits/outfit-scorer';
import type { VectorSpace, VectorStore } from '../stores/vector-store';
import type { EvalQuery, Variant } from './evaluation-run';
import type { VariantProvider } from './evaluation.service';
import type { ScoredDoc } from './metrics';
import type { ExactJudge, OutfitQuery } from './seed-judgement-sets';
import { seededRandom } from './statistics';

type Versioned<T> = T & { readonly model: ModelVersion };

/** The part of the model registry evaluations use (src/encoders/model-registry.ts satisfies it). */
export interface EvaluationModels {
  textModels(): { name: string; version: string; compatible: boolean; isDefault: boolean }[];
  textEncoder(name?: string): Versioned<TextEncoder>;
  imageEncoder(name?: string): Versioned<ImageEncoder>;
  fusionEncoder(name?: string | null): Versioned<FusionEncoder> | null;
}

const ENCODE_BATCH = 64;

/** Encodes values in batches once, then answers lookups from the cache. */
class BatchedEmbeddings<K> {
  private readonly cache = new Map<K, Promise<Float32Array>>();
  constructor(private readonly encode: (keys: K[]) => Promise<Float32Array[]>) {}

  async prepare(keys: K[]): Promise<void> {
    const uncached = [...new Set(keys)].filter((k) => !this.cache.has(k));
    for (let i = 0; i < uncached.length; i += ENCODE_BATCH) {
      const batch = uncached.slice(i, i + ENCODE_BATCH);
      const vectors = await this.encode(batch);
      batch.forEach((k, j) => this.cache.set(k, Promise.resolve(vectors[j])));
    }
  }

  get(key: K): Promise<Float32Array> {
    let p = this.cache.get(key);
    if (!p) {
      p = this.encode([key]).then((v) => v[0]);
      this.cache.set(key, p);
    }
    return p;
  }
}

function need<T>(value: T | undefined, what: string, query: EvalQuery): T {
  if (value === undefined || value === null || value === '') throw new InvalidInputError(`query "${query.id}" has no ${what}, which this variant needs`);
  return value;
}

/**
 * Text towers in table order: the GRU baseline first (the reference of the relative gains), then the
 * tower before triplet fine-tuning, other baselines, and the default (listed last by the caller).
 */
export function textVariantOrder(names: string[]): string[] {
  const rank = (n: string): number => (n.endsWith('-gru') ? 0 : n.endsWith('-pretriplet') ? 1 : 2);
  const last = names.length - 1;
  return names
    .map((n, i) => ({ n, i, r: i === last ? 3 : rank(n) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map(({ n }) => n);
}

export const COMPOSED_VARIANTS = ['image-only', 'text-only', 'sum', 'fusion'] as const;
export const INDEX_VARIANTS = ['exact', 'hnsw'] as const;
export const OUTFIT_VARIANTS = ['random', 'text-similarity', 'image-similarity'] as const;
export const OUTFIT_MODEL_VARIANT = 'compatibility-model';

export class EncoderVariants implements VariantProvider {
  constructor(
    private readonly models: EvaluationModels,
    private readonly store: VectorStore,
    /** Adds the compatibility-model variant to the outfits set. */
    private readonly outfitScorer: OutfitScorer | null = null,
  ) {}

  variantNames(set: string): string[] {
    switch (set) {
      case 'text': {
        const compatible = this.models.textModels().filter((m) => m.compatible);
        return textVariantOrder([...compatible.filter((m) => !m.isDefault), ...compatible.filter((m) => m.isDefault)].map((m) => m.name));
      }
      case 'image':
      case 'realshot':
      case 'realshot-indist':
        return [this.models.imageEncoder().model.name];
      case 'composed':
      case 'composed-meaning':
        return this.models.fusionEncoder() ? [...COMPOSED_VARIANTS] : COMPOSED_VARIANTS.filter((v) => v !== 'fusion');
      case 'index':
        return [...INDEX_VARIANTS];
      case 'outfits':
        return this.outfitScorer ? [...OUTFIT_VARIANTS, OUTFIT_MODEL_VARIANT] : [...OUTFIT_VARIANTS];
      default:
        return [];
    }
  }

  async variants(set: string, names: string[]): Promise<Variant[]> {
    const available = this.variantNames(set);
    return names.map((name) => {
      if (set === 'text' && !available.includes(name)) {
        // A text set may name any text model of the manifest compatible with the index.
        throw new InvalidInputError(`"${name}" is not a text model compatible with the index: choose one of ${available.join(', ')}`);
      }
      if (set !== 'text' && !available.includes(name)) {
        throw new InvalidInputError(`variant "${name}" does not apply to set "${set}": choose one of ${available.join(', ') || 'none'}`);
      }
      return this.build(set, name);
    });
  }

  private build(set: string, name: string): Variant {
    switch (set) {
      case 'text':
        return this.textVariant(name, this.models.textEncoder(name), true);
      case 'index':
        return this.textVariant(name, this.models.textEncoder(), name === 'exact');
      case 'image':
      case 'realshot':
      case 'realshot-indist':
        return this.imageVariant(name);
      case 'composed':
      case 'composed-meaning':
        return this.composedVariant(name as (typeof COMPOSED_VARIANTS)[number]);
      case 'outfits':
        return name === OUTFIT_MODEL_VARIANT ? this.outfitModelVariant(this.outfitScorer!) : this.outfitVariant(name as (typeof OUTFIT_VARIANTS)[number]);
      default:
        throw new InvalidInputError(`no variants for set "${set}"`);
    }
  }

  private search(vector: Float32Array, depth: number, query: EvalQuery, exact = true): Promise<ScoredDoc[]> {
    return this.store
      .search({ dense: [{ space: 'image', vector }], limit: depth, exact, excludeIds: query.excludeIds })
      .then((hits) => hits.map((h) => ({ id: h.id, score: h.score })));
  }

  private textVariant(name: string, encoder: Versioned<TextEncoder>, exact: boolean): Variant {
    const embeddings = new BatchedEmbeddings<string>((texts) => encoder.encode(texts));
    return {
      name,
      description: exact ? `${encoder.model.name} text tower, exact search over the image space` : `${encoder.model.name} through the approximate index`,
      models: [encoder.model],
      prepare: (queries) => embeddings.prepare(queries.map((q) => need(q.text, 'text', q))),
      rank: async (query, depth) => this.search(await embeddings.get(need(query.text, 'text', query)), depth, query, exact),
    };
  }

  private imageVariant(name: string): Variant {
    const encoder = this.models.imageEncoder();
    const embeddings = new BatchedEmbeddings<string>(async (files) => encoder.encode(await Promise.all(files.map((f) => readImage(f)))));
    return {
      name,
      description: `${encoder.model.name} image tower on the query photo, exact search`,
      models: [encoder.model],
      prepare: (queries) => embeddings.prepare(queries.map((q) => need(q.imagePath, 'image', q))),
      rank: async (query, depth) => this.search(await embeddings.get(need(query.imagePath, 'image', query)), depth, query),
    };
  }

  private async storedVector(id: string, space: VectorSpace): Promise<Float32Array> {
    const v = await this.store.getVector(id, space);
    if (!v) throw new NotFoundError(`product "${id}" has no ${space} vector in the store: ingest the evaluation catalogue first`, { id });
    return v;
  }

  private composedVariant(name: (typeof COMPOSED_VARIANTS)[number]): Variant {
    const text = this.models.textEncoder();
    const image = this.models.imageEncoder();
    const modifiers = new BatchedEmbeddings<string>((texts) => text.encode(texts));
    const fusion = name === 'fusion' ? this.models.fusionEncoder() : null;
    if (name === 'fusion' && !fusion) throw new InvalidInputError('the manifest has no fusion model: leave out the "fusion" variant');
    const queryVector = async (q: EvalQuery): Promise<Float32Array> => {
      const reference = () => this.storedVector(need(q.referenceId, 'reference product', q), 'image');
      const modifier = () => modifiers.get(need(q.modifier, 'modifier', q));
      switch (name) {
        case 'image-only':
          return reference();
        case 'text-only':
          return modifier();
        case 'sum':
          return weightedMean([
            { vector: await reference(), weight: 1 },
            { vector: await modifier(), weight: 1 },
          ]);
        case 'fusion': {
          const [fused] = await fusion!.fuse([{ image: await reference(), text: await modifier() }]);
          return fused;
        }
      }
    };
    const descriptions = {
      'image-only': 'reference image embedding alone',
      'text-only': 'modifier text embedding alone',
      sum: 'normalised sum of the reference image and modifier text embeddings',
      fusion: 'fusion network over the reference image and modifier text embeddings',
    };
    const models = name === 'image-only' ? [image.model] : name === 'text-only' ? [text.model] : name === 'sum' ? [image.model, text.model] : [image.model, text.model, fusion!.model];
    return {
      name,
      description: descriptions[name],
      models,
      prepare: name === 'image-only' ? undefined : (queries) => modifiers.prepare(queries.map((q) => need(q.modifier, 'modifier', q))),
      rank: async (query, depth) => this.search(await queryVector(query), depth, query),
    };
  }

  private outfitVariant(name: (typeof OUTFIT_VARIANTS)[number]): Variant {
    const space: VectorSpace = name === 'text-similarity' ? 'text' : 'image';
    const models = name === 'random' ? [] : [space === 'image' ? this.models.imageEncoder().model : this.models.textEncoder().model];
    return {
      name,
      description:
        name === 'random' ? 'candidates in a seeded random order (chance level)' : `candidates by mean cosine similarity to the outfit items in the ${space} space`,
      models,
      rank: async (query, depth) => {
        const q = query as OutfitQuery;
        const candidates = need(q.candidates, 'candidates', query);
        if (name === 'random') {
          const rand = seededRandom(parseInt(createHash('sha256').update(query.id).digest('hex').slice(0, 8), 16));
          return candidates.map((id) => ({ id, score: rand() })).slice(0, depth);
        }
        const items = await Promise.all(need(q.items, 'items', query).map((id) => this.storedVector(id, space)));
        const scored = await Promise.all(
          candidates.map(async (id) => {
            const v = await this.storedVector(id, space);
            return { id, score: items.reduce((s, it) => s + dot(v, it), 0) / Math.max(1, items.length) };
          }),
        );
        return scored.sort((a, b) => b.score - a.score).slice(0, depth);
      },
    };
  }

  private outfitModelVariant(scorer: OutfitScorer): Variant {
    return {
      name: OUTFIT_MODEL_VARIANT,
      description: 'candidates by the compatibility model\'s score of the outfit they complete',
      models: [scorer.model],
      rank: async (query, depth) => {
        const q = query as OutfitQuery;
        const candidates = need(q.candidates, 'candidates', query);
        const itemIds = need(q.items, 'items', query);
        const ids = [...itemIds, ...candidates];
        const found = await this.store.getProducts(ids);
        const missing = ids.filter((_, i) => !found[i]);
        if (missing.length) throw new NotFoundError(`products not in the store: ${missing.join(', ')} (ingest the evaluation catalogue first)`, { ids: missing });
        const products = found as Product[];
        const items = products.slice(0, itemIds.length);
        const scores = await scorer.score(products.slice(itemIds.length).map((c) => [...items, c]));
        return candidates
          .map((id, i) => ({ id, score: scores[i] }))
          .sort((a, b) => b.score - a.score)
          .slice(0, depth);
      },
    };
  }

  /** Judges queries by exact search with the default text tower (for the index set). */
  exactJudge(): ExactJudge {
    return async (queries, k) => {
      const variant = this.textVariant('exact', this.models.textEncoder(), true);
      await variant.prepare?.(queries);
      const qrels = new Map<string, Map<string, number>>();
      for (const q of queries) qrels.set(q.id, new Map((await variant.rank(q, k)).map((d) => [d.id, 1])));
      return qrels;
    };
  }
}

async function readImage(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch {
    throw new NotFoundError(`query image not found: ${file}`, { file });
  }
}
