/**
 * Rate limits of the expensive root fields, applied once to the resolver map (like the access
 * guard, which runs first: a refused caller spends no tokens). Which field call draws on which
 * limit is the table below; the limiter (src/server/token-bucket.limiter.ts) is process-wide and
 * reached through the context's services, so resolvers stay unaware of limits. A caller is its API
 * key's name when it presents a valid key, else its client address. Over the limit a call fails
 * with OVERLOADED, `extensions.retryAfterSeconds` saying when to retry (also sent as Retry-After).
 */
import type { GraphQLResolveInfo } from 'graphql';
import { OverloadedError } from '../domain/errors';
import type { TokenBucketLimiter } from '../server/token-bucket.limiter';
import type { GraphQLContext } from './context';
import { searchesAnImage } from './limits/query-cost';

export type RateLimitedKind = 'imageSearch' | 'catalogWrite' | 'evaluation';

export type RateLimiter = Pick<TokenBucketLimiter<RateLimitedKind>, 'take' | 'perMinute'>;

const WHAT: Record<RateLimitedKind, string> = {
  imageSearch: 'image searches (an uploaded or fetched image)',
  catalogWrite: 'catalogue writes (upsertProducts, deleteProducts)',
  evaluation: 'evaluations and rule previews',
};

/** The limit a root field call draws on, or null for calls that are not rate limited. */
export function rateLimitedKind(type: string, field: string, args: Record<string, unknown>): RateLimitedKind | null {
  if (type === 'Query' && field === 'search') return searchesAnImage(args.input) ? 'imageSearch' : null;
  if (type === 'Query' && field === 'predictCategory') return searchesAnImage({ image: args.image }) ? 'imageSearch' : null;
  if (type === 'Mutation' && (field === 'upsertProducts' || field === 'deleteProducts')) return 'catalogWrite';
  if (type === 'Mutation' && field === 'evaluate') return 'evaluation';
  if (type === 'Query' && field === 'previewRule') return 'evaluation';
  return null;
}

/** Who a request counts against: its key's name, else its client address. */
export function rateLimitClient(context: Pick<GraphQLContext, 'access' | 'clientAddress'>): string {
  const principal = context.access?.principal;
  if (principal?.kind === 'key') return `key:${principal.name}`;
  return `address:${context.clientAddress ?? 'unknown'}`;
}

/** Throws OverloadedError when `context`'s caller has no token left for `kind`. */
export function takeRateToken(limiter: RateLimiter, kind: RateLimitedKind, context: Pick<GraphQLContext, 'access' | 'clientAddress'>): void {
  const decision = limiter.take(kind, rateLimitClient(context));
  if (decision.allowed) return;
  throw new OverloadedError(
    `too many ${WHAT[kind]} from this client: at most ${limiter.perMinute(kind)} a minute; retry in ${decision.retryAfterSeconds} s`,
    { limit: kind, retryAfterSeconds: decision.retryAfterSeconds },
  );
}

type RootResolver = (parent: unknown, args: Record<string, unknown>, context: GraphQLContext, info: GraphQLResolveInfo) => unknown;

/** The resolver map with every rate-limited root field drawing a token before it runs. */
export function rateLimitRootResolvers<R extends object>(resolvers: R): R {
  const limited: Record<string, unknown> = { ...(resolvers as Record<string, unknown>) };
  for (const type of ['Query', 'Mutation']) {
    const fields = (resolvers as Record<string, Record<string, unknown> | undefined>)[type];
    if (!fields) continue;
    const wrapped: Record<string, unknown> = {};
    for (const [field, resolver] of Object.entries(fields)) {
      if (typeof resolver !== 'function') {
        wrapped[field] = resolver;
        continue;
      }
      const resolve = resolver as RootResolver;
      wrapped[field] = (parent: unknown, args: Record<string, unknown>, context: GraphQLContext, info: GraphQLResolveInfo) => {
        const limiter = context.services.rateLimiter;
        const kind = limiter ? rateLimitedKind(type, field, args ?? {}) : null;
        if (limiter && kind) takeRateToken(limiter, kind, context);
        return resolve(parent, args, context, info);
      };
    }
    limited[type] = wrapped;
  }
  return limited as R;
}
