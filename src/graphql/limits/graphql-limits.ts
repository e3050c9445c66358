/**
 * The limits every GraphQL request is held to, in one record (configured by the GRAPHQL_MAX_*
 * variables, src/config/config.ts), and the Apollo options that apply them: a token limit while
 * parsing, the operation-size rule (depth, fields and aliases) during validation, the cost limit
 * and the error cap as a plugin. Variables are bounded earlier, by the HTTP front
 * (src/server/json-shape.guard.ts), before Apollo coerces them.
 */
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { createOperationSizeRule } from './operation-size.rule';
import { requestLimitsPlugin } from './request-limits.plugin';

export interface GraphQLLimits {
  /** Deepest selection level (the playground's introspection query is 15 deep). */
  maxDepth: number;
  /** Most field selections per operation, aliases and fragment expansions counted. */
  maxFields: number;
  /** Most cost per request (query-cost.ts). */
  maxCost: number;
  /** Most lexical tokens in a query document (parsing stops beyond). */
  maxTokens: number;
  /** Most errors in one response; the rest are summarised in one more. */
  maxErrors: number;
  /** Deepest nesting of the variables' JSON. */
  maxVariablesDepth: number;
  /** Most values in the variables' JSON. */
  maxVariableValues: number;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = {
  maxDepth: 15,
  maxFields: 1000,
  maxCost: 1000,
  maxTokens: 20_000,
  maxErrors: 20,
  maxVariablesDepth: 32,
  maxVariableValues: 50_000,
};

/** The Apollo options enforcing `limits` (batched HTTP requests stay off: one operation per request). */
export function apolloLimitOptions(limits: GraphQLLimits): Pick<ApolloServerOptions<never>, 'parseOptions' | 'validationRules' | 'allowBatchedHttpRequests'> & {
  plugin: ApolloServerPlugin;
} {
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [createOperationSizeRule({ maxDepth: limits.maxDepth, maxFields: limits.maxFields })],
    allowBatchedHttpRequests: false,
    plugin: requestLimitsPlugin({ maxCost: limits.maxCost, maxErrors: limits.maxErrors }),
  };
}
