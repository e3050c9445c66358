/**
 * Checks a rule as a merchandiser wrote it and returns it in canonical form (trimmed, lists
 * de-duplicated, defaults filled), or throws InvalidInputError whose message says what to fix and
 * whose details carry the offending `field` and a `reason`:
 *
 * - EMPTY_RULE, BAD_ID, BAD_TEXT, UNKNOWN_ATTRIBUTE, UNKNOWN_VALUE, BAD_WINDOW, BAD_URL, BAD_WEIGHT,
 *   BAD_POSITION, TOO_MANY;
 * - SLOW_PATTERN: a regular expression with exponential or polynomial backtracking, found by
 *   recheck (a ReDoS checker that decides by automata theory, with a fuzzing fallback, rather than
 *   by a star-height rule of thumb that misses cases like `(a|aa)*b`), or one it cannot decide in
 *   time;
 * - CONFLICTING_PINS (two pins at one position, a product pinned twice, pinned and hidden);
 * - CIRCULAR_SYNONYMS (a term that is its own synonym, or a cycle of one-way synonyms or
 *   replacements across the rule book: checkRuleBook below);
 * - UNKNOWN_PRODUCT is decided by the rule book, which can read the catalogue.
 */
import { check } from 'recheck';
import { InvalidInputError } from '../domain/errors';
import { listKnownAttributes, toDomainFilter } from '../search/filter-input';
import type { SearchMode } from '../search/search.types';
import type { RuleActions, RuleAttributeValue, RuleConditions, RuleDefinition } from './rule';
import { normaliseRuleText } from './rule-text';

export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const RULE_LIMITS = {
  description: 500,
  text: 200,
  listEntries: 100,
  pattern: 200,
  /** Pinned or hidden products per rule (as commercial engines allow promoting up to 300 hits). */
  products: 300,
  synonymTerms: 20,
  url: 2000,
  context: 64,
} as const;
const MODES: readonly SearchMode[] = ['TEXT', 'IMAGE', 'COMPOSED', 'TEXT_AND_IMAGE', 'SIMILAR'];
const PATTERN_CHECK_TIMEOUT_MS = 1000;

export interface RuleValidationContext {
  knownAttributes: ReadonlySet<string>;
  /** Values each attribute has in the catalogue; conditions and boosts must name one of them. */
  values: Readonly<Record<string, readonly string[]>>;
  /** Deepest position a search can reach; pins lie within it. */
  maxPosition: number;
}

function fail(field: string, reason: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new InvalidInputError(`rule.${field}: ${message}`, { field: `rule.${field}`, reason, ...extra });
}

function text(value: unknown, field: string, max: number = RULE_LIMITS.text): string {
  const s = typeof value === 'string' ? normaliseRuleText(value) : '';
  if (s === '') fail(field, 'BAD_TEXT', `needs at least one letter or digit, got ${JSON.stringify(value)}`);
  if (s.length > max) fail(field, 'BAD_TEXT', `is ${s.length} characters long; the limit is ${max}`);
  return s;
}

function texts(values: readonly string[] | null | undefined, field: string): string[] | undefined {
  if (values == null || values.length === 0) return undefined;
  if (values.length > RULE_LIMITS.listEntries) fail(field, 'TOO_MANY', `has ${values.length} entries; the limit is ${RULE_LIMITS.listEntries}`);
  return [...new Set(values.map((v, i) => text(v, `${field}[${i}]`)))];
}

function attributeValue(av: RuleAttributeValue, field: string, ctx: RuleValidationContext): RuleAttributeValue {
  const name = (av.name ?? '').trim();
  if (!ctx.knownAttributes.has(name)) {
    fail(`${field}.name`, 'UNKNOWN_ATTRIBUTE', `unknown attribute "${name}"; known attributes: ${listKnownAttributes(ctx.knownAttributes)}`);
  }
  const value = (av.value ?? '').trim();
  checkValue(name, value, `${field}.value`, ctx);
  return { name, value };
}

function checkValue(name: string, value: string, field: string, ctx: RuleValidationContext): void {
  const known = ctx.values[name];
  if (value === '') fail(field, 'BAD_TEXT', `is empty; give a value of ${name}`);
  // Attributes whose values the catalogue does not list (e.g. free text) accept any value.
  if (known && known.length && !known.includes(value)) {
    const some = known.slice(0, 12).join(', ');
    fail(field, 'UNKNOWN_VALUE', `${name} has no value "${value}" in the catalogue; values include: ${some}${known.length > 12 ? ', ...' : ''}`);
  }
}

