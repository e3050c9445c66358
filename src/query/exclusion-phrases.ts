/**
 * Finds negation cues in a query and the tokens each one governs, so that attributes recognised
 * inside a governed span can become exclusions: "shirt but not red", "dress without stripes",
 * "anything but black", "non-leather jacket", "don't want pink", "leather-free bag".
 *
 * Pure and rule-based over the analyzer's tokens (text-analyzer.ts `tokenize`) and the original
 * text (for punctuation, apostrophes and hyphens between tokens). Ranges are token indices, end
 * exclusive.
 *
 * Cues, from English grammar rather than from any query log:
 * - negators: not, no, none, never, nothing, neither, nor, without, except (for), excepting,
 *   excluding, exclude(s), besides, apart from, minus, avoid(ing), hate, dislike, other than,
 *   rather than, instead of, free of/from; and the contracted negations ("don't", "doesn't",
 *   "isn't", "can't", "won't", ... written with or without the apostrophe, "cannot");
 * - "do/does/did" right before "not" joins the cue ("do not"), and so do verbs of wanting that
 *   follow a negator ("don't want", "do not like", "never wear", "don't want to see");
 * - "anything/everything but|except|besides|other than" is one cue, and "but" is a cue on its
 *   own after "any"/"anything"/"every"/"everything"/"whatever" in the same clause ("any colour
 *   but red"); "but" followed by a negator joins it ("but not", "but without");
 * - "non" is a prefix cue: it governs only the hyphen-joined word after it ("non-leather jacket"
 *   excludes leather, not the jacket), or the next token when spaced ("non leather");
 * - "-free" is a suffix cue: it governs the hyphen-joined word before it ("leather-free",
 *   "cruelty-free").
 * Not cues: "nothing but" (it means "only"), "not only", "no"/"not" before a comparative ("no more
 * than 50", "not over 100": price phrases), "no" before a number or followed by a period ("no. 5",
 * "no 5"), "no" joined by a hyphen ("no-show socks", "no-iron shirt"), and words merely starting
 * with "no"/"not" ("knot", "notebook", "nonstop").
 *
 * A forward cue governs from the token after it to the end of its clause: the first of
 * - a punctuation mark between two tokens: , ; . ! ? : | ( ) [ ] { }, an en or em dash, or a hyphen
 *   next to a space;
 * - a token that opens a new clause: "but" (when not a cue), "however", "though", "although",
 *   "whereas", "instead" (not "instead of"), "i"/"im", "please", or "and"/"or" followed by
 *   one of i, im, we, want, wanna, need, show, give, find, looking, prefer, preferably, ideally,
 *   please, with, also, only, just, but ("no stripes and with pockets");
 * - the next cue, or a word governed by a "-free" suffix cue;
 * - the end of the text.
 * So "not red or blue" governs "red or blue", and "no leather boots" governs "leather boots": the
 * caller decides which recognised attributes inside a scope to exclude. A cue with nothing to
 * govern ("shirt not", "not, red") is returned with an empty scope, so the caller still sees where
 * the cue is.
 */
import type { Token } from './text-analyzer';

export interface NegationScope {
  /** Token range of the cue words. */
  cue: [number, number];
  /** Token range the cue governs; may be empty. */
  scope: [number, number];
}

const FORWARD_CUES: readonly string[][] = [
  ['anything', 'other', 'than'],
  ['everything', 'other', 'than'],
  ['anything', 'but'],
  ['everything', 'but'],
  ['anything', 'except'],
  ['everything', 'except'],
  ['anything', 'besides'],
  ['everything', 'besides'],
  ['except', 'for'],
  ['apart', 'from'],
  ['other', 'than'],
  ['rather', 'than'],
  ['instead', 'of'],
  ['free', 'of'],
  ['free', 'from'],
  ['not'],
  ['no'],
  ['none'],
  ['never'],
  ['nothing'],
  ['neither'],
  ['nor'],
  ['without'],
  ['except'],
  ['excepting'],
  ['excluding'],
  ['exclude'],
  ['excludes'],
  ['besides'],
  ['minus'],
  ['avoid'],
  ['avoiding'],
  ['hate'],
  ['dislike'],
  ['cannot'],
];

/** Contracted negations as the tokenizer gives them (apostrophe dropped) or as typed without one. */
const CONTRACTED_NEGATIONS = new Set([
  'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'wont', 'cant', 'couldnt', 'shouldnt',
  'wouldnt', 'mustnt', 'neednt', 'havent', 'hasnt', 'hadnt', 'aint',
]);
/** Negators that a verb of wanting may follow as part of the cue. */
const VERB_TAKING = new Set(['not', 'never', 'cannot']);
const WANTING = new Set(['want', 'wanna', 'like', 'need', 'show', 'include', 'including', 'have', 'love', 'prefer', 'see', 'wear', 'to']);
const AUXILIARIES = new Set(['do', 'does', 'did']);
const COMPARATIVES = new Set(['more', 'less', 'fewer', 'over', 'under', 'above', 'below', 'higher', 'lower', 'cheaper', 'pricier', 'greater', 'exceeding']);
const ANY_WORDS = new Set(['any', 'anything', 'every', 'everything', 'whatever']);
const CLAUSE_BREAKS = new Set(['however', 'though', 'although', 'whereas', 'i', 'im', 'please']);
const CONJUNCTIONS = new Set(['and', 'or']);
const CLAUSE_OPENERS = new Set(['i', 'im', 'we', 'want', 'wanna', 'need', 'show', 'give', 'find', 'looking', 'prefer', 'preferably', 'ideally', 'please', 'with', 'also', 'only', 'just', 'but']);

