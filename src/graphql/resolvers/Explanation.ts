import type { ExplanationResolvers } from '../__generated__/resolvers-types';

export const Explanation: ExplanationResolvers = {
  matchedAttributes: (hit) => hit.matched,
  unmatchedAttributes: (hit) => hit.unmatched,
  scoreParts: (hit) => hit.parts,
  rules: (hit) => hit.rules,
  predictedMatches: (hit) => hit.predictedMatches,
};
