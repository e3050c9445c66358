/**
 * "Complete the look": for a product, suggestions for every complementary slot of an outfit and the
 * best full outfit, scored by the compatibility model.
 *
 * 1. The slots come from the product's group (top -> bottom, shoes, bag; dress -> shoes, bag; shoes
 *    and bags fit both structures, and the structure with the better outfit wins).
 * 2. Each slot's candidate pool is a vector search with the product's stored image vector (text
 *    vector when it has none) restricted to the slot's group and to products sharing an occasion
 *    and a season with it and not of the opposite gender; when that leaves too few, the pool is
 *    the group alone.
 * 3. Coordinate ascent over full outfits: start from each slot's nearest candidate, then re-score
 *    every candidate of one slot with the other slots fixed and keep the best, until a pass changes
 *    nothing (at most `passes`). A suggestion's score is that of the final outfit with the
 *    suggestion in its slot, so each slot's first suggestion is the final outfit's item.
 */
import { InvalidInputError, NotFoundError, UnavailableError } from '../domain/errors';
import type { Condition, Filter } from '../domain/filter';
import type { Product } from '../domain/product';
import type { VectorSpace, VectorStore } from '../stores/vector-store';
import type { OutfitScorer } from './outfit-scorer';
import { complementarySlots } from './outfit-structures';
import type { CompleteTheLookResult, OutfitSlot } from './outfit.types';

export interface OutfitServiceOptions {
  /** Candidates retrieved per slot (default 40). */
  poolSize?: number;
  /** Most coordinate-ascent passes over the slots (default 3). */
  passes?: number;
  /** Largest `first` accepted (default 20). */
  maxFirst?: number;
}

const OPPOSITE_GENDER: Record<string, string> = { women: 'men', men: 'women' };

/** The filter for one slot's candidates: the group, plus the product's occasions, seasons and gender when `strict`. */
export function slotFilter(product: Product, group: string, strict: boolean): Filter {
  const must: Condition[] = [{ kind: 'match', key: 'group', value: group }];
  const mustNot: Condition[] = [];
  if (strict) {
    const occasions = product.attributes.occasion ?? [];
    if (occasions.length) must.push({ kind: 'matchAny', key: 'occasion', any: occasions });
    const seasons = product.attributes.season ?? [];
    if (seasons.length && !seasons.includes('all-season')) must.push({ kind: 'matchAny', key: 'season', any: [...seasons, 'all-season'] });
    const opposite = OPPOSITE_GENDER[(product.attributes.gender ?? [])[0] ?? ''];
    if (opposite) mustNot.push({ kind: 'match', key: 'gender', value: opposite });
  }
  return mustNot.length ? { must, mustNot } : { must };
}

interface Plan {
  groups: string[];
  pools: Product[][];
  picks: number[];
  score: number;
  /** Per slot, per candidate: score of the final outfit with that candidate in the slot. */
  candidateScores: number[][];
}

export class OutfitService {
  private readonly poolSize: number;
  private readonly passes: number;
  private readonly maxFirst: number;

  constructor(
    private readonly store: VectorStore,
    private readonly scorer: OutfitScorer,
    options: OutfitServiceOptions = {},
  ) {
    this.poolSize = options.poolSize ?? 40;
    this.passes = options.passes ?? 3;
    this.maxFirst = options.maxFirst ?? 20;
  }

