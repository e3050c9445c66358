import type { ExplanationResolvers } from '../__generated__/resolvers-types';
import { describeColours } from '../../vision/colour/colour-profile';

export const Explanation: ExplanationResolvers = {
  matchedAttributes: (hit) => hit.matched,
  unmatchedAttributes: (hit) => hit.unmatched,
  scoreParts: (hit) => hit.parts,
  rules: (hit) => hit.rules,
  predictedMatches: (hit) => hit.predictedMatches,
  colours: (hit) => (hit.product.colours ? describeColours(hit.product.colours.histogram) : null),
  colourSimilarity: (hit) => hit.colourSimilarity ?? null,
};
