import type { PriceConstraintResolvers, QueryUnderstandingResolvers, RecognisedAttributeResolvers, RecognitionSource } from '../__generated__/resolvers-types';
import type { RecognisedAttribute as Recognised } from '../../query/query-understanding';

const SOURCES: Record<Recognised['source'], RecognitionSource> = {
  catalogue: 'CATALOGUE',
  'catalogue-phrase': 'CATALOGUE_PHRASE',
  compound: 'COMPOUND',
  'colour-name': 'COLOUR_NAME',
  'word-vector': 'WORD_VECTOR',
};

export const QueryUnderstanding: QueryUnderstandingResolvers = {
  field: (u) => (u.field === 'text' ? 'TEXT' : 'MODIFIER'),
  originalText: (u) => u.text,
  attributes: (u) => u.attributes.map((a, i) => ({ ...a, use: u.uses[i] })),
  price: (u) => (u.price ? u : null),
};

export const RecognisedAttribute: RecognisedAttributeResolvers = {
  polarity: (a) => (a.polarity === 'include' ? 'INCLUDE' : 'EXCLUDE'),
  source: (a) => SOURCES[a.source],
};

/** Mapped from the whole understanding, whose price it reads. */
export const PriceConstraint: PriceConstraintResolvers = {
  min: (u) => u.price?.min ?? null,
  max: (u) => u.price?.max ?? null,
  currency: (u) => u.price?.currency ?? null,
  applied: (u) => u.priceApplied,
};
