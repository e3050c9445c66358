/**
 * The one helper DataLoader batch functions use to return results in key order: a key without a
 * result gives null (or the given fallback), never a thrown batch.
 */
export function orderByKey<K, V>(keys: readonly K[], items: readonly V[], keyOf: (item: V) => K): (V | null)[] {
  const byKey = new Map<K, V>();
  for (const item of items) byKey.set(keyOf(item), item);
  return keys.map((k) => byKey.get(k) ?? null);
}
