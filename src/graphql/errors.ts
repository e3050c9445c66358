/**
 * The one place domain errors become GraphQL errors. A DomainError keeps its message (which says
 * what to fix) and gets `extensions.code`; GraphQL's own errors (syntax, validation, variable
 * coercion) keep their codes; anything else is an internal error whose details are logged, not sent.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DomainError } from '../domain/errors';

export const INTERNAL_CODE = 'INTERNAL_SERVER_ERROR';

/**
 * The `extensions.code` an error thrown by a resolver is answered with (as the formatter below
 * decides), for metrics that count errors by code.
 */
export function graphqlErrorCode(error: unknown): string {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) return original.code === 'INTERNAL' ? INTERNAL_CODE : original.code;
  const code = (original as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : INTERNAL_CODE;
}

export function createErrorFormatter(onInternal: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      const code = original.code === 'INTERNAL' ? INTERNAL_CODE : original.code;
      if (original.code === 'INTERNAL') onInternal(original);
      return {
        message: original.code === 'INTERNAL' ? 'internal error' : original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...original.details, code },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== INTERNAL_CODE) return formatted;
    onInternal(original);
    return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: INTERNAL_CODE } };
  };
}
