/**
 * The predicted colour of a picture from two views: the attributes model's `color` head (which reads
 * the image tower's embedding) and the region-of-interest colour profile of the picture
 * (src/vision/colour/, which looks at the product's own pixels, background set aside):
 *
 *     p(colour) = (1 - w) * head(colour) + w * profile(colour)
 *
 * The profile's probabilities cover the colours it found likely (0.1% or more); the others count 0.
 * w = PICTURE_COLOUR_WEIGHT was chosen on the validation split by `npm run eval:attributes -- --split
 * validation` ("Colour of a picture" table: the weight with the best mean accuracy over the clean
 * renders and the in-distribution photos; the held-out photo family takes no part in choices), see
 * models/README.md.
 */
import type { ProductColours } from '../domain/product';
import type { AttributeProbabilities } from './attribute-predictor';

/** The attribute the profile predicts. */
export const COLOUR_ATTRIBUTE = 'color';

/** Weight of the picture's colour profile against the colour head (chosen on validation, see above). */
export const PICTURE_COLOUR_WEIGHT = 0.2;

/** The head's colour probabilities (in `labels` order) mixed with the profile's; the head's alone without a profile. */
export function fuseColour(head: Float32Array, labels: readonly string[], colours: ProductColours | undefined, weight = PICTURE_COLOUR_WEIGHT): Float32Array {
  if (!colours || weight <= 0 || colours.probabilities.length === 0) return head;
  const profile = new Map(colours.probabilities.map((p) => [p.name, p.probability]));
  let covered = 0;
  for (const name of labels) covered += profile.get(name) ?? 0;
  if (!(covered > 0)) return head; // the profile speaks of colours the model does not know
  const fused = new Float32Array(head.length);
  labels.forEach((name, i) => (fused[i] = (1 - weight) * head[i] + (weight * (profile.get(name) ?? 0)) / covered));
  return fused;
}

/** The model's probabilities with `color` fused with the picture's profile (others unchanged). */
export function withPictureColours(probabilities: AttributeProbabilities, labels: Readonly<Record<string, readonly string[]>>, colours: ProductColours | undefined, weight = PICTURE_COLOUR_WEIGHT): AttributeProbabilities {
  const head = probabilities[COLOUR_ATTRIBUTE];
  const names = labels[COLOUR_ATTRIBUTE];
  if (!head || !names || !colours) return probabilities;
  return { ...probabilities, [COLOUR_ATTRIBUTE]: fuseColour(head, names, colours, weight) };
}