function instant(value: string | null | undefined, field: string): string | null {
  if (value == null || value === '') return null;
  const t = Date.parse(value);
  if (!Number.isFinite(t)) fail(field, 'BAD_WINDOW', `is not an ISO 8601 date-time, e.g. 2026-12-24T00:00:00Z; got ${JSON.stringify(value)}`);
  return new Date(t).toISOString();
}

/** Throws BAD_TEXT for a pattern that does not compile, TOO_MANY for an overlong one. */
export function compilePattern(source: string, field: string): RegExp {
  if (source.length > RULE_LIMITS.pattern) fail(field, 'TOO_MANY', `is ${source.length} characters long; the limit is ${RULE_LIMITS.pattern}`);
  try {
    return new RegExp(source, 'u');
  } catch (e) {
    return fail(field, 'BAD_TEXT', `is not a valid regular expression: ${(e as Error).message}`);
  }
}

/**
 * Throws SLOW_PATTERN unless recheck shows the pattern runs in linear time. recheck's asynchronous
 * check runs in its own process (its native agent) or a worker thread, so a pattern that takes it
 * long to analyse never holds up the server's event loop.
 */
export async function checkPattern(source: string, field: string): Promise<void> {
  compilePattern(source, field);
  const diagnostics = await check(source, 'u', { timeout: PATTERN_CHECK_TIMEOUT_MS });
  if (diagnostics.status === 'vulnerable') {
    const attack = diagnostics.attack?.pattern ? ` (an input like ${diagnostics.attack.pattern.slice(0, 80)} makes it backtrack)` : '';
    fail(field, 'SLOW_PATTERN', `could take ${diagnostics.complexity.type} time on some queries${attack}; rewrite it without nested or overlapping repetition, or use query.contains`);
  }
  if (diagnostics.status === 'unknown') {
    fail(field, 'SLOW_PATTERN', 'could not be shown to run in linear time; simplify it or use query.contains');
  }
}

function conditions(c: RuleConditions | null | undefined, ctx: RuleValidationContext): RuleConditions {
  const out: RuleConditions = {};
  const q = c?.query;
  if (q) {
    const query: NonNullable<RuleConditions['query']> = {};
    const is = texts(q.is, 'conditions.query.is');
    if (is) query.is = is;
    const contains = texts(q.contains, 'conditions.query.contains');
    if (contains) query.contains = contains;
    if (q.matches != null && q.matches !== '') {
      compilePattern(q.matches, 'conditions.query.matches');
      query.matches = q.matches; // its running time is checked by checkPattern (asynchronous)
    }
    if (q.attributes?.length) query.attributes = dedupeValues(q.attributes.map((a, i) => attributeValue(a, `conditions.query.attributes[${i}]`, ctx)));
    if (Object.keys(query).length) out.query = query;
  }
  if (c?.modes?.length) {
    for (const m of c.modes) if (!MODES.includes(m)) fail('conditions.modes', 'BAD_TEXT', `unknown mode ${m}; modes: ${MODES.join(', ')}`);
    out.modes = [...new Set(c.modes)];
  }
  if (c?.contexts?.length) {
    if (c.contexts.length > RULE_LIMITS.listEntries) fail('conditions.contexts', 'TOO_MANY', `has ${c.contexts.length} entries; the limit is ${RULE_LIMITS.listEntries}`);
    out.contexts = [...new Set(c.contexts.map((v, i) => checkContext(v, `rule.conditions.contexts[${i}]`)))];
  }
  if (c?.filters?.length) out.filters = dedupeValues(c.filters.map((a, i) => attributeValue(a, `conditions.filters[${i}]`, ctx)));
  return out;
}

/** A storefront context: 1 to 64 printable characters, compared exactly after trimming. */
export function checkContext(value: string, field: string): string {
  const v = (value ?? '').trim();
  if (v === '' || v.length > RULE_LIMITS.context || /[\u0000-\u001f]/.test(v)) {
    throw new InvalidInputError(`${field} must be 1 to ${RULE_LIMITS.context} printable characters (a page or segment name), got ${JSON.stringify(String(value).slice(0, 40))}`, {
      field,
      reason: 'BAD_TEXT',
    });
  }
  return v;
}

