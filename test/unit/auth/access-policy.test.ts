/** The access table covers every root field of the schema, and the resolver map is guarded by it. */
import { buildSchema, type GraphQLResolveInfo } from 'graphql';
import { OPERATION_ROLES, requiredRole } from '../../../src/auth/access-policy';
import { requestAccess, openRoles } from '../../../src/auth/authorizer';
import { isRole } from '../../../src/auth/roles';
import { guardRootResolvers } from '../../../src/graphql/access.guard';
import type { GraphQLContext } from '../../../src/graphql/context';
import { resolvers } from '../../../src/graphql/resolvers';
import { loadTypeDefs } from '../../../src/graphql/schema';

const schema = buildSchema(loadTypeDefs().join('\n'));

describe('OPERATION_ROLES', () => {
  for (const type of ['Query', 'Mutation'] as const) {
    const fields = Object.keys(schema.getType(type) ? (schema.getType(type) as { getFields(): object }).getFields() : {});
    it(`names the role of every ${type} field of the schema (add new operations to src/auth/access-policy.ts)`, () => {
      const missing = fields.filter((f) => !Object.prototype.hasOwnProperty.call(OPERATION_ROLES[type], f));
      expect(missing).toEqual([]);
    });
    it(`lists only ${type} fields that exist, with known roles`, () => {
      for (const [field, role] of Object.entries(OPERATION_ROLES[type])) {
        expect(fields).toContain(field);
        expect(isRole(role)).toBe(true);
      }
    });
  }

  it('keeps writes, evaluations and analytics behind keys, and searching open', () => {
    expect(requiredRole('Mutation', 'upsertProducts')).toBe('catalog');
    expect(requiredRole('Mutation', 'deleteProducts')).toBe('catalog');
    expect(requiredRole('Mutation', 'evaluate')).toBe('analyst');
    expect(requiredRole('Mutation', 'reloadModels')).toBe('admin');
    expect(requiredRole('Query', 'searchAnalytics')).toBe('analyst');
    expect(requiredRole('Query', 'search')).toBe('search');
    expect(requiredRole('Query', 'toString')).toBe('admin');
    expect(requiredRole('Subscription', 'anything')).toBe('admin');
  });
});

describe('guardRootResolvers', () => {
  const info = {} as GraphQLResolveInfo;
  const context = (roles: ('catalog' | 'search')[] | null) =>
    ({ access: requestAccess(roles ? { kind: 'key', name: 'k', roles } : { kind: 'anonymous' }, openRoles(false)) }) as unknown as GraphQLContext;

  it('checks the role before the resolver runs, and passes everything through when allowed', async () => {
    const calls: unknown[] = [];
    const guarded = guardRootResolvers(
      { Query: { search: (...args: unknown[]) => (calls.push(args), 'hits') }, Mutation: { upsertProducts: () => 'written' }, Product: { id: () => 'x' } },
      requiredRole,
    );
    const q = guarded.Query.search as unknown as (...a: unknown[]) => unknown;
    const m = guarded.Mutation.upsertProducts as unknown as (...a: unknown[]) => unknown;
    const anonymous = context(null);
    expect(q('p', { a: 1 }, anonymous, info)).toBe('hits');
    expect(calls).toEqual([['p', { a: 1 }, anonymous, info]]);
    expect(() => m(undefined, {}, context(null), info)).toThrow('this operation needs an API key');
    expect(() => m(undefined, {}, context(['search']), info)).toThrow('this operation needs an API key with the "catalog" role');
    expect(m(undefined, {}, context(['catalog']), info)).toBe('written');
    // type resolvers are left alone
    expect(guarded.Product.id).toBeDefined();
    expect((guarded.Product.id as () => string)()).toBe('x');
  });

  it('guards every root field of the real resolver map', () => {
    for (const type of ['Query', 'Mutation'] as const) {
      for (const [field, resolver] of Object.entries(resolvers[type] ?? {})) {
        if (requiredRole(type, field) === 'search') continue;
        expect(() => (resolver as (...a: unknown[]) => unknown)(undefined, {}, context(null), info)).toThrow('this operation needs an API key');
      }
    }
  });
});
