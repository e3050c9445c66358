/**
 * Search planning: from a validated query to what the store is asked. Encodes the query with the
 * right tower(s), runs query understanding on its text or modifier, and builds the dense sources
 * (plus the attribute source that ranks only products with the understood attributes), the lexical
 * text, the conditions the understanding adds (exclusions, price, confident attributes) and the
 * attributes that re-rank.
 *
 * Modes:
 * - TEXT: the text tower's vector of the understood text (the catalogue's words) against the
 *   configured dense spaces, fused (RRF) with a BM25 match over title, description and brand;
 *   identifiers in the text are pinned by the service;
 * - IMAGE: the image tower's vector (or the stored vector of a catalogue product) against the
 *   image space;
 * - COMPOSED (image + modifier): the fusion network's vector against the image space, the
 *   reference product left out; the values the modifier asks for and the reference's category
 *   restrict the attribute source;
 * - TEXT_AND_IMAGE: a weighted mean of both vectors against the image space;
 * - SIMILAR: the stored image vector of a product, the product left out.
 */
import { DomainError, InvalidInputError, NotFoundError } from '../domain/errors';
import { weightedMean } from '../domain/embedding';
import type { Filter } from '../domain/filter';
import type { FusionEncoder, ImageEncoder, TextEncoder } from '../encoders/encoder';
import type { UnderstandingOptions, UnderstoodQuery } from '../query/query-understanding';
import type { DenseSource, VectorSpace, VectorStore } from '../stores/vector-store';
import type { CatalogVocabulary } from './catalog-vocabulary';
import type { CategoryPrediction, CategoryPredictor } from '../attributes/category-prediction';
import type { ColourShare, Product } from '../domain/product';
import { rankedCategories, type PictureCategories, type PictureClassifier } from '../attributes/picture-category';
import type { ColourProfiler } from '../vision/colour/colour-profiler';
import type { AttributeValue, ImageSource, SearchMode, SearchUnderstanding } from './search.types';
import { understoodConditions, type UnderstandingPolicy } from './understood-conditions';

export type TextSource = VectorSpace | 'lexical';

/** A query picture as category prediction and colour re-ranking read it (SearchPlanner.picture). */
interface QueryPicture {
  referenceId: string | null;
  bytes: Buffer | null;
  product: () => Promise<Product | null>;
}
export type ImageKind = 'url' | 'base64' | 'productId';

/** Loads the bytes of a user-supplied image (url or base64). */
export interface QueryImageLoader {
  load(source: { url?: string | null; base64?: string | null }, what?: string): Promise<Buffer>;
}

export interface PlannedSearch {
  mode: SearchMode;
  /** Identifier-like words whose exact matches are pinned first (text searches). */
  identifiers?: string[];
  dense: DenseSource[];
  lexical?: { text: string };
  excludeIds?: string[];
  /** Conditions the understood text adds to the client's filter (exclusions, price, confident attributes). */
  filter?: Filter;
  /** Included attributes: re-ranking and explanations. */
  queryAttributes: AttributeValue[];
  understanding: SearchUnderstanding | null;
  referenceId: string | null;
  imageKind: ImageKind | null;
  /** The image query's predicted category and what it did. */
  categoryPrediction?: CategoryPrediction & { use: 'FILTER' | 'BOOST' };
  /** Colours of the query picture (image and similar searches asked for them); null when it has none. */
  queryColours?: ColourShare[] | null;
}

export interface PlannerDeps {
  store: Pick<VectorStore, 'getVector' | 'getProducts'>;
  textEncoder: TextEncoder;
  imageEncoder: ImageEncoder;
  fusionEncoder: FusionEncoder;
  images: QueryImageLoader;
  vocabulary: CatalogVocabulary;
  /** Category prediction for image queries; absent without an attributes model. */
  categories?: Pick<CategoryPredictor, 'available' | 'predict'>;
  /** Colour profiles of query pictures; absent when colour profiling is off. */
  colours?: Pick<ColourProfiler, 'profile'>;
  /** The picture category model (category prediction of uploaded pictures); absent without one. */
  pictures?: PictureClassifier;
}

