/**
 * Recognises a price constraint stated in a query ("under 50", "between 20 and 40", "€20-€40",
 * "100+", "around 50 euros") and returns its bounds with the token range to remove from the query
 * text. Pure and rule-based over the analyzer's tokens (text-analyzer.ts `tokenize`) and the
 * original text (for currency symbols, decimal separators, "+", "<" and dashes between tokens).
 *
 * Phrases (A, B amounts; every bound is inclusive, so "under 50" and "less than 50" mean at most 50,
 * and "over 100" at least 100: a shopper's "under 50" does not mean to leave out a 50.00 item):
 * - at most A: under, below, less than, cheaper than, lower than, up to (upto), max(imum) (of),
 *   at most, no/not more than, no higher than, not over, not above, not exceeding, within,
 *   budget (of), "< A", "<= A", and after the amount: "A or/and less|under|below|cheaper|lower",
 *   "A max", "A tops";
 * - at least A: over, above, more than, greater than, higher than, at least, min(imum) (of),
 *   no/not less than, not under, not below, starting at/from, upwards of, from, "> A", ">= A",
 *   and after the amount: "A or/and more|over|above|higher|up|upwards", "A+", "A plus";
 * - both: between A and B, from A to B, A-B, A to B (also with "–", with spaces, and with
 *   currencies on either side: "€20-€40", "20 - 40 euros"); the smaller is the minimum;
 * - about A (0.8 A to 1.2 A, rounded to cents): around, about, approximately, approx, roughly,
 *   circa, ca, close to, near, "~A";
 * - an amount with a currency and no cue ("€50 dress", "jeans 40 euros") is a budget: at most A.
 * A lead-in "for", "priced", "costing", "price" or "prices" before a phrase is part of it ("for
 * less than €50"). Two phrases next to each other, or joined by "and"/"but"/a comma, that give one
 * bound each are merged ("over 20 and under 50").
 *
 * Amounts: digits, with "." or "," and 1-2 digits as decimals ("19.99", "19,99"), or "." or ","
 * and 3 digits after 1-3 digits as a thousands separator ("1,000", "1.500"). Currencies, recorded
 * as ISO codes without conversion: € / eur / euro / euros (EUR), $ / usd / dollar / dollars (USD),
 * £ / gbp / pound / pounds (GBP), before or after the number, with or without a space ("50eur",
 * "eur50", "€ 50", "50 €").
 *
 * Not prices: a bare number with neither cue nor currency ("501 jeans", "2 pack"); a number after a
 * size or code word ("size 38", "eu 40", "uk 10", "size under 40"), before a unit ("under 5 cm",
 * "over 2 years", "under 50%"), or hyphen-joined to a word ("TE00017-2", "2-pack").
 */
import type { Token } from './text-analyzer';

export interface PricePhrase {
  /** Inclusive lower bound, or null. */
  min: number | null;
  /** Inclusive upper bound, or null. */
  max: number | null;
  /** ISO code of the currency named (EUR, USD, GBP), or null. */
  currency: string | null;
  /** Token range of the phrase, end exclusive: the tokens to remove from the query. */
  tokens: [number, number];
}

interface Amount {
  value: number;
  currency: string | null;
  /** Token range, currency words included. */
  start: number;
  end: number;
}

interface Bounds {
  min: number | null;
  max: number | null;
  currency: string | null;
  end: number;
}

