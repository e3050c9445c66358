/**
 * The one place domain errors become GraphQL errors. A DomainError keeps its message (which says
 * what to fix) and gets `extensions.code`; GraphQL's own errors (syntax, validation, variable
 * coercion) keep their codes, and the few that come without one are given theirs; anything else is
 * an internal error whose details are logged, not sent.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DomainError } from '../domain/errors';

export const INTERNAL_CODE = 'INTERNAL_SERVER_ERROR';

/**
 * Errors of graphql-js and Apollo that carry no code although the request caused them; without
 * this table they would be answered as internal errors and logged as such on every such request.
 * Each is matched by its message (outside any field: no path) and answered with a code and a
 * message saying what to change.
 */
const CLIENT_ERRORS_WITHOUT_CODE: { match: RegExp; code: string; message: (m: RegExpExecArray) => string }[] = [
  {
    // graphql-js stops coercing variables after 50 errors (Apollo marks the 50 before it BAD_USER_INPUT)
    match: /^Too many errors processing variables, error limit reached\./,
    code: 'BAD_USER_INPUT',
    message: () => 'more than 50 values in the variables are invalid and the rest were not checked: fix the errors above and send the request again',
  },
  {
    // an operation type the schema does not define (it has no Subscription type)
    match: /^Schema is not configured to execute (\w+) operation\.$/,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: (m) => `this API has no ${m[1]} operations: send a query or a mutation`,
  },
];

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
    for (const known of formatted.path ? [] : CLIENT_ERRORS_WITHOUT_CODE) {
      const m = known.match.exec(formatted.message);
      if (m) return { message: known.message(m), locations: formatted.locations, extensions: { code: known.code } };
    }
    // Apollo refuses some requests with an HTTP 4xx status but no code (e.g. a persisted-query hash
    // that does not match the query sent with it): the request's fault, said in Apollo's words.
    const status = (original as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http?.status;
    if (!formatted.path && typeof status === 'number' && status >= 400 && status < 500) {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: 'BAD_REQUEST' } };
    }
    onInternal(original);
    return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: INTERNAL_CODE } };
  };
}
