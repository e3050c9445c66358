/**
 * Qdrant point ids are unsigned integers or UUIDs; product ids are arbitrary strings. Each product id
 * maps to a name-based UUID (RFC 9562 version 5: SHA-1 over a fixed namespace and the UTF-8 id), so the
 * mapping is stable across processes and replicas without a lookup table. The product id itself is
 * kept in the payload (`product_id`).
 */
import { createHash } from 'node:crypto';

/** Namespace of product ids: uuidv5(NAMESPACE_URL, 'urn:fashion-search:product'). */
export const PRODUCT_ID_NAMESPACE = '771e2b21-67a9-55b8-89c5-4406ff243b47';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

function uuidBytes(uuid: string): Buffer {
  if (!isUuid(uuid)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 9562 UUID version 5 of `name` within `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return formatUuid(bytes);
}

/** The Qdrant point id of a product. */
export function productPointId(productId: string): string {
  return uuidV5(productId, PRODUCT_ID_NAMESPACE);
}
