/** Who may run what: the decision table, reading credentials from headers, and the resolver guard. */
import type { ApiKeyRecord, ApiKeyVerifier } from '../../../src/auth/api-key.store';
import { requiredRole } from '../../../src/auth/access-policy';
import { Authorizer, decide, openRoles, presentedKey, requestAccess, type Decision, type Principal } from '../../../src/auth/authorizer';
import type { Role } from '../../../src/auth/roles';
import { ForbiddenError, UnauthenticatedError } from '../../../src/domain/errors';

const anonymous: Principal = { kind: 'anonymous' };
const invalid: Principal = { kind: 'invalid' };
const key = (...roles: Role[]): Principal => ({ kind: 'key', name: 'k', roles });

describe('decide: operation x key state x roles', () => {
  // [operation, principal, search needs a key?, expected]
  const table: [string, string, Principal, boolean, Decision][] = [
    ['Query.search', 'anonymous', anonymous, false, 'ALLOWED'],
    ['Query.search', 'anonymous', anonymous, true, 'UNAUTHENTICATED'],
    ['Query.search', 'wrong key', invalid, false, 'UNAUTHENTICATED'],
    ['Query.search', 'catalog key', key('catalog'), false, 'ALLOWED'],
    ['Query.search', 'catalog key', key('catalog'), true, 'FORBIDDEN'],
    ['Query.search', 'search key', key('search'), true, 'ALLOWED'],
    ['Query.search', 'admin key', key('admin'), true, 'ALLOWED'],
    ['Query.product', 'anonymous', anonymous, false, 'ALLOWED'],
    ['Query.similarProducts', 'anonymous', anonymous, true, 'UNAUTHENTICATED'],
    ['Query.completeTheLook', 'search key', key('search'), true, 'ALLOWED'],
    ['Query.serviceInfo', 'anonymous', anonymous, false, 'ALLOWED'],
    ['Query.ingestStatus', 'anonymous', anonymous, false, 'ALLOWED'],
    ['Mutation.recordSearchEvents', 'anonymous', anonymous, false, 'ALLOWED'],
    ['Mutation.upsertProducts', 'anonymous', anonymous, false, 'UNAUTHENTICATED'],
    ['Mutation.upsertProducts', 'wrong key', invalid, false, 'UNAUTHENTICATED'],
    ['Mutation.upsertProducts', 'search key', key('search'), false, 'FORBIDDEN'],
    ['Mutation.upsertProducts', 'analyst key', key('analyst'), false, 'FORBIDDEN'],
    ['Mutation.upsertProducts', 'catalog key', key('catalog'), false, 'ALLOWED'],
    ['Mutation.upsertProducts', 'admin key', key('admin'), false, 'ALLOWED'],
    ['Mutation.deleteProducts', 'catalog+analyst key', key('catalog', 'analyst'), false, 'ALLOWED'],
    ['Mutation.deleteProducts', 'merchandiser key', key('merchandiser'), false, 'FORBIDDEN'],
    ['Mutation.evaluate', 'anonymous', anonymous, false, 'UNAUTHENTICATED'],
    ['Mutation.evaluate', 'search key', key('search'), false, 'FORBIDDEN'],
    ['Mutation.evaluate', 'catalog key', key('catalog'), false, 'FORBIDDEN'],
    ['Mutation.evaluate', 'analyst key', key('analyst'), false, 'ALLOWED'],
    ['Query.evaluationRuns', 'analyst key', key('analyst'), false, 'ALLOWED'],
    ['Query.evaluationRun', 'catalog key', key('catalog'), false, 'FORBIDDEN'],
    ['Query.searchAnalytics', 'anonymous', anonymous, false, 'UNAUTHENTICATED'],
    ['Query.searchAnalytics', 'catalog+analyst key', key('catalog', 'analyst'), false, 'ALLOWED'],
    ['Query.searchAnalytics', 'admin key', key('admin'), true, 'ALLOWED'],
    ['Mutation.reloadModels (not in the table)', 'analyst key', key('analyst'), false, 'FORBIDDEN'],
    ['Mutation.reloadModels (not in the table)', 'admin key', key('admin'), false, 'ALLOWED'],
  ];
  it.each(table)('%s with %s (search needs a key: %s) -> %s', (operation, _who, principal, searchRequiresKey, expected) => {
    const [type, field] = operation.split(' ')[0].split('.');
    expect(decide(requiredRole(type, field), principal, openRoles(searchRequiresKey))).toBe(expected);
  });
});

