/**
 * Access control for the resolver map, applied once: every Query and Mutation resolver is wrapped
 * so that it first checks the request's access (context.access) against the role its field needs
 * (src/auth/access-policy.ts). Resolvers themselves stay unaware of keys and roles.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { requiredRole } from '../auth/access-policy';
import type { Role } from '../auth/roles';
import type { GraphQLContext } from './context';

type RootResolver = (parent: unknown, args: unknown, context: GraphQLContext, info: GraphQLResolveInfo) => unknown;
type ResolverMap = Record<string, unknown>;

const ROOT_TYPES = ['Query', 'Mutation'] as const;

export function guardRootResolvers<R extends object>(resolvers: R, roleOf: (type: string, field: string) => Role = requiredRole): R {
  const guarded: Record<string, unknown> = { ...(resolvers as Record<string, unknown>) };
  for (const type of ROOT_TYPES) {
    const fields = (resolvers as unknown as Record<string, unknown>)[type] as ResolverMap | undefined;
    if (!fields) continue;
    const wrapped: ResolverMap = {};
    for (const [field, resolver] of Object.entries(fields)) {
      const role = roleOf(type, field);
      wrapped[field] = guard(resolver, role);
    }
    guarded[type] = wrapped;
  }
  return guarded as R;
}

function guard(resolver: unknown, role: Role): unknown {
  if (typeof resolver === 'function') {
    const resolve = resolver as RootResolver;
    return (parent: unknown, args: unknown, context: GraphQLContext, info: GraphQLResolveInfo) => {
      context.access.require(role);
      return resolve(parent, args, context, info);
    };
  }
  if (resolver && typeof resolver === 'object' && typeof (resolver as { resolve?: unknown }).resolve === 'function') {
    return { ...(resolver as object), resolve: guard((resolver as { resolve: unknown }).resolve, role) };
  }
  return resolver;
}