  async completeTheLook(productId: string, first = 4): Promise<CompleteTheLookResult> {
    if (typeof productId !== 'string' || productId.trim() === '') throw new InvalidInputError('productId must be a non-empty product id');
    if (!Number.isInteger(first) || first < 1) throw new InvalidInputError(`first must be a positive integer (got ${first})`);
    const size = Math.min(first, this.maxFirst);
    const [product] = await this.store.getProducts([productId]);
    if (!product) throw new NotFoundError(`no product with id "${productId}"`, { id: productId });
    const group = (product.attributes.group ?? [])[0];
    if (!group) throw new InvalidInputError(`product "${productId}" has no group attribute, so no outfit structure applies`, { id: productId });
    const structures = complementarySlots(group);
    if (structures.length === 0) {
      throw new InvalidInputError(`products of group "${group}" are not part of an outfit: choose a top, bottom, dress, shoes or bag`, { id: productId, group });
    }
    const query = await this.queryVector(productId);
    const plans: Plan[] = [];
    for (const groups of structures) {
      const pools = await Promise.all(groups.map((g) => this.pool(product, g, query)));
      if (pools.some((p) => p.length === 0)) continue;
      plans.push(await this.optimise(product, groups, pools));
    }
    if (plans.length === 0) {
      throw new NotFoundError(`the catalogue has no products to complete an outfit with "${productId}" (needs ${structures.map((s) => s.join(' + ')).join(' or ')})`, { id: productId });
    }
    const best = plans.reduce((a, b) => (b.score > a.score ? b : a));
    const slots: OutfitSlot[] = best.groups.map((g, s) => ({
      group: g,
      suggestions: best.pools[s]
        .map((p, i) => ({ product: p, score: best.candidateScores[s][i] }))
        .sort((a, b) => b.score - a.score)
        .slice(0, size),
    }));
    return {
      product,
      slots,
      bestOutfit: { items: [product, ...best.picks.map((i, s) => best.pools[s][i])], score: best.score },
      model: this.scorer.model,
    };
  }

  private async queryVector(id: string): Promise<{ space: VectorSpace; vector: Float32Array } | null> {
    for (const space of ['image', 'text'] as const) {
      const vector = await this.store.getVector(id, space);
      if (vector) return { space, vector };
    }
    return null;
  }

  /** Candidates for one slot, nearest to the product first. */
  private async pool(product: Product, group: string, query: { space: VectorSpace; vector: Float32Array } | null): Promise<Product[]> {
    const strict = await this.candidates(product, slotFilter(product, group, true), query);
    if (strict.length >= Math.min(this.poolSize, 8)) return strict;
    const loose = await this.candidates(product, slotFilter(product, group, false), query);
    const seen = new Set(strict.map((p) => p.id));
    return [...strict, ...loose.filter((p) => !seen.has(p.id))].slice(0, this.poolSize);
  }

  private async candidates(product: Product, filter: Filter, query: { space: VectorSpace; vector: Float32Array } | null): Promise<Product[]> {
    let ids: string[];
    if (query) {
      const hits = await this.store.search({ dense: [query], filter, limit: this.poolSize, excludeIds: [product.id] });
      ids = hits.map((h) => h.id);
    } else {
      const page = await this.store.scroll({ limit: this.poolSize + 1, filter });
      ids = page.items.map((i) => i.product.id).filter((id) => id !== product.id).slice(0, this.poolSize);
    }
    const products = await this.store.getProducts(ids);
    return products.filter((p): p is Product => p !== null);
  }

  private async optimise(product: Product, groups: string[], pools: Product[][]): Promise<Plan> {
    const picks = groups.map(() => 0);
    const scores: number[][] = pools.map(() => []);
    /** The picks each slot's scores were computed with. */
    const context: string[] = groups.map(() => '');
    const scoreSlot = async (s: number): Promise<void> => {
      const outfits = pools[s].map((c) => [product, ...picks.map((i, t) => (t === s ? c : pools[t][i]))]);
      scores[s] = await this.scorer.score(outfits);
      context[s] = picks.map((i, t) => (t === s ? '*' : i)).join(',');
    };
    for (let pass = 0; pass < this.passes; pass++) {
      let changed = false;
      for (let s = 0; s < groups.length; s++) {
        await scoreSlot(s);
        const best = scores[s].reduce((b, v, i) => (v > scores[s][b] ? i : b), picks[s]);
        if (best !== picks[s]) changed = true;
        picks[s] = best;
      }
      if (!changed) break;
    }
    // every slot's candidates are scored in the final outfit (the others at their picks)
    for (let s = 0; s < groups.length; s++) {
      if (context[s] !== picks.map((i, t) => (t === s ? '*' : i)).join(',')) await scoreSlot(s);
    }
    return { groups, pools, picks, score: scores[0][picks[0]], candidateScores: scores };
  }
}

/** The service, or UNAVAILABLE when the server runs without the outfit model. */
export function outfitService(service: OutfitService | undefined): OutfitService {
  if (!service) throw new UnavailableError('complete the look is not available: the outfit model (models/fashion-outfit) is not loaded');
  return service;
}