const CURRENCY_SYMBOLS = new Map([['€', 'EUR'], ['$', 'USD'], ['£', 'GBP']]);
const CURRENCY_WORDS = new Map([
  ['eur', 'EUR'], ['euro', 'EUR'], ['euros', 'EUR'],
  ['usd', 'USD'], ['dollar', 'USD'], ['dollars', 'USD'],
  ['gbp', 'GBP'], ['pound', 'GBP'], ['pounds', 'GBP'],
]);
const CURRENCY_CODES = new Set(['eur', 'usd', 'gbp']);
/** A number token, possibly glued to a currency: "50", "50eur", "eur50". */
const NUMBER_TOKEN = /^(eur|usd|gbp)?([0-9]+)(eur|euros?|usd|dollars?|gbp|pounds?)?$/;
/** A digit group after a decimal or thousands separator, possibly glued to a currency: "99", "99eur". */
const DIGIT_GROUP = /^([0-9]+)(eur|euros?|usd|dollars?|gbp|pounds?)?$/;
const SYMBOL_BEFORE = /([€$£])\s*$/u;
const SYMBOL_AFTER = /^\s*([€$£])/u;
const DASH = /^\s*[€$£]?\s*[-\u2010\u2011\u2013\u2014]\s*[€$£]?\s*$/u;