export interface PlannerOptions {
  textSources: TextSource[];
  understand: boolean;
  understanding: UnderstandingPolicy;
  understandingOptions?: Partial<UnderstandingOptions>;
}

/** Label of the dense source restricted to the attributes understood in the query. */
export const ATTRIBUTES_SOURCE = 'attributes';

/** What category prediction may do to an image search. */
export type CategoryUse = 'AUTO' | 'BOOST' | 'FILTER' | 'OFF';

/**
 * Words that look like identifiers (product codes, SKUs): at least 4 characters of letters,
 * digits and inner hyphens, with at least one letter and one digit. "TE00017-2" and "p-test-00017-2"
 * qualify; "t-shirt" and "2024" do not.
 */
export function extractIdentifiers(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*/g)) {
    const w = m[0];
    if (w.length >= 4 && /[A-Za-z]/.test(w) && /\d/.test(w)) out.add(w);
  }
  return [...out];
}

export class SearchPlanner {
  constructor(
    private readonly deps: PlannerDeps,
    private readonly options: PlannerOptions,
  ) {}

  /**
   * `understood`: the understanding of the text (or of the modifier, with an image) when the caller
   * already has it (merchandising rules' conditions read it first), so it is not computed twice.
   */
  async plan(
    text: string | null,
    modifier: string | null,
    image: ImageSource | null,
    imageWeight: number,
    correctSpelling: boolean,
    extras: { understood?: UnderstoodQuery | null; categoryUse?: CategoryUse; colours?: boolean } = {},
  ): Promise<PlannedSearch> {
    const { understood } = extras;
    const read = (t: string) => (understood !== undefined ? understood : this.understand(t, correctSpelling));
    if (image === null) {
      const t = text as string;
      const understood = read(t);
      const sources = this.options.textSources;
      const spaces = sources.filter((s): s is VectorSpace => s !== 'lexical');
      // The towers read the query in the catalogue's words (corrected, negations and prices out);
      // a query made only of those gets the text as typed.
      const towerText = understood?.searchText || t;
      const lexicalText = understood ? understood.lexicalText : t;
      const conditions = this.conditions(understood, 'text');
      const dense: DenseSource[] = [];
      if (spaces.length) {
        // The attribute-restricted source searches the first configured dense space (products' photos by default).
        const [vector] = await this.encodeText([towerText]);
        dense.push(...spaces.map((space) => ({ space, vector })));
        if (conditions.restriction) dense.push({ space: spaces[0], vector, filter: conditions.restriction, label: ATTRIBUTES_SOURCE });
      }
      return {
        mode: 'TEXT',
        identifiers: extractIdentifiers(t),
        dense,
        lexical: sources.includes('lexical') ? { text: lexicalText || t } : undefined,
        filter: conditions.filter,
        queryAttributes: conditions.ranking,
        understanding: conditions.understanding,
        referenceId: null,
        imageKind: null,
      };
    }
    const imageKind: ImageKind = image.productId != null ? 'productId' : image.url != null ? 'url' : 'base64';
    const referenceId = image.productId != null ? image.productId.trim() : null;
    let pictureBytes: Buffer | null = null;
    const imageVector =
      referenceId !== null
        ? await this.storedImageVector(referenceId, 'input.image.productId')
        : await this.encodeImage(image, (bytes) => (pictureBytes = bytes));
    if (modifier !== null) {
      const understood = read(modifier);
      const [modVector] = await this.encodeText([modifier]);
      const [fused] = await this.deps.fusionEncoder.fuse([{ image: imageVector, text: modVector }]);
      // "same but in red" keeps what the reference is: its category restricts retrieval too.
      const conditions = this.conditions(understood, 'modifier', referenceId !== null && understood ? await this.referenceCategory(referenceId) : undefined);
      const dense: DenseSource[] = [{ space: 'image', vector: fused }];
      if (conditions.restriction) dense.push({ space: 'image', vector: fused, filter: conditions.restriction, label: ATTRIBUTES_SOURCE });
      return {
        mode: 'COMPOSED',
        dense,
        excludeIds: referenceId !== null ? [referenceId] : undefined,
        filter: conditions.filter,
        queryAttributes: conditions.ranking,
        understanding: conditions.understanding,
        referenceId,
        imageKind,
      };
    }
    if (text !== null) {
      const understood = read(text);
      const [textVector] = await this.encodeText([understood?.searchText || text]);
      const vector = weightedMean([
        { vector: imageVector, weight: imageWeight },
        { vector: textVector, weight: 1 - imageWeight },
      ]);
      const conditions = this.conditions(understood, 'text');
      const dense: DenseSource[] = [{ space: 'image', vector }];
      if (conditions.restriction) dense.push({ space: 'image', vector, filter: conditions.restriction, label: ATTRIBUTES_SOURCE });
      return {
        mode: 'TEXT_AND_IMAGE',
        dense,
        filter: conditions.filter,
        queryAttributes: conditions.ranking,
        understanding: conditions.understanding,
        referenceId,
        imageKind,
      };
    }
    const dense: DenseSource[] = [{ space: 'image', vector: imageVector }];
    const picture = this.picture(referenceId, pictureBytes);
    const [category, queryColours] = await Promise.all([
      this.categoryCondition(imageVector, picture, extras.categoryUse ?? 'OFF'),
      extras.colours ? this.pictureColours(picture) : Promise.resolve(undefined),
    ]);
    return {
      mode: 'IMAGE',
      dense,
      filter: category?.use === 'FILTER' ? category.filter : undefined,
      queryAttributes: [],
      understanding: null,
      referenceId,
      imageKind,
      categoryPrediction: category ? { ...category.prediction, use: category.use } : undefined,
      queryColours,
    };
  }

