/**
 * Which role each GraphQL root field needs: the one table of the API's access control. Fields
 * needing `search` are open to anyone (a key is not needed) unless AUTH_SEARCH_REQUIRES_KEY is set.
 * A root field missing here needs `admin`, so a new operation is closed until it is listed
 * (test/unit/auth/access-policy.test.ts fails for every schema root field without an entry).
 */
import type { Role } from './roles';

export type RootType = 'Query' | 'Mutation';

export const OPERATION_ROLES: Readonly<Record<RootType, Readonly<Record<string, Role>>>> = {
  Query: {
    serviceInfo: 'search',
    ingestStatus: 'search',
    product: 'search',
    products: 'search',
    search: 'search',
    similarProducts: 'search',
    completeTheLook: 'search',
    predictCategory: 'search',
    evaluationRuns: 'analyst',
    evaluationRun: 'analyst',
    evaluationJob: 'analyst',
    searchAnalytics: 'analyst',
    rules: 'merchandiser',
    rule: 'merchandiser',
    ruleReleases: 'merchandiser',
    ruleRelease: 'merchandiser',
    ruleAudit: 'merchandiser',
    previewRule: 'merchandiser',
  },
  Mutation: {
    recordSearchEvents: 'search',
    upsertProducts: 'catalog',
    deleteProducts: 'catalog',
    evaluate: 'analyst',
    cancelEvaluation: 'analyst',
    reloadModels: 'admin',
    upsertRule: 'merchandiser',
    deleteRule: 'merchandiser',
    publishRules: 'merchandiser',
    rollbackRules: 'merchandiser',
  },
};

/** The role a root field needs (`admin` for fields the table does not list). */
export function requiredRole(type: string, field: string): Role {
  const table = OPERATION_ROLES[type as RootType] as Readonly<Record<string, Role>> | undefined;
  return (table && Object.prototype.hasOwnProperty.call(table, field) ? table[field] : undefined) ?? 'admin';
}