const MAX_CUES: readonly string[][] = [
  ['no', 'more', 'than'], ['not', 'more', 'than'], ['no', 'higher', 'than'], ['not', 'exceeding'],
  ['less', 'than'], ['cheaper', 'than'], ['lower', 'than'], ['up', 'to'], ['at', 'most'],
  ['max', 'of'], ['maximum', 'of'], ['budget', 'of'], ['not', 'over'], ['not', 'above'],
  ['under'], ['below'], ['upto'], ['max'], ['maximum'], ['within'], ['budget'],
];
const MIN_CUES: readonly string[][] = [
  ['no', 'less', 'than'], ['not', 'less', 'than'], ['more', 'than'], ['greater', 'than'], ['higher', 'than'],
  ['at', 'least'], ['min', 'of'], ['minimum', 'of'], ['not', 'under'], ['not', 'below'], ['starting', 'at'],
  ['starting', 'from'], ['upwards', 'of'], ['over'], ['above'], ['min'], ['minimum'],
];
const ABOUT_CUES: readonly string[][] = [['close', 'to'], ['around'], ['about'], ['approximately'], ['approx'], ['roughly'], ['circa'], ['ca'], ['near']];
const LEAD_INS = new Set(['for', 'priced', 'costing', 'price', 'prices']);
const POSTFIX_MAX = new Set(['less', 'under', 'below', 'cheaper', 'lower']);
const POSTFIX_MIN = new Set(['more', 'over', 'above', 'higher', 'up', 'upwards']);
const RANGE_WORDS = new Set(['to', 'until', 'till']);
const MERGE_JOINERS = new Set(['and', 'but']);
/** Words after which a number is a size or a measure, and a price cue is not about price ("size under 40"). */
const SIZE_WORDS = new Set(['size', 'sizes', 'sz', 'waist', 'inseam', 'length', 'leg', 'chest', 'cup', 'age', 'aged']);
/** Words after which a number is a size system or a code, not a price ("eu 40", "style 501"). */
const NUMBER_NAMING_WORDS = new Set([...SIZE_WORDS, 'eu', 'uk', 'us', 'fr', 'number', 'nr', 'no', 'model', 'style', 'code', 'ref', 'sku', 'item', 'art']);
/** Units after which a number is not a price. */
const UNITS = new Set([
  'cm', 'mm', 'm', 'inch', 'inches', 'kg', 'g', 'ml', 'l', 'oz', 'lb', 'lbs', 'year', 'years', 'yr', 'yrs', 'month',
  'months', 'mo', 'day', 'days', 'week', 'weeks', 'pack', 'packs', 'pk', 'pc', 'pcs', 'piece', 'pieces', 'pair', 'pairs',
  'percent', 'x', 'denier', 'den', 'mph', 'gb', 'tb', 'km',
]);

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The price constraint of a query, or null when it states none. */
export function parsePrice(tokens: Token[], text: string): PricePhrase | null {
  const n = tokens.length;
  const word = (k: number): string | undefined => tokens[k]?.text;
  const gapBefore = (k: number): string => text.slice(k > 0 ? tokens[k - 1].end : 0, tokens[k].start);
  const gapAfter = (k: number): string => text.slice(tokens[k].end, k + 1 < n ? tokens[k + 1].start : text.length);
  const isNumber = (k: number): boolean => NUMBER_TOKEN.test(word(k) ?? '');
  const phraseAt = (k: number, phrase: readonly string[]): boolean => phrase.every((w, j) => word(k + j) === w);
  const cueAt = (k: number, cues: readonly string[][]): number => {
    for (const phrase of cues) if (phraseAt(k, phrase)) return k + phrase.length;
    return -1;
  };

  const currencyWord = (k: number): string | null => CURRENCY_WORDS.get(word(k) ?? '') ?? null;

  /** The amount starting at token k, with its currency words and symbols. */
  const amountAt = (k: number): Amount | null => {
    const start = k;
    let currency: string | null = null;
    if (CURRENCY_CODES.has(word(k) ?? '') && /^[0-9]+$/.test(word(k + 1) ?? '')) {
      currency = currencyWord(k);
      k++;
    }
    const first = NUMBER_TOKEN.exec(word(k) ?? '');
    if (!first) return null;
    if (k > 0 && tokens[k - 1].joinedToNext && !isNumber(k - 1)) return null;
    if (first[1]) currency = CURRENCY_WORDS.get(first[1])!;
    if (currency === null && start > 0 && NUMBER_NAMING_WORDS.has(word(start - 1)!)) return null;
    let value = Number(first[2]);
    let suffix = first[3];
    let end = k + 1;
    // Thousands groups after 1-3 digits ("1,000", "1.500.000"), then decimals ("19.99", "1,000.50").
    let grouping = first[2].length <= 3;
    while (!suffix && end < n) {
      const separator = text.slice(tokens[end - 1].end, tokens[end].start);
      const group = DIGIT_GROUP.exec(word(end)!);
      if ((separator !== '.' && separator !== ',') || !group) break;
      const digits = group[1];
      if (grouping && digits.length === 3) {
        value = value * 1000 + Number(digits);
      } else if (digits.length <= 2) {
        value += Number(digits) / 10 ** digits.length;
        grouping = false;
      } else {
        break;
      }
      suffix = group[2];
      end++;
      if (!grouping) break;
    }
    if (suffix) currency ??= CURRENCY_WORDS.get(suffix)!;
    if (tokens[end - 1].joinedToNext && !isNumber(end)) return null;
    const symbolBefore = SYMBOL_BEFORE.exec(gapBefore(k));
    const symbolAfter = SYMBOL_AFTER.exec(gapAfter(end - 1));
    currency ??= CURRENCY_SYMBOLS.get(symbolBefore?.[1] ?? symbolAfter?.[1] ?? '') ?? null;
    if (!suffix && end < n && currencyWord(end) !== null) {
      currency ??= currencyWord(end);
      end++;
    }
    if (UNITS.has(word(end) ?? '') || /^\s*%/u.test(gapAfter(end - 1))) return null;
    return { value, currency, start, end };
  };

  /** A range "A-B", "A to B" after the amount a, or null. */
  const rangeAfter = (a: Amount): Amount | null => {
    if (a.end >= n) return null;
    if (DASH.test(gapBefore(a.end))) return amountAt(a.end);
    if (RANGE_WORDS.has(word(a.end)!)) return amountAt(a.end + 1);
    if (word(a.end) === 'up' && word(a.end + 1) === 'to') return amountAt(a.end + 2);
    return null;
  };
  const range = (a: Amount, b: Amount): Bounds => ({
    min: Math.min(a.value, b.value),
    max: Math.max(a.value, b.value),
    currency: a.currency ?? b.currency,
    end: b.end,
  });

  /** The bounds stated by a phrase starting exactly at token s, or null. */
  const boundsAt = (s: number): Bounds | null => {
    if (s > 0 && SIZE_WORDS.has(word(s - 1)!)) return null;
    const w = word(s)!;
    if (w === 'between') {
      const a = amountAt(s + 1);
      if (!a) return null;
      const b = word(a.end) === 'and' ? amountAt(a.end + 1) : rangeAfter(a);
      return b ? range(a, b) : null;
    }
    if (w === 'from' || (w === 'starting' && word(s + 1) === 'from')) {
      const a = amountAt(w === 'from' ? s + 1 : s + 2);
      if (!a) return null;
      const b = rangeAfter(a);
      return b ? range(a, b) : { min: a.value, max: null, currency: a.currency, end: a.end };
    }
    for (const [cues, kind] of [[MAX_CUES, 'max'], [MIN_CUES, 'min'], [ABOUT_CUES, 'about']] as const) {
      const after = cueAt(s, cues);
      if (after < 0) continue;
      const a = amountAt(after);
      if (!a) return null;
      if (kind === 'about') return { min: round2(a.value * 0.8), max: round2(a.value * 1.2), currency: a.currency, end: a.end };
      return kind === 'max' ? { min: null, max: a.value, currency: a.currency, end: a.end } : { min: a.value, max: null, currency: a.currency, end: a.end };
    }
    const a = amountAt(s);
    if (!a || a.start !== s) return null;
    const b = rangeAfter(a);
    if (b) return range(a, b);
    const before = gapBefore(a.start);
    if (/(<=?|≤)\s*[€$£]?\s*$/u.test(before)) return { min: null, max: a.value, currency: a.currency, end: a.end };
    if (/(>=?|≥)\s*[€$£]?\s*$/u.test(before)) return { min: a.value, max: null, currency: a.currency, end: a.end };
    if (/~\s*[€$£]?\s*$/u.test(before)) return { min: round2(a.value * 0.8), max: round2(a.value * 1.2), currency: a.currency, end: a.end };
    const next = word(a.end);
    const then = word(a.end + 1);
    if ((next === 'or' || next === 'and') && then !== undefined) {
      if (POSTFIX_MAX.has(then)) return { min: null, max: a.value, currency: a.currency, end: a.end + 2 };
      if (POSTFIX_MIN.has(then)) return { min: a.value, max: null, currency: a.currency, end: a.end + 2 };
    }
    if (next === 'max' || next === 'maximum' || next === 'tops') return { min: null, max: a.value, currency: a.currency, end: a.end + 1 };
    if (next === 'plus') return { min: a.value, max: null, currency: a.currency, end: a.end + 1 };
    if (/^\s*[€$£]?\s*\+/u.test(gapAfter(a.end - 1))) return { min: a.value, max: null, currency: a.currency, end: a.end };
    return a.currency ? { min: null, max: a.value, currency: a.currency, end: a.end } : null;
  };

  /** A phrase starting at s, lead-in word included. */
  const phraseFrom = (s: number): PricePhrase | null => {
    if (s >= n) return null;
    const leadIn = LEAD_INS.has(word(s)!) ? boundsAt(s + 1) : null;
    const bounds = leadIn ?? boundsAt(s);
    if (!bounds) return null;
    return { min: bounds.min, max: bounds.max, currency: bounds.currency, tokens: [s, bounds.end] };
  };

  for (let s = 0; s < n; s++) {
    const first = phraseFrom(s);
    if (!first) continue;
    // "over 20 and under 50": a second phrase with the other bound joins the first.
    const e = first.tokens[1];
    const second = (MERGE_JOINERS.has(word(e) ?? '') ? phraseFrom(e + 1) : null) ?? phraseFrom(e);
    if (second && oneBoundEach(first, second) && (first.currency === null || second.currency === null || first.currency === second.currency)) {
      return {
        min: first.min ?? second.min,
        max: first.max ?? second.max,
        currency: first.currency ?? second.currency,
        tokens: [first.tokens[0], second.tokens[1]],
      };
    }
    return first;
  }
  return null;
}

function oneBoundEach(a: PricePhrase, b: PricePhrase): boolean {
  return (a.min === null) !== (a.max === null) && (b.min === null) !== (b.max === null) && (a.min === null) !== (b.min === null);
}