const CLAUSE_PUNCTUATION = /[,;.!?:|()[\]{}\u2013\u2014]|\s-|-\s/u;
const DIGIT = /\p{N}/u;
const CONTRACTION = /n['\u2019\u02bc]t$/iu;

type Cue = { kind: 'forward' | 'prefix'; end: number } | { kind: 'idiom'; end: number } | null;

/** Negation cues in a query and the token span each one governs, in text order. */
export function negationScopes(tokens: Token[], text: string): NegationScope[] {
  const n = tokens.length;
  const word = (k: number): string | undefined => tokens[k]?.text;
  const gap = (k: number): string => (k > 0 && k < n ? text.slice(tokens[k - 1].end, tokens[k].start) : '');
  /** Whether punctuation between tokens k-1 and k ends a clause. */
  const punctuationBefore = (k: number): boolean => CLAUSE_PUNCTUATION.test(gap(k));
  const isNegator = (k: number): boolean => {
    const w = word(k);
    return w !== undefined && (CONTRACTED_NEGATIONS.has(w) || CONTRACTION.test(text.slice(tokens[k].start, tokens[k].end)));
  };

  // Suffix cues first: "leather-free" governs "leather".
  const results: NegationScope[] = [];
  const governedBySuffix = new Set<number>();
  for (let k = 1; k < n; k++) {
    if (word(k) !== 'free' || !tokens[k - 1].joinedToNext) continue;
    let start = k - 1;
    while (start > 0 && tokens[start - 1].joinedToNext) start--;
    for (let j = start; j <= k; j++) governedBySuffix.add(j);
    results.push({ cue: [k, k + 1], scope: [start, k] });
  }

  const phraseAt = (k: number, phrase: readonly string[]): boolean =>
    phrase.every((w, j) => word(k + j) === w && (j === 0 || !punctuationBefore(k + j)));

  const cueAt = (k: number, clauseStart: number): Cue => {
    if (governedBySuffix.has(k)) return null;
    const w = word(k)!;
    const next = word(k + 1);
    if (w === 'nothing' && next === 'but' && !punctuationBefore(k + 1)) return { kind: 'idiom', end: k + 2 };
    if (w === 'not' && next === 'only') return { kind: 'idiom', end: k + 2 };
    if ((w === 'no' || w === 'not') && next !== undefined && COMPARATIVES.has(next)) return { kind: 'idiom', end: k + 2 };
    if (w === 'no' && (tokens[k].joinedToNext || /^\./u.test(gap(k + 1)) || (next !== undefined && DIGIT.test(next)))) return { kind: 'idiom', end: k + 1 };
    if (w === 'non') return { kind: 'prefix', end: k + 1 };
    if (w === 'but') {
      if (k + 1 < n && !punctuationBefore(k + 1)) {
        const inner = cueAt(k + 1, clauseStart);
        if (inner && inner.kind !== 'idiom') return { kind: inner.kind, end: inner.end };
      }
      for (let j = clauseStart; j < k; j++) if (ANY_WORDS.has(word(j)!)) return { kind: 'forward', end: k + 1 };
      return null;
    }
    let end = 0;
    if (isNegator(k)) end = k + 1;
    else for (const phrase of FORWARD_CUES) if (phraseAt(k, phrase)) { end = k + phrase.length; break; }
    if (end === 0) return null;
    if (isNegator(k) || VERB_TAKING.has(w)) while (end < n && WANTING.has(word(end)!) && !punctuationBefore(end)) end++;
    return { kind: 'forward', end };
  };

  /** Whether token k opens a new clause (the token itself is not part of the scope). */
  const opensClause = (k: number, clauseStart: number): boolean => {
    const w = word(k)!;
    if (CLAUSE_BREAKS.has(w)) return true;
    if (w === 'instead' && word(k + 1) !== 'of') return true;
    if (w === 'but') return cueAt(k, clauseStart) === null;
    return CONJUNCTIONS.has(w) && CLAUSE_OPENERS.has(word(k + 1) ?? '') && !punctuationBefore(k + 1);
  };

  let clauseStart = 0;
  let k = 0;
  while (k < n) {
    if (punctuationBefore(k)) clauseStart = k;
    const cue = cueAt(k, clauseStart);
    if (cue === null) {
      if (opensClause(k, clauseStart)) clauseStart = k;
      k++;
      continue;
    }
    if (cue.kind === 'idiom') {
      k = cue.end;
      continue;
    }
    // "do not": the auxiliary belongs to the cue.
    const cueStart = AUXILIARIES.has(word(k - 1) ?? '') && word(k) === 'not' && !punctuationBefore(k) ? k - 1 : k;
    let end = cue.end;
    if (cue.kind === 'prefix') {
      if (end < n && !punctuationBefore(end)) {
        end++;
        while (tokens[end - 1].joinedToNext && end < n) end++;
      }
    } else {
      while (end < n && !punctuationBefore(end) && !governedBySuffix.has(end) && !opensClause(end, clauseStart) && cueAt(end, clauseStart) === null) end++;
    }
    results.push({ cue: [cueStart, cue.end], scope: [cue.end, end] });
    k = end;
  }
  return results.sort((a, b) => a.cue[0] - b.cue[0]);
}