  /**
   * A query picture: a catalogue product's (read from the store at most once, by whichever of its
   * colours and categories is asked first) or uploaded bytes.
   */
  private picture(referenceId: string | null, bytes: Buffer | null): QueryPicture {
    let product: Promise<Product | null> | undefined;
    return {
      referenceId,
      bytes,
      product: () => (product ??= referenceId === null ? Promise.resolve(null) : this.deps.store.getProducts([referenceId]).then(([p]) => p)),
    };
  }

  /** The colours of a query picture: the stored ones of a catalogue product, else the picture profiled; null when none. */
  private async pictureColours(picture: QueryPicture): Promise<ColourShare[] | null> {
    if (picture.referenceId !== null) return (await picture.product())?.colours?.histogram ?? null;
    if (!picture.bytes || !this.deps.colours) return null;
    const [colours] = await this.deps.colours.profile([picture.bytes]).catch(() => [null]);
    return colours?.histogram ?? null;
  }

  /**
   * What category prediction does to an image search (attributes/category-prediction.ts): AUTO
   * filters by the predicted category when the prediction is confident and boosts it otherwise;
   * FILTER and BOOST always do that; OFF (or no attributes model) nothing. A boost is a re-ranking
   * term (search.service.ts): each result gains the predicted probability of its own category.
   */
  private async categoryCondition(
    vector: Float32Array,
    picture: QueryPicture,
    use: CategoryUse,
  ): Promise<{ use: 'FILTER' | 'BOOST'; filter: Filter; prediction: CategoryPrediction } | null> {
    if (use === 'OFF' || !this.deps.categories?.available) return null;
    const prediction = await this.categoryOf(vector, picture);
    const top = prediction?.categories[0];
    if (!prediction || !top) return null;
    const applied = use === 'AUTO' ? (prediction.confident ? 'FILTER' : 'BOOST') : use;
    return { use: applied, filter: { must: [{ kind: 'match', key: prediction.attribute, value: top.value }] }, prediction };
  }

