/**
 * A release of rules compiled for searching: conditions indexed so that a search looks at the few
 * rules that can fire rather than at every rule (1,000 rules cost a handful of map look-ups), and
 * the actions of the rules that fire combined into one effect for each stage of a search.
 *
 * Index: a rule is filed under one of its query conditions, the most selective given: each `is`
 * text (exact look-up), else the first word of each `contains` phrase (one look-up per query word),
 * else its first `attributes` value (one look-up per recognised value). Rules with only a pattern,
 * or no query condition at all, are checked on every search. Every candidate is then checked
 * against all of its conditions.
 *
 * Combining: rules apply in id order. Replacements, then ignored terms, then synonyms rewrite the
 * text (synonyms append the terms they bring in, one level deep: synonyms of synonyms are not
 * followed); filters are ANDed; hidden products add up; the first redirect wins; boosts add up per
 * product; pins keep their positions, and a pin whose position an earlier rule took goes to the
 * next free one. A rule that fails (e.g. its filter names an attribute the catalogue lost) is
 * skipped and reported through `onRuleError`; it never fails a search.
 */
import type { Filter } from '../domain/filter';
import { andFilters } from '../domain/filter';
import { toDomainFilter } from '../search/filter-input';
import type { FilterInput, SearchMode } from '../search/search.types';
import type { RuleDefinition } from './rule';
import { containsPhrase, normaliseRuleText, phraseOccurrences } from './rule-text';

/** Where a search finds the rules that are live now. */
export interface LiveRules {
  current(): RuleSet;
}

/** What a search tells the rules about itself. */
export interface RuleSignal {
  /** The text, or the modifier of a composed search, as sent; null without either. */
  text: string | null;
  mode: SearchMode;
  context: string | null;
  /** Attribute values the client's filter asks for. */
  filterValues: ReadonlySet<string>;
  /** Included attribute values query understanding recognises in the text (asked only when a candidate needs them). */
  attributes: () => ReadonlySet<string>;
  /** Milliseconds since the epoch, for active windows. */
  now: number;
}

export function attributeKey(name: string, value: string): string {
  return `${name}\u0000${value}`;
}

/** Attribute values a client filter asks for (`attributes[].anyOf` at top level and inside `and`). */
export function filterInputValues(input: FilterInput | null | undefined, out = new Set<string>()): Set<string> {
  if (!input) return out;
  for (const c of input.attributes ?? []) for (const v of c.anyOf ?? []) out.add(attributeKey(c.attribute, v));
  for (const f of input.and ?? []) filterInputValues(f, out);
  return out;
}

export interface RuleReference {
  id: string;
  description: string;
}

export interface PlacedPin {
  productId: string;
  position: number;
  rule: RuleReference;
  /** The position the rule asked for, when an earlier rule had taken it. */
  requestedPosition: number | null;
}

export interface AppliedBoost {
  attribute: string;
  values: ReadonlySet<string>;
  weight: number;
  rule: RuleReference;
}

/** What the rules that fired do to one search. */
export interface RuleEffects {
  fired: RuleReference[];
  /** Which actions of each fired rule applied (e.g. "synonyms", "pins"). */
  actions: Map<string, string[]>;
  /** The rewritten text or modifier; null when no rule rewrote it. */
  text: string | null;
  filter: Filter | undefined;
  hide: string[];
  redirect: { url: string; keepResults: boolean; rule: RuleReference } | null;
  pins: PlacedPin[];
  boosts: AppliedBoost[];
  /** Identifies the combination of fired rules (ranking caches, cursors). */
  key: string;
}

interface CompiledRule {
  ref: RuleReference;
  def: RuleDefinition;
  is: Set<string> | null;
  contains: string[][] | null;
  pattern: RegExp | null;
  attributes: string[] | null;
  modes: Set<SearchMode> | null;
  contexts: Set<string> | null;
  filters: string[] | null;
  from: number;
  until: number;
  filter: Filter | undefined;
  /** Changes of the revision or content give another key. */
  key: string;
}

export interface RuleSetOptions {
  knownAttributes: ReadonlySet<string>;
  onRuleError?: (ruleId: string, error: unknown) => void;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Short stable hash of a string (FNV-1a, 32 bits) for cache keys. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

export class RuleSet {
  private readonly byIs = new Map<string, CompiledRule[]>();
  private readonly byWord = new Map<string, CompiledRule[]>();
  private readonly byAttribute = new Map<string, CompiledRule[]>();
  private readonly scanned: CompiledRule[] = [];
  private readonly compiled: CompiledRule[] = [];
  /** Rules left out because they could not be compiled, with the reason. */
  readonly skipped: { id: string; reason: string }[] = [];

