/**
 * What an operation costs, before it runs: every selected field costs 1, and the root fields that
 * do real work add what their work weighs (a text search 10, a search with an uploaded or fetched
 * image 50, an evaluation or a rule preview 100, one per upserted product ...). The sum, computed by
 * graphql-query-complexity (aliases, fragments, @skip/@include and variables taken into account),
 * must stay within GRAPHQL_MAX_COST. The table is the one place these weights live.
 */
import type { ComplexityEstimator } from 'graphql-query-complexity';

type Args = Record<string, unknown>;
type Weight = number | ((args: Args) => number);

const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);

/** A search decodes and encodes an image when one is uploaded or fetched (a product's image is stored). */
export function searchesAnImage(input: unknown): boolean {
  const image = (input as { image?: { url?: unknown; base64?: unknown } | null } | null)?.image;
  return !!image && (typeof image.url === 'string' || typeof image.base64 === 'string');
}

export const SEARCH_COST = 10;
export const IMAGE_SEARCH_COST = 50;

/** Extra cost of root fields by "Type.field", on top of 1 per selected field. */
export const FIELD_WEIGHTS: Readonly<Record<string, Weight>> = {
  'Query.search': (args) => (searchesAnImage(args.input) ? IMAGE_SEARCH_COST : SEARCH_COST),
  'Query.similarProducts': SEARCH_COST,
  'Query.predictCategory': (args) => (searchesAnImage({ image: args.image }) ? IMAGE_SEARCH_COST : SEARCH_COST),
  'Query.completeTheLook': 20,
  'Query.products': (args) => Math.ceil(count(args.ids) / 10),
  'Query.searchAnalytics': 50,
  'Query.evaluationRuns': 10,
  'Query.evaluationRun': 20,
  'Mutation.upsertProducts': (args) => count(args.products),
  'Mutation.deleteProducts': (args) => Math.ceil(count(args.ids) / 10),
  'Mutation.recordSearchEvents': (args) => Math.ceil(count(args.events) / 10),
  'Mutation.evaluate': 100,
  // up to 2,000 searches (1,000 queries, with and without the rule) and their statistics
  'Query.previewRule': 100,
  'Mutation.upsertRule': 5,
  'Mutation.publishRules': 5,
  'Mutation.rollbackRules': 5,
};

/** The cost of one field given its arguments (variables substituted) and its selections' cost. */
export function fieldCost(typeName: string, fieldName: string, args: Args, childComplexity: number): number {
  const weight = FIELD_WEIGHTS[`${typeName}.${fieldName}`];
  const extra = weight === undefined ? 0 : typeof weight === 'number' ? weight : weight(args);
  return 1 + extra + childComplexity;
}

/** The estimator graphql-query-complexity calls for every field. */
export const costEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => fieldCost(type.name, field.name, args, childComplexity);
