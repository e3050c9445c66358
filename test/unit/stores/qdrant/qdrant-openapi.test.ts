import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findSpecPath, qdrantOpenApi, SPEC_CANDIDATES, toJsonSchema } from './support/qdrant-openapi';

describe('the Qdrant OpenAPI validator used by these tests', () => {
  const api = qdrantOpenApi();

  it('looks for the specification next to the repository first', () => {
    expect(SPEC_CANDIDATES[0]).toBe(path.resolve(__dirname, '../../../../..', 'shared/qdrant/openapi-1.19.json'));
    expect(findSpecPath()).toMatch(/openapi-1\.19\.json$/);
  });

  it('fails clearly when the specification is absent', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qdrant-spec-'));
    try {
      expect(() => findSpecPath([path.join(dir, 'openapi-1.19.json')])).toThrow(/Qdrant OpenAPI specification not found; looked at .*openapi-1\.19\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns OpenAPI nullable into JSON Schema null types', () => {
    expect(toJsonSchema({ type: 'integer', nullable: true })).toEqual({ type: ['integer', 'null'] });
    expect(toJsonSchema({ anyOf: [{ $ref: '#/components/schemas/Filter' }, { nullable: true }] })).toEqual({
      anyOf: [{ $ref: 'qdrant#/definitions/Filter' }, { type: 'null' }],
    });
    expect(toJsonSchema({ type: 'string', enum: ['a'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', null] });
  });

  it('finds operations by method and path', () => {
    expect(api.find('GET', '/collections/c/exists')?.operationId).toBe('collection_exists');
    expect(api.find('PUT', '/collections/c')?.operationId).toBe('create_collection');
    expect(api.find('POST', '/collections/c/points/query/batch')?.operationId).toBe('query_batch_points');
    expect(api.find('POST', '/collections/c/points')?.operationId).toBe('get_points');
  });

  it.each([
    ['a has_id that is not a point id', 'POST', '/collections/c/points/count', { filter: { must: [{ has_id: ['p-1'] }] } }],
    ['an unknown filter clause', 'POST', '/collections/c/points/count', { filter: { any_of: [] } }],
    ['a sparse index beyond uint32', 'PUT', '/collections/c/points', { points: [{ id: 1, vector: { lexical: { indices: [2 ** 32], values: [1] } } }] }],
    ['a facet without key', 'POST', '/collections/c/facet', { limit: 3 }],
    ['an unknown distance', 'PUT', '/collections/c', { vectors: { image: { size: 4, distance: 'Cosinus' } } }],
    ['a zero query limit', 'POST', '/collections/c/points/query', { query: [1, 0], limit: 0 }],
  ])('rejects %s', (_name, method, pathname, body) => {
    expect(api.checkRequest(method, new URL(`http://q${pathname}`), body).problems).not.toEqual([]);
  });

  it('rejects an unknown query parameter and a badly typed one', () => {
    expect(api.checkRequest('PUT', new URL('http://q/collections/c/points?wait=soon'), { points: [] }).problems).toHaveLength(1);
    expect(api.checkRequest('PUT', new URL('http://q/collections/c/points?fast=1'), { points: [] }).problems).toHaveLength(1);
  });

  it('rejects a path that is not in the API', () => {
    expect(api.checkRequest('POST', new URL('http://q/collections/c/search-all'), {}).problems[0]).toMatch(/not an operation/);
  });

  it('accepts a conforming request', () => {
    expect(api.checkRequest('PUT', new URL('http://q/collections/c/points?wait=true'), { points: [{ id: 7, vector: { image: [0.5, 0.5] } }] }).problems).toEqual([]);
  });
});
