/**
 * The roles an API key can hold, and what each allows. A key may hold several; `admin` implies
 * every other. Which operation needs which role is in access-policy.ts.
 */
export const ROLES = ['search', 'catalog', 'merchandiser', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  search: 'search and read products (open to anyone unless AUTH_SEARCH_REQUIRES_KEY=true)',
  catalog: 'upsert and delete products',
  merchandiser: 'read, preview, write, publish and roll back merchandising rules',
  analyst: 'run and read evaluations, read search analytics and, with METRICS_REQUIRE_KEY=true, /metrics',
  admin: 'everything, including model reloads',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether a key holding `held` may do what needs `needed`. */
export function grants(held: readonly Role[], needed: Role): boolean {
  return held.includes('admin') || held.includes(needed);
}
