/**
 * Outfit structures (the shapes the compatibility model was trained on) and the complementary
 * slots each product group calls for.
 */
export const OUTFIT_STRUCTURES: readonly (readonly string[])[] = [
  ['top', 'bottom', 'shoes', 'bag'],
  ['dress', 'shoes', 'bag'],
];

/**
 * For a product group, each structure containing it with the group removed (the slots to fill),
 * in structure order; empty when no structure holds the group (e.g. outerwear).
 */
export function complementarySlots(group: string): string[][] {
  return OUTFIT_STRUCTURES.filter((s) => s.includes(group)).map((s) => s.filter((g) => g !== group));
}
