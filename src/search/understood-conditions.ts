/**
 * How the search uses what query understanding recognised (src/query/query-understanding.ts):
 *
 * - exclusions ("shirt but not red") become hard conditions: no product with an excluded value is
 *   returned;
 * - a price phrase ("under 50") becomes a price range;
 * - included attributes take part in retrieval: the most specific value of each attribute group
 *   (category, else group; colour, else colour family; pattern; material) restricts an extra dense
 *   source, fused with the others, so products that have them are retrieved even when a tower is
 *   misled by a word it never saw; included attributes at least `filterConfidence` sure become
 *   filters (off when null);
 * - included attributes at least `rankConfidence` sure re-rank (attribute.reranker.ts); less sure
 *   ones are reported and ignored.
 *
 * Pure: the search planner applies the conditions; the API reports each attribute's use.
 */
import type { Condition, Filter } from '../domain/filter';
import { PRICE_KEY } from '../domain/product';
import type { RecognisedAttribute, UnderstoodQuery } from '../query/query-understanding';

export interface UnderstandingPolicy {
  /** Groups of attributes that restrict retrieval; within a group the first one named is used. */
  retrievalGroups: readonly (readonly string[])[];
  /** Included attributes at least this confident restrict the extra retrieval source. */
  restrictConfidence: number;
  /** Included attributes at least this confident become filters; null: never. */
  filterConfidence: number | null;
  /** Excluded attributes at least this confident become exclusion conditions. */
  excludeConfidence: number;
  /** Included attributes at least this confident re-rank; less sure ones are reported and ignored. */
  rankConfidence: number;
  /** Whether price phrases become a price range. */
  applyPrice: boolean;
}

export const DEFAULT_UNDERSTANDING_POLICY: UnderstandingPolicy = {
  retrievalGroups: [['category', 'group'], ['color', 'colorFamily'], ['pattern'], ['material']],
  restrictConfidence: 0.3,
  filterConfidence: null,
  excludeConfidence: 0.5,
  rankConfidence: 0.3,
  applyPrice: true,
};

/** What an attribute did to the search. */
export type AttributeUse = 'FILTER' | 'RETRIEVAL' | 'RANKING' | 'EXCLUSION' | 'IGNORED';

export interface UnderstoodConditions {
  /** Conditions every result must meet (exclusions, price, confident attributes). */
  filter: Filter | undefined;
  /** The filter of the extra retrieval source; undefined when nothing is confident enough. */
  restriction: Filter | undefined;
  /** Included attributes that re-rank. */
  ranking: { name: string; value: string }[];
  /** Each recognised attribute (same order) and its use. */
  uses: AttributeUse[];
  priceApplied: boolean;
}

function anyOf(name: string, values: string[]): Condition {
  return values.length === 1 ? { kind: 'match', key: name, value: values[0] } : { kind: 'matchAny', key: name, any: values };
}

/** Per group, the first attribute name with values at least `threshold` sure, and those values. */
function chosen(attributes: RecognisedAttribute[], groups: readonly (readonly string[])[], threshold: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const group of groups) {
    for (const name of group) {
      const values = [...new Set(attributes.filter((a) => a.name === name && a.confidence >= threshold).map((a) => a.value))];
      if (values.length) {
        out.set(name, values);
        break;
      }
    }
  }
  return out;
}

export function understoodConditions(u: UnderstoodQuery | null, policy: UnderstandingPolicy, extra: { restrictTo?: Map<string, string[]> } = {}): UnderstoodConditions {
  const attributes = u?.attributes ?? [];
  const included = attributes.filter((a) => a.polarity === 'include');
  const excluded = attributes.filter((a) => a.polarity === 'exclude' && a.confidence >= policy.excludeConfidence);

  const filters = policy.filterConfidence === null ? new Map<string, string[]>() : chosen(included, policy.retrievalGroups, policy.filterConfidence);
  const restrict = chosen(included, policy.retrievalGroups, policy.restrictConfidence);
  for (const [name, values] of extra.restrictTo ?? []) if (!restrict.has(name)) restrict.set(name, values);

  const must: Condition[] = [...filters].map(([name, values]) => anyOf(name, values));
  const byName = new Map<string, string[]>();
  for (const a of excluded) byName.set(a.name, [...new Set([...(byName.get(a.name) ?? []), a.value])]);
  const mustNot: Condition[] = [...byName].map(([name, values]) => ({ kind: 'matchAny', key: name, any: values }));
  const price = policy.applyPrice && u?.price ? u.price : null;
  if (price && (price.min !== null || price.max !== null)) {
    const range: Condition = { kind: 'range', key: PRICE_KEY };
    if (price.min !== null) range.gte = price.min;
    if (price.max !== null) range.lte = price.max;
    must.push(range);
  }
  const filter: Filter | undefined = must.length || mustNot.length ? { ...(must.length ? { must } : {}), ...(mustNot.length ? { mustNot } : {}) } : undefined;
  const restrictConditions = [...restrict].filter(([name]) => !filters.has(name)).map(([name, values]) => anyOf(name, values));
  const restriction: Filter | undefined = restrictConditions.length ? { must: restrictConditions } : undefined;

  const uses: AttributeUse[] = attributes.map((a) => {
    if (a.polarity === 'exclude') return a.confidence >= policy.excludeConfidence ? 'EXCLUSION' : 'IGNORED';
    if (filters.get(a.name)?.includes(a.value) && a.confidence >= (policy.filterConfidence ?? Infinity)) return 'FILTER';
    if (restrict.get(a.name)?.includes(a.value) && a.confidence >= policy.restrictConfidence) return 'RETRIEVAL';
    return a.confidence >= policy.rankConfidence ? 'RANKING' : 'IGNORED';
  });
  return {
    filter,
    restriction,
    ranking: included.filter((a) => a.confidence >= policy.rankConfidence).map((a) => ({ name: a.name, value: a.value })),
    uses,
    priceApplied: price !== null,
  };
}
