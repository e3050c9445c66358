import { isUuid, PRODUCT_ID_NAMESPACE, productPointId, uuidV5 } from '../../../../src/stores/qdrant/point-id';

describe('point ids', () => {
  it('computes RFC 9562 version 5 UUIDs (reference values from Python uuid.uuid5)', () => {
    const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    const NAMESPACE_URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
    expect(uuidV5('python.org', NAMESPACE_DNS)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuidV5('urn:fashion-search:product', NAMESPACE_URL)).toBe(PRODUCT_ID_NAMESPACE);
  });

  it.each([
    ['p-000001', 'abac3e69-b997-5425-87b6-3f985c952e8c'],
    ['é/ü 42', '1289219b-d7e0-5fe4-ade8-bf2d1ddb51db'],
  ])('maps product id %s to a stable point id', (productId, pointId) => {
    expect(productPointId(productId)).toBe(pointId);
    expect(isUuid(productPointId(productId))).toBe(true);
  });

  it('gives different products different point ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => productPointId(`p-${i}`)));
    expect(ids.size).toBe(1000);
  });

  it('rejects a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/not a UUID/);
  });
});