  /**
   * The category prediction of a query picture (its embedding, and its pixels through the picture
   * category model: a catalogue product's stored probabilities, else the picture classified); null
   * without category prediction.
   */
  async predictCategory(image: ImageSource): Promise<CategoryPrediction | null> {
    if (!this.deps.categories?.available) return null;
    if (image.productId != null) {
      const id = image.productId.trim();
      return this.categoryOf(await this.storedImageVector(id, 'image.productId'), this.picture(id, null));
    }
    let bytes: Buffer | null = null;
    const vector = await this.encodeImage(image, (b) => (bytes = b));
    return this.categoryOf(vector, this.picture(null, bytes));
  }

  private async categoryOf(vector: Float32Array, picture: QueryPicture): Promise<CategoryPrediction | null> {
    const categories = this.deps.categories;
    if (!categories?.available) return null;
    let fromPixels: PictureCategories | undefined;
    if (picture.referenceId !== null) {
      fromPixels = (await picture.product())?.pictureCategories;
    } else if (picture.bytes && this.deps.pictures) {
      const [row] = await this.deps.pictures.classify([picture.bytes]).catch(() => [null]);
      fromPixels = row ? rankedCategories(this.deps.pictures.spec.labels, row) : undefined;
    }
    return categories.predict(vector, picture.referenceId !== null ? [picture.referenceId] : undefined, fromPixels);
  }

  /** Query understanding of a text as planning reads it; null when understanding is off. */
  understandText(text: string, correctSpelling: boolean): UnderstoodQuery | null {
    return this.understand(text, correctSpelling);
  }

  private understand(text: string, correctSpelling: boolean): UnderstoodQuery | null {
    if (!this.options.understand) return null;
    const { vocabulary } = this.deps;
    const understanding = this.options.understandingOptions ? vocabulary.understandingWith(this.options.understandingOptions) : vocabulary.understanding;
    return understanding.understand(text, { correctSpelling });
  }

  /** What the understood text does to the search, and the understanding as the API reports it. */
  private conditions(understood: UnderstoodQuery | null, field: SearchUnderstanding['field'], restrictTo?: Map<string, string[]>) {
    const c = understoodConditions(understood, this.options.understanding, { restrictTo });
    const understanding: SearchUnderstanding | null = understood ? { ...understood, field, uses: c.uses, priceApplied: c.priceApplied } : null;
    return { ...c, understanding };
  }

  /** The category of a catalogue product, as a retrieval restriction; none when it has none. */
  private async referenceCategory(id: string): Promise<Map<string, string[]> | undefined> {
    const [product] = await this.deps.store.getProducts([id]);
    const values = product?.attributes.category;
    return values?.length ? new Map([['category', values]]) : undefined;
  }

  /** Products like a catalogue product: its stored image vector, the product left out. */
  async planSimilar(id: string, extras: { colours?: boolean } = {}): Promise<PlannedSearch> {
    const vector = await this.storedImageVector(id, 'id');
    const queryColours = extras.colours ? await this.pictureColours(this.picture(id, null)) : undefined;
    return { mode: 'SIMILAR', dense: [{ space: 'image', vector }], excludeIds: [id], queryAttributes: [], understanding: null, referenceId: id, imageKind: 'productId', queryColours };
  }

  async storedImageVector(id: string, what: string): Promise<Float32Array> {
    const vector = await this.deps.store.getVector(id, 'image');
    if (vector) return vector;
    const [product] = await this.deps.store.getProducts([id]);
    if (!product) throw new NotFoundError(`${what}: no product with id "${id}"`, { id });
    throw new NotFoundError(`${what}: product "${id}" has no image embedding`, { id });
  }

  private async encodeText(texts: string[]): Promise<Float32Array[]> {
    return this.deps.textEncoder.encode(texts);
  }

  private async encodeImage(image: ImageSource, keep?: (bytes: Buffer) => void): Promise<Float32Array> {
    const bytes = await this.deps.images.load({ url: image.url, base64: image.base64 }, 'input.image');
    keep?.(bytes);
    try {
      const [v] = await this.deps.imageEncoder.encode([bytes]);
      return v;
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new InvalidInputError(`input.image could not be decoded as an image: ${(e as Error).message}`, { argument: 'input.image' });
    }
  }
}
