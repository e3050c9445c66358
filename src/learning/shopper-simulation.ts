/**
 * Simulated shoppers for the learning-loop demonstration (`npm run learn:demo`): tastes the current
 * models cannot know, the searches shoppers type for them, and the clicks they give a result page.
 *
 * - New words: made-up words that appear in no product text, no seed query and no vocabulary the
 *   models were trained on ("bloomcore" for floral dresses), each meaning a set of products defined
 *   by catalogue attributes. Shoppers type the word alone or with a garment word ("bloomcore
 *   dress"), with a few filler words.
 * - Ordinary searches: a catalogue colour or pattern with a category ("navy shirt"), the traffic a
 *   shop already serves well, mixed in so the log is not only the new words.
 * - Clicks follow a position-based model: a result at rank k is examined with probability
 *   `examination * k^-decay`, and an examined result is clicked with probability `relevantClick` when
 *   it matches the taste, `noiseClick` otherwise (mis-clicks, curiosity). A shopper who clicked
 *   nothing on the first page opens the second with probability `nextPage`.
 * - A shopper who found nothing for a new word rewords it in the catalogue's words ("floral dress")
 *   with probability `reword`, in the same visit (sessionId), and clicks there: the query chain
 *   training learns the new word from.
 * Everything is drawn from a seeded generator, so a run is reproducible.
 */
export type Attributes = Record<string, string[]>;

export interface CatalogueProduct {
  id: string;
  title: string;
  description: string;
  attributes: Attributes;
}

export interface Taste {
  /** The made-up word, or the ordinary query's words. */
  word: string;
  kind: 'new-word' | 'ordinary';
  /** Attribute conditions a product must meet (every listed attribute has the value). */
  conditions: Record<string, string>;
  /** Garment words a shopper may add (singular, as the catalogue's category reads). */
  noun: string;
}

export interface ClickModel {
  examination: number;
  decay: number;
  relevantClick: number;
  noiseClick: number;
  nextPage: number;
  reword: number;
}

export const DEFAULT_CLICK_MODEL: ClickModel = { examination: 0.95, decay: 0.7, relevantClick: 0.7, noiseClick: 0.03, nextPage: 0.4, reword: 0.6 };

/** New words and what they mean: visible attributes, so the image space can tell them apart. */
export const NEW_WORDS: readonly Taste[] = [
  { word: 'bloomcore', kind: 'new-word', conditions: { category: 'dress', pattern: 'floral' }, noun: 'dress' },
  { word: 'zebbo', kind: 'new-word', conditions: { category: 'bag', pattern: 'animal' }, noun: 'bag' },
  { word: 'quillon', kind: 'new-word', conditions: { category: 'shirt', pattern: 'checks' }, noun: 'shirt' },
  { word: 'pradley', kind: 'new-word', conditions: { category: 't-shirt', pattern: 'stripes' }, noun: 't-shirt' },
  { word: 'frennet', kind: 'new-word', conditions: { category: 'trousers', pattern: 'camouflage' }, noun: 'trousers' },
  { word: 'glimmet', kind: 'new-word', conditions: { category: 'sneaker', colorFamily: 'red' }, noun: 'sneakers' },
  { word: 'tuvvy', kind: 'new-word', conditions: { category: 'pullover', colorFamily: 'green' }, noun: 'pullover' },
  { word: 'snorkly', kind: 'new-word', conditions: { category: 'sandal', colorFamily: 'blue' }, noun: 'sandals' },
];

const WORD_ONLY = ['{w}', 'the {w} look', '{w} please', 'any {w}', 'new {w}', '{w} for summer'];
const WITH_NOUN = ['{w} {n}', '{w} {n} sale', 'cheap {w} {n}'];

export function matches(product: { attributes: Attributes }, conditions: Record<string, string>): boolean {
  return Object.entries(conditions).every(([name, value]) => (product.attributes[name] ?? []).includes(value));
}

/** Every template of a taste, the queries its shoppers type. */
export function queriesOf(taste: Taste): string[] {
  if (taste.kind === 'ordinary') return [taste.word, `${taste.word} sale`];
  return [...WORD_ONLY, ...WITH_NOUN].map((t) => t.replace('{w}', taste.word).replace('{n}', taste.noun));
}

/** Ordinary tastes: a colour or pattern the catalogue uses with a category it uses. */
export function ordinaryTastes(products: CatalogueProduct[], count: number, random: () => number): Taste[] {
  const combos = new Map<string, Taste>();
  for (const p of products) {
    const category = p.attributes.category?.[0];
    const color = p.attributes.color?.[0];
    const pattern = p.attributes.pattern?.[0];
    if (!category) continue;
    if (color) combos.set(`${color} ${category}`, { word: `${color} ${category}`, kind: 'ordinary', conditions: { category, color }, noun: category });
    if (pattern && pattern !== 'solid') combos.set(`${pattern} ${category}`, { word: `${pattern} ${category}`, kind: 'ordinary', conditions: { category, pattern }, noun: category });
  }
  const all = [...combos.values()].filter((t) => products.filter((p) => matches(p, t.conditions)).length >= 10);
  const picked: Taste[] = [];
  while (picked.length < count && all.length) picked.push(all.splice(Math.floor(random() * all.length), 1)[0]);
  return picked;
}

/** Words of the new tastes that some product's text uses (they would not be new). */
export function wordsInCatalogue(tastes: readonly Taste[], products: CatalogueProduct[]): string[] {
  const text = products.map((p) => `${p.title} ${p.description}`.toLowerCase()).join('\n');
  return tastes.filter((t) => t.kind === 'new-word' && new RegExp(`\\b${t.word}`).test(text)).map((t) => t.word);
}

export interface PlannedSearch {
  taste: Taste;
  text: string;
}

/** `count` searches: `newShare` of them for the new words, the rest ordinary; tastes and templates uniform. */
export function planSearches(count: number, newWords: readonly Taste[], ordinary: readonly Taste[], newShare: number, random: () => number): PlannedSearch[] {
  const out: PlannedSearch[] = [];
  for (let i = 0; i < count; i++) {
    const pool = ordinary.length === 0 || random() < newShare ? newWords : ordinary;
    const taste = pool[Math.floor(random() * pool.length)];
    const queries = queriesOf(taste);
    out.push({ taste, text: queries[Math.floor(random() * queries.length)] });
  }
  return out;
}

/** The 1-based positions a shopper clicks on a page whose first result has rank `firstRank`. */
export function clicksOnPage(relevant: boolean[], firstRank: number, model: ClickModel, random: () => number): number[] {
  const clicks: number[] = [];
  relevant.forEach((rel, i) => {
    const rank = firstRank + i;
    const examined = random() < Math.min(1, model.examination * Math.pow(rank, -model.decay));
    if (examined && random() < (rel ? model.relevantClick : model.noiseClick)) clicks.push(rank);
  });
  return clicks;
}

/** A taste in the catalogue's own words: its values, the category last ("floral dress"). */
export function catalogueWording(taste: Taste): string {
  const { category, ...rest } = taste.conditions;
  return [...Object.values(rest), ...(category ? [category] : [])].join(' ').replace(/-/g, ' ');
}

/** Precision at k of a ranking for a taste (products by id). */
export function precisionAt(ids: string[], k: number, isRelevant: (id: string) => boolean): number {
  return ids.slice(0, k).filter(isRelevant).length / k;
}
