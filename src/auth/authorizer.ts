/**
 * Decides, per request, who is calling and whether they may run an operation.
 *
 * A key comes in `authorization: Bearer <key>` or `x-api-key: <key>`. A request without either is
 * anonymous; a request with a malformed, unknown or revoked key, with two different keys, or with
 * another authorization scheme is `invalid`: it is refused everywhere, even on open operations, so
 * a client with a broken key finds out instead of silently running anonymously. Refusals say
 * nothing about why (UNAUTHENTICATED), except that a valid key lacking a role is told which role
 * it needs (FORBIDDEN). Keys never leave this module: the principal carries the key's name only.
 */
import { ForbiddenError, UnauthenticatedError } from '../domain/errors';
import type { ApiKeyVerifier } from './api-key.store';
import { grants, type Role } from './roles';

export type Principal = { kind: 'anonymous' } | { kind: 'invalid' } | { kind: 'key'; name: string; roles: readonly Role[] };

export type Decision = 'ALLOWED' | 'UNAUTHENTICATED' | 'FORBIDDEN';

/** Roles whose operations need no key: `search` by default, none with AUTH_SEARCH_REQUIRES_KEY. */
export function openRoles(searchRequiresKey: boolean): readonly Role[] {
  return searchRequiresKey ? [] : ['search'];
}

/** The access decision for one operation needing `needed`. */
export function decide(needed: Role, principal: Principal, open: readonly Role[]): Decision {
  if (principal.kind === 'invalid') return 'UNAUTHENTICATED';
  if (open.includes(needed)) return 'ALLOWED';
  if (principal.kind === 'anonymous') return 'UNAUTHENTICATED';
  return grants(principal.roles, needed) ? 'ALLOWED' : 'FORBIDDEN';
}

export type HeaderBag = Record<string, string | string[] | undefined>;

/**
 * The key a request presents: null when it presents none, 'invalid' when its credentials cannot be
 * read as one key (another scheme, repeated or conflicting headers).
 */
export function presentedKey(headers: HeaderBag): string | null | 'invalid' {
  const found: string[] = [];
  const authorization = headers.authorization;
  if (Array.isArray(authorization)) return 'invalid';
  if (authorization !== undefined && authorization.trim() !== '') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization.trim());
    if (!m) return 'invalid';
    found.push(m[1]);
  }
  const apiKey = headers['x-api-key'];
  if (Array.isArray(apiKey)) return 'invalid';
  if (apiKey !== undefined && apiKey.trim() !== '') found.push(apiKey.trim());
  if (found.length === 0) return null;
  if (found.some((k) => k !== found[0])) return 'invalid';
  return found[0];
}

/** One request's access: who calls, and a check that throws the coded error when refused. */
export interface RequestAccess {
  readonly principal: Principal;
  /** Throws UnauthenticatedError or ForbiddenError unless the caller may do what needs `role`. */
  require(role: Role): void;
  /** The decision without throwing. */
  decide(role: Role): Decision;
}

export function requestAccess(principal: Principal, open: readonly Role[]): RequestAccess {
  const decideFor = (role: Role) => decide(role, principal, open);
  return {
    principal,
    decide: decideFor,
    require(role) {
      const decision = decideFor(role);
      if (decision === 'UNAUTHENTICATED') throw new UnauthenticatedError();
      if (decision === 'FORBIDDEN') throw new ForbiddenError(`this operation needs an API key with the "${role}" role`, { requiredRole: role });
    },
  };
}

/** Anonymous access under the default policy (search open), e.g. for contexts built in tests. */
export const ANONYMOUS_ACCESS: RequestAccess = requestAccess({ kind: 'anonymous' }, openRoles(false));

export interface AuthorizerOptions {
  /** AUTH_SEARCH_REQUIRES_KEY: searching and reading products need a key with the `search` role. */
  searchRequiresKey: boolean;
}

export class Authorizer {
  private readonly open: readonly Role[];

  constructor(
    private readonly keys: ApiKeyVerifier,
    options: AuthorizerOptions,
  ) {
    this.open = openRoles(options.searchRequiresKey);
  }

  identify(headers: HeaderBag): Principal {
    const key = presentedKey(headers);
    if (key === null) return { kind: 'anonymous' };
    if (key === 'invalid') return { kind: 'invalid' };
    const record = this.keys.verify(key);
    return record ? { kind: 'key', name: record.name, roles: record.roles } : { kind: 'invalid' };
  }

  /** The access of a request with these headers. */
  forRequest(headers: HeaderBag): RequestAccess {
    return requestAccess(this.identify(headers), this.open);
  }
}
