/**
 * Apollo plugin with the two request limits that need more than the document:
 * - the query cost (src/graphql/limits/query-cost.ts), checked once the operation and its variables
 *   are known and before it executes; over GRAPHQL_MAX_COST the request is refused with
 *   GRAPHQL_VALIDATION_FAILED (HTTP 400) and `extensions.limit = "cost"`;
 * - a cap on the errors one response carries (GRAPHQL_MAX_ERRORS): beyond it the first errors are
 *   kept and one summarising error says how many were left out, so 50 bad variables or 5,000 failing
 *   aliases do not turn into a megabyte of repeated messages;
 * - a Retry-After header when an error says when to retry (OVERLOADED errors of rate limits, the
 *   encoders' queue or the evaluation queue carry `extensions.retryAfterSeconds`).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { costEstimator } from './query-cost';

export interface RequestLimitsOptions {
  maxCost: number;
  maxErrors: number;
}

/**
 * At most `max` errors, then one summary of the rest: its code is that of the first left-out error
 * (all of them share it when, as usual, they are the same kind of problem) and
 * `extensions.omittedErrors` counts them.
 */
export function capErrors(errors: readonly GraphQLFormattedError[], max: number): GraphQLFormattedError[] {
  if (errors.length <= max) return [...errors];
  const kept = errors.slice(0, max);
  const rest = errors.slice(max);
  const code = rest[0].extensions?.code;
  return [
    ...kept,
    {
      message: `${rest.length} more errors were left out (${errors.length} in all): fix the errors above and send the request again`,
      extensions: { code: typeof code === 'string' ? code : 'BAD_USER_INPUT', omittedErrors: rest.length },
    },
  ];
}

export function requestLimitsPlugin(options: RequestLimitsOptions): ApolloServerPlugin {
  for (const [name, v] of Object.entries(options)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer (got ${v})`);
  }
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              variables: request.variables ?? {},
              operationName: operationName ?? undefined,
              estimators: [costEstimator],
            });
          } catch {
            // Variables that do not coerce: execution reports them, one error per problem.
            return;
          }
          if (cost > options.maxCost) {
            throw new GraphQLError(
              `the operation costs ${cost}; at most ${options.maxCost} are allowed (a field costs 1, a search 10, an image search 50, an evaluation 100, an upserted product 1): split it into several requests`,
              { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', maximum: options.maxCost, actual: cost, http: { status: 400 } } },
            );
          }
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors?.length) return;
          const retryAfter = Math.max(0, ...errors.map((e) => Number(e.extensions?.retryAfterSeconds) || 0));
          if (retryAfter > 0) response.http.headers.set('retry-after', String(Math.ceil(retryAfter)));
          if (errors.length > options.maxErrors) response.body.singleResult.errors = capErrors(errors, options.maxErrors);
        },
      };
    },
  };
}
