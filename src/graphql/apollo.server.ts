/**
 * The Apollo server over schema/*.graphql and the resolver map, with the one error formatter.
 * HTTP is served by src/server/http.server.ts (plain node:http). CSRF prevention is on (Apollo
 * refuses simple cross-site requests); introspection follows GRAPHQL_INTROSPECTION; with an
 * observer, each root field and each response's errors are reported (src/graphql/metrics.plugin.ts).
 * Every request is held to the GraphQL limits (src/graphql/limits/graphql-limits.ts: tokens, depth,
 * fields and aliases, cost, errors per response); batched HTTP requests are off.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Logger } from '../config/logger';
import type { GraphQLContext } from './context';
import { createErrorFormatter } from './errors';
import { apolloLimitOptions, DEFAULT_GRAPHQL_LIMITS, type GraphQLLimits } from './limits/graphql-limits';
import { metricsPlugin, type GraphQLObserver } from './metrics.plugin';
import { resolvers } from './resolvers';
import { DateTime } from './scalars';
import { loadTypeDefs } from './schema';

export interface ApolloServerOptions {
  /** GRAPHQL_INTROSPECTION (default true). */
  introspection?: boolean;
  observer?: GraphQLObserver;
  /** Request limits (default DEFAULT_GRAPHQL_LIMITS). */
  limits?: GraphQLLimits;
}

export function createApolloServer(logger: Pick<Logger, 'error'>, options: ApolloServerOptions = {}): ApolloServer<GraphQLContext> {
  const { plugin: limitsPlugin, ...limitOptions } = apolloLimitOptions(options.limits ?? DEFAULT_GRAPHQL_LIMITS);
  return new ApolloServer<GraphQLContext>({
    ...limitOptions,
    typeDefs: loadTypeDefs(),
    resolvers: { ...resolvers, DateTime },
    introspection: options.introspection ?? true,
    csrfPrevention: true,
    // SIGTERM/SIGINT belong to src/main.ts, which drains requests and saves the stores before exiting;
    // Apollo's own handler would stop the server and re-raise the signal at once.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((error) => logger.error('unexpected error in a GraphQL request', { error: describe(error) })),
    plugins: [ApolloServerPluginLandingPageDisabled(), limitsPlugin, ...(options.observer ? [metricsPlugin(options.observer)] : [])],
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