function dedupeValues(values: RuleAttributeValue[]): RuleAttributeValue[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = `${v.name}\u0000${v.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function productIds(ids: readonly string[], field: string): string[] {
  if (ids.length > RULE_LIMITS.products) fail(field, 'TOO_MANY', `has ${ids.length} products; the limit is ${RULE_LIMITS.products}`);
  return ids.map((id, i) => {
    const v = (id ?? '').trim();
    if (v === '') fail(`${field}[${i}]`, 'BAD_TEXT', 'is empty; give a product id');
    return v;
  });
}

function actions(a: RuleActions | null | undefined, ctx: RuleValidationContext): RuleActions {
  const out: RuleActions = {};
  if (!a) return out;
  if (a.synonyms?.length) {
    out.synonyms = a.synonyms.map((s, i) => {
      const field = `actions.synonyms[${i}].terms`;
      if (s.terms.length > RULE_LIMITS.synonymTerms) fail(field, 'TOO_MANY', `has ${s.terms.length} terms; the limit is ${RULE_LIMITS.synonymTerms}`);
      const terms = s.terms.map((t, j) => text(t, `${field}[${j}]`));
      const dup = terms.find((t, j) => terms.indexOf(t) !== j);
      if (dup !== undefined) fail(field, 'CIRCULAR_SYNONYMS', `names "${dup}" twice: a term cannot be its own synonym`);
      if (terms.length < 2) fail(field, 'BAD_TEXT', 'needs at least two terms (one-way: the first term and what it brings in)');
      return { terms, oneWay: Boolean(s.oneWay) };
    });
  }
  if (a.replacements?.length) {
    out.replacements = a.replacements.map((r, i) => {
      const term = text(r.term, `actions.replacements[${i}].term`);
      const by = text(r.with, `actions.replacements[${i}].with`);
      if (term === by) fail(`actions.replacements[${i}]`, 'CIRCULAR_SYNONYMS', `replaces "${term}" with itself`);
      return { term, with: by };
    });
  }
  const ignore = texts(a.ignore, 'actions.ignore');
  if (ignore) out.ignore = ignore;
  if (a.pins?.length) {
    const ids = productIds(
      a.pins.map((p) => p.productId),
      'actions.pins.productId',
    );
    const byPosition = new Map<number, string>();
    const byProduct = new Map<string, number>();
    out.pins = a.pins.map((p, i) => {
      const id = ids[i];
      if (!Number.isInteger(p.position) || p.position < 1 || p.position > ctx.maxPosition) {
        fail(`actions.pins[${i}].position`, 'BAD_POSITION', `must be a whole number from 1 to ${ctx.maxPosition}, got ${p.position}`);
      }
      const other = byPosition.get(p.position);
      if (other !== undefined) fail(`actions.pins[${i}]`, 'CONFLICTING_PINS', `position ${p.position} is already pinned to "${other}"; give each pin its own position`);
      const twice = byProduct.get(id);
      if (twice !== undefined) fail(`actions.pins[${i}]`, 'CONFLICTING_PINS', `"${id}" is already pinned at position ${twice}; pin a product once`);
      byPosition.set(p.position, id);
      byProduct.set(id, p.position);
      return { productId: id, position: p.position };
    });
    out.pins.sort((x, y) => x.position - y.position);
  }
  if (a.hide?.length) {
    out.hide = [...new Set(productIds(a.hide, 'actions.hide'))];
    const both = out.pins?.find((p) => out.hide?.includes(p.productId));
    if (both) fail('actions.hide', 'CONFLICTING_PINS', `"${both.productId}" is both pinned and hidden; keep one`);
  }
  if (a.boosts?.length) {
    out.boosts = a.boosts.map((b, i) => {
      const field = `actions.boosts[${i}]`;
      const name = (b.attribute ?? '').trim();
      if (!ctx.knownAttributes.has(name)) fail(`${field}.attribute`, 'UNKNOWN_ATTRIBUTE', `unknown attribute "${name}"; known attributes: ${listKnownAttributes(ctx.knownAttributes)}`);
      const values = [...new Set((b.values ?? []).map((v) => v.trim()))];
      if (values.length === 0) fail(`${field}.values`, 'BAD_TEXT', 'needs at least one value');
      values.forEach((v, j) => checkValue(name, v, `${field}.values[${j}]`, ctx));
      if (!(b.weight >= -1 && b.weight <= 1) || b.weight === 0) {
        fail(`${field}.weight`, 'BAD_WEIGHT', `must be from -1 to 1 and not 0 (positive boosts, negative buries), got ${b.weight}`);
      }
      return { attribute: name, values, weight: b.weight };
    });
  }
  if (a.filter) {
    // Translated here only to be checked (known attributes, depth, size); the rule keeps the API's form.
    try {
      toDomainFilter(a.filter, { knownAttributes: ctx.knownAttributes });
    } catch (e) {
      fail('actions.filter', 'BAD_FILTER', (e as Error).message);
    }
    out.filter = a.filter;
  }
  if (a.redirect) {
    const url = (a.redirect.url ?? '').trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || url.length > RULE_LIMITS.url) {
      fail('actions.redirect.url', 'BAD_URL', `must be an absolute http(s) URL of at most ${RULE_LIMITS.url} characters, got ${JSON.stringify(url.slice(0, 80))}`);
    }
    out.redirect = { url, keepResults: Boolean(a.redirect.keepResults) };
  }
  return out;
}

export function hasActions(a: RuleActions): boolean {
  return Object.values(a).some((v) => (Array.isArray(v) ? v.length > 0 : v != null));
}

/**
 * The rule in canonical form, or InvalidInputError (see the header). A pattern's running time is
 * checked apart, asynchronously: checkPattern.
 */
export function validateRule(rule: RuleDefinition, ctx: RuleValidationContext): RuleDefinition {
  const id = (rule.id ?? '').trim();
  if (!RULE_ID.test(id)) fail('id', 'BAD_ID', `must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(rule.id)}`);
  const description = (rule.description ?? '').trim();
  if (description.length > RULE_LIMITS.description) fail('description', 'TOO_MANY', `is ${description.length} characters long; the limit is ${RULE_LIMITS.description}`);
  const activeFrom = instant(rule.activeFrom, 'activeFrom');
  const activeUntil = instant(rule.activeUntil, 'activeUntil');
  if (activeFrom && activeUntil && activeFrom >= activeUntil) fail('activeUntil', 'BAD_WINDOW', `(${activeUntil}) must come after activeFrom (${activeFrom})`);
  const out: RuleDefinition = {
    id,
    description,
    enabled: rule.enabled ?? true,
    conditions: conditions(rule.conditions, ctx),
    actions: actions(rule.actions, ctx),
    activeFrom,
    activeUntil,
  };
  if (!hasActions(out.actions)) fail('actions', 'EMPTY_RULE', 'a rule needs at least one action (synonyms, replacements, ignore, pins, hide, boosts, filter or redirect)');
  return out;
}

/**
 * Checks what only the whole rule book shows: a cycle of one-way synonyms (a => b, b => c, c => a:
 * state a two-way synonym instead) or of replacements (a -> b in one rule, b -> a in another).
 * Throws CIRCULAR_SYNONYMS naming the cycle and the rules on it.
 */
export function checkRuleBook(rules: readonly RuleDefinition[]): void {
  for (const kind of ['synonyms', 'replacements'] as const) {
    const edges = new Map<string, { to: string; rule: string }[]>();
    const add = (from: string, to: string, rule: string) => {
      const list = edges.get(from) ?? [];
      list.push({ to, rule });
      edges.set(from, list);
    };
    for (const r of rules) {
      if (kind === 'synonyms') {
        for (const s of r.actions.synonyms ?? []) if (s.oneWay) for (const t of s.terms.slice(1)) add(s.terms[0], t, r.id);
      } else {
        for (const x of r.actions.replacements ?? []) add(x.term, x.with, r.id);
      }
    }
    const state = new Map<string, 1 | 2>();
    const path: { term: string; rule: string }[] = [];
    const visit = (term: string): void => {
      state.set(term, 1);
      for (const e of edges.get(term) ?? []) {
        path.push({ term: e.to, rule: e.rule });
        if (state.get(e.to) === 1) {
          const start = path.findIndex((p) => p.term === e.to);
          const cycle = path.slice(start);
          const words = cycle.map((p) => p.term).join(kind === 'synonyms' ? ' => ' : ' -> ');
          const names = [...new Set(cycle.slice(1).map((p) => p.rule))].join(', ');
          throw new InvalidInputError(
            kind === 'synonyms'
              ? `one-way synonyms form a cycle: ${words} (rules ${names}); state them as one two-way synonym instead`
              : `replacements form a cycle: ${words} (rules ${names}); a word would be replaced back and forth, so drop one of them`,
            { field: `rule.actions.${kind}`, reason: 'CIRCULAR_SYNONYMS', rules: names },
          );
        }
        if (!state.has(e.to)) visit(e.to);
        path.pop();
      }
      state.set(term, 2);
    };
    for (const term of edges.keys()) {
      if (!state.has(term)) {
        path.length = 0;
        path.push({ term, rule: '' });
        visit(term);
      }
    }
  }
}