  constructor(
    readonly rules: readonly RuleDefinition[],
    /** The release these rules came from; null for a preview's or a test's set. */
    readonly version: number | null,
    private readonly options: RuleSetOptions,
  ) {
    const sorted = [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const def of sorted) {
      if (!def.enabled) continue;
      let rule: CompiledRule;
      try {
        rule = this.compile(def);
      } catch (e) {
        this.skipped.push({ id: def.id, reason: (e as Error).message });
        options.onRuleError?.(def.id, e);
        continue;
      }
      this.compiled.push(rule);
      if (rule.is) for (const t of rule.is) pushTo(this.byIs, t, rule);
      else if (rule.contains) for (const w of new Set(rule.contains.map((p) => p[0]))) pushTo(this.byWord, w, rule);
      else if (rule.attributes) pushTo(this.byAttribute, rule.attributes[0], rule);
      else this.scanned.push(rule);
    }
  }

  static empty(options: RuleSetOptions): RuleSet {
    return new RuleSet([], null, options);
  }

  /** Enabled rules that compiled. */
  get size(): number {
    return this.compiled.length;
  }

  /** This set with `rule` added, or replacing the rule of the same id (a preview). */
  with(rule: RuleDefinition): RuleSet {
    return new RuleSet([...this.rules.filter((r) => r.id !== rule.id), rule], null, this.options);
  }

  /** A set of this one rule, compiled as this set compiles (previews: which queries it matches). */
  only(rule: RuleDefinition): RuleSet {
    return new RuleSet([rule], null, this.options);
  }

  /** This set without the rule of that id. */
  without(id: string): RuleSet {
    return new RuleSet(
      this.rules.filter((r) => r.id !== id),
      null,
      this.options,
    );
  }

  private compile(def: RuleDefinition): CompiledRule {
    const q = def.conditions.query ?? {};
    const filter = def.actions.filter ? toDomainFilter(def.actions.filter, { knownAttributes: this.options.knownAttributes }) : undefined;
    return {
      ref: { id: def.id, description: def.description },
      def,
      is: q.is?.length ? new Set(q.is.map(normaliseRuleText)) : null,
      contains: q.contains?.length ? q.contains.map((p) => normaliseRuleText(p).split(' ')) : null,
      pattern: q.matches ? new RegExp(q.matches, 'u') : null,
      attributes: q.attributes?.length ? q.attributes.map((a) => attributeKey(a.name, a.value)) : null,
      modes: def.conditions.modes?.length ? new Set(def.conditions.modes) : null,
      contexts: def.conditions.contexts?.length ? new Set(def.conditions.contexts) : null,
      filters: def.conditions.filters?.length ? def.conditions.filters.map((a) => attributeKey(a.name, a.value)) : null,
      from: def.activeFrom ? Date.parse(def.activeFrom) : -Infinity,
      until: def.activeUntil ? Date.parse(def.activeUntil) : Infinity,
      filter,
      key: `${def.id}#${hash(JSON.stringify(def))}`,
    };
  }

  /** The rules that fire for a search, in id order. */
  match(signal: RuleSignal): RuleDefinition[] {
    return this.matchCompiled(signal).map((r) => r.def);
  }

  private matchCompiled(signal: RuleSignal): CompiledRule[] {
    if (this.compiled.length === 0) return [];
    const normalised = signal.text === null ? null : normaliseRuleText(signal.text);
    const words = normalised ? normalised.split(' ') : [];
    const candidates = new Set<CompiledRule>(this.scanned);
    if (normalised !== null) {
      for (const r of this.byIs.get(normalised) ?? []) candidates.add(r);
      for (const w of new Set(words)) for (const r of this.byWord.get(w) ?? []) candidates.add(r);
      if (this.byAttribute.size) for (const a of signal.attributes()) for (const r of this.byAttribute.get(a) ?? []) candidates.add(r);
    }
    const out: CompiledRule[] = [];
    for (const r of candidates) if (this.fires(r, signal, normalised, words)) out.push(r);
    return out.sort((a, b) => (a.ref.id < b.ref.id ? -1 : a.ref.id > b.ref.id ? 1 : 0));
  }

  private fires(r: CompiledRule, s: RuleSignal, normalised: string | null, words: string[]): boolean {
    try {
      if (s.now < r.from || s.now >= r.until) return false;
      if (r.modes && !r.modes.has(s.mode)) return false;
      if (r.contexts && (s.context === null || !r.contexts.has(s.context))) return false;
      if (r.filters && !r.filters.every((f) => s.filterValues.has(f))) return false;
      const needsText = r.is || r.contains || r.pattern || r.attributes;
      if (!needsText) return true;
      if (normalised === null) return false;
      if (r.is && !r.is.has(normalised)) return false;
      if (r.contains && !r.contains.some((p) => containsPhrase(words, p))) return false;
      if (r.pattern && !r.pattern.test(normalised)) return false;
      if (r.attributes) {
        const recognised = s.attributes();
        if (!r.attributes.every((a) => recognised.has(a))) return false;
      }
      return true;
    } catch (e) {
      this.options.onRuleError?.(r.ref.id, e);
      return false;
    }
  }

