/** The access-control, production and CORS variables of the configuration. */
import { ConfigError, loadConfig } from '../../../src/config/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('security and operations settings', () => {
  it('defaults to open search, keys for everything else, introspection and playground on, no CORS', () => {
    const c = loadConfig({});
    expect(c.auth).toEqual({ searchRequiresKey: false, metricsRequireKey: false });
    expect(c.graphqlIntrospection).toBe(true);
    expect(c.playground).toBe(true);
    expect(c.corsOrigins).toEqual([]);
  });

  it('reads the production switches', () => {
    const c = loadConfig({
      AUTH_SEARCH_REQUIRES_KEY: 'true',
      METRICS_REQUIRE_KEY: 'yes',
      GRAPHQL_INTROSPECTION: 'false',
      PLAYGROUND: 'off',
      CORS_ORIGINS: 'https://shop.example.com, http://localhost:3000,https://shop.example.com',
    });
    expect(c.auth).toEqual({ searchRequiresKey: true, metricsRequireKey: true });
    expect(c.graphqlIntrospection).toBe(false);
    expect(c.playground).toBe(false);
    expect(c.corsOrigins).toEqual(['https://shop.example.com', 'http://localhost:3000']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('lists every bad value with what to write instead', () => {
    const found = problems({ AUTH_SEARCH_REQUIRES_KEY: 'maybe', PLAYGROUND: '2', CORS_ORIGINS: 'https://shop.example.com/path,ftp://x.example,shop' });
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/AUTH_SEARCH_REQUIRES_KEY="maybe": expected true or false/);
    expect(found[1]).toMatch(/PLAYGROUND="2": expected true or false/);
    expect(found[2]).toMatch(/CORS_ORIGINS=.*such as https:\/\/shop\.example\.com.*not valid: https:\/\/shop\.example\.com\/path, ftp:\/\/x\.example, shop/);
    expect(problems({ CORS_ORIGINS: '*,https://shop.example.com' })[0]).toMatch(/"\*" allows every origin; give it alone/);
  });
});
