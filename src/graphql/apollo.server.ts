/**
 * The Apollo server over schema/*.graphql and the resolver map, with the one error formatter.
 * HTTP is served by src/server/http.server.ts (plain node:http).
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Logger } from '../config/logger';
import type { GraphQLContext } from './context';
import { createErrorFormatter } from './errors';
import { resolvers } from './resolvers';
import { DateTime } from './scalars';
import { loadTypeDefs } from './schema';

export function createApolloServer(logger: Pick<Logger, 'error'>): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    typeDefs: loadTypeDefs(),
    resolvers: { ...resolvers, DateTime },
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((error) => logger.error('unexpected error in a GraphQL request', { error: describe(error) })),
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