  /** The combined effect of the rules that fire (see the header); null when none fires. */
  effects(signal: RuleSignal): RuleEffects | null {
    const fired = this.matchCompiled(signal);
    if (fired.length === 0) return null;
    const effects: RuleEffects = { fired: [], actions: new Map(), text: null, filter: undefined, hide: [], redirect: null, pins: [], boosts: [], key: '' };
    let words = signal.text === null ? null : normaliseRuleText(signal.text).split(' ').filter(Boolean);
    const original = words?.join(' ') ?? null;
    const taken = new Set<number>();
    const pinned = new Set<string>();
    const hidden = new Set<string>();
    const keys: string[] = [];
    for (const r of fired) {
      try {
        const used: string[] = [];
        const a = r.def.actions;
        let rewritten = words;
        if (rewritten && a.replacements?.length) {
          const before = rewritten.join(' ');
          for (const x of a.replacements) rewritten = replacePhrase(rewritten, x.term.split(' '), x.with.split(' '));
          if (rewritten.join(' ') !== before) used.push('replacements');
        }
        if (rewritten && a.ignore?.length) {
          let kept = rewritten;
          for (const t of a.ignore) kept = replacePhrase(kept, t.split(' '), []);
          // Ignoring every word would leave nothing to search: the words stay.
          if (kept.length > 0 && kept.length !== rewritten.length) {
            rewritten = kept;
            used.push('ignore');
          }
        }
        if (rewritten && a.synonyms?.length) {
          const added = expandSynonyms(rewritten, a.synonyms);
          if (added.length) {
            rewritten = [...rewritten, ...added];
            used.push('synonyms');
          }
        }
        const filter = r.filter;
        const hide = a.hide ?? [];
        const boosts = a.boosts ?? [];
        const pins = a.pins ?? [];
        // Everything computed: now commit this rule's effects.
        words = rewritten;
        if (filter) {
          effects.filter = andFilters(effects.filter, filter);
          used.push('filter');
        }
        if (hide.length) {
          for (const id of hide) hidden.add(id);
          used.push('hide');
        }
        if (a.redirect && !effects.redirect) {
          effects.redirect = { ...a.redirect, rule: r.ref };
          used.push('redirect');
        }
        for (const b of boosts) effects.boosts.push({ attribute: b.attribute, values: new Set(b.values), weight: b.weight, rule: r.ref });
        if (boosts.length) used.push('boosts');
        for (const p of pins) {
          if (pinned.has(p.productId) || hidden.has(p.productId)) continue;
          let position = p.position;
          while (taken.has(position)) position += 1;
          taken.add(position);
          pinned.add(p.productId);
          effects.pins.push({ productId: p.productId, position, rule: r.ref, requestedPosition: position === p.position ? null : p.position });
        }
        if (pins.length) used.push('pins');
        effects.fired.push(r.ref);
        effects.actions.set(r.ref.id, used);
        keys.push(r.key);
      } catch (e) {
        this.options.onRuleError?.(r.ref.id, e);
      }
    }
    // A product hidden by one rule and pinned by another stays hidden.
    effects.pins = effects.pins.filter((p) => !hidden.has(p.productId)).sort((x, y) => x.position - y.position);
    effects.hide = [...hidden];
    const text = words?.join(' ') ?? null;
    effects.text = text !== null && text !== original ? text : null;
    effects.key = keys.join(',');
    return effects.fired.length ? effects : null;
  }
}

function replacePhrase(words: string[], phrase: string[], by: string[]): string[] {
  const at = phraseOccurrences(words, phrase);
  if (at.length === 0) return words;
  const out: string[] = [];
  let i = 0;
  for (const start of at) {
    if (start < i) continue; // overlapping occurrence
    out.push(...words.slice(i, start), ...by);
    i = start + phrase.length;
  }
  out.push(...words.slice(i));
  return out;
}

/** Words the synonyms bring in: terms of a group not already in the text, once each. */
function expandSynonyms(words: string[], synonyms: NonNullable<RuleDefinition['actions']['synonyms']>): string[] {
  const added: string[] = [];
  const present = (term: string) => containsPhrase(words, term.split(' ')) || containsPhrase(added, term.split(' '));
  for (const s of synonyms) {
    const triggers = s.oneWay ? [s.terms[0]] : s.terms;
    if (!triggers.some((t) => containsPhrase(words, t.split(' ')))) continue;
    for (const t of s.terms) if (!present(t)) added.push(...t.split(' '));
  }
  return added;
}