describe('presentedKey', () => {
  const table: [string, Record<string, string | string[] | undefined>, string | null][] = [
    ['no headers', {}, null],
    ['empty authorization', { authorization: '  ' }, null],
    ['bearer', { authorization: 'Bearer abc' }, 'abc'],
    ['bearer, any case and spacing', { authorization: 'bearer \t abc ' }, 'abc'],
    ['x-api-key', { 'x-api-key': ' abc ' }, 'abc'],
    ['both, the same key', { authorization: 'Bearer abc', 'x-api-key': 'abc' }, 'abc'],
    ['both, different keys', { authorization: 'Bearer abc', 'x-api-key': 'xyz' }, 'invalid'],
    ['basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'invalid'],
    ['bearer without a key', { authorization: 'Bearer' }, 'invalid'],
    ['bearer with two words', { authorization: 'Bearer a b' }, 'invalid'],
    ['repeated x-api-key', { 'x-api-key': ['a', 'b'] }, 'invalid'],
  ];
  it.each(table)('%s', (_name, headers, expected) => expect(presentedKey(headers)).toBe(expected));
});

describe('Authorizer', () => {
  const records: Record<string, ApiKeyRecord> = {
    'good-catalog': { id: '1', name: 'feed', roles: ['catalog'], createdAt: '', lastUsedAt: null },
  };
  const verifier: ApiKeyVerifier & { seen: string[] } = {
    seen: [],
    verify(k) {
      this.seen.push(k);
      return records[k] ?? null;
    },
  };

  it('identifies callers by their headers, carrying the key name, never the key', () => {
    const authorizer = new Authorizer(verifier, { searchRequiresKey: false });
    expect(authorizer.identify({})).toEqual({ kind: 'anonymous' });
    expect(authorizer.identify({ 'x-api-key': 'good-catalog' })).toEqual({ kind: 'key', name: 'feed', roles: ['catalog'] });
    expect(authorizer.identify({ authorization: 'Bearer nope' })).toEqual({ kind: 'invalid' });
    expect(JSON.stringify(authorizer.identify({ 'x-api-key': 'good-catalog' }))).not.toContain('good-catalog');
  });

  it('does not consult the key store for anonymous requests', () => {
    verifier.seen.length = 0;
    new Authorizer(verifier, { searchRequiresKey: false }).forRequest({});
    expect(verifier.seen).toEqual([]);
  });

  it('throws coded errors: UNAUTHENTICATED without detail, FORBIDDEN naming the role', () => {
    const authorizer = new Authorizer(verifier, { searchRequiresKey: true });
    const missing = catchError(() => authorizer.forRequest({}).require('catalog'));
    const wrong = catchError(() => authorizer.forRequest({ 'x-api-key': 'nope' }).require('catalog'));
    expect(missing).toBeInstanceOf(UnauthenticatedError);
    expect(wrong).toBeInstanceOf(UnauthenticatedError);
    // a missing and a wrong key look the same
    expect(wrong.message).toBe(missing.message);
    expect(wrong.message).toBe('this operation needs an API key');
    expect((wrong as UnauthenticatedError).details).toEqual({});
    const forbidden = catchError(() => authorizer.forRequest({ 'x-api-key': 'good-catalog' }).require('analyst'));
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(forbidden.message).toBe('this operation needs an API key with the "analyst" role');
    expect(() => authorizer.forRequest({ 'x-api-key': 'good-catalog' }).require('catalog')).not.toThrow();
    expect(() => authorizer.forRequest({}).require('search')).toThrow(UnauthenticatedError);
  });

  it('requestAccess exposes the principal and the decision without throwing', () => {
    const access = requestAccess(key('analyst'), openRoles(false));
    expect(access.principal).toEqual(key('analyst'));
    expect(access.decide('analyst')).toBe('ALLOWED');
    expect(access.decide('catalog')).toBe('FORBIDDEN');
  });
});

function catchError(fn: () => void): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
