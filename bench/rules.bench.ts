/**
 * Merchandising rules benchmark: what live rules cost a search, and how long a rule's preview takes,
 * against the real server (src/main.ts) on the demo catalogue and models.
 *
 *   npm run bench:rules -- [--rules 1000] [--queries 300] [--rounds 8] [--c8-rounds 2]
 *       [--probe-rounds 2] [--recorded 1200] [--parts latency,probes,preview] [--seed 1] [--catalog-dir seed/demo]
 *       [--store-from data/bench-scale/demo | none] [--models-dir models] [--ready-timeout-s 900]
 *       [--server-cpu-prof DIR]
 *
 * 1. The server starts on a temporary DATA_DIR: a copy of the demo store `npm run bench:scale`
 *    keeps (`--store-from`; without one the server ingests the catalogue first), less its search
 *    log, API keys and rules, so that every run starts from the same empty rule book and traffic. A
 *    key with the merchandiser role is created in that DATA_DIR before the start.
 * 2. `--rules` rules are generated with a seeded random generator from the catalogue's own
 *    vocabulary (attribute values, title words, words that mostly come with one value, brands,
 *    product ids; `generateRules`): `contains`, `is`, `attributes` and pattern (`matches`)
 *    conditions, some with contexts, modes, client-filter conditions or active windows; actions
 *    mixing pins, hides, boosts and buries, synonyms, replacements, ignored terms, filters and a few
 *    redirects that keep the results. They are written with `upsertRule` (4 at a time) and published.
 *    An empty release is published before them, so both rule books are releases.
 * 3. Latency, side by side in one run: the same `--queries` text queries of the demo's test
 *    judgement set (`queries/text-test.jsonl`, a seeded sample, each with a fixed storefront context
 *    or none) in blocks alternating between no rules and the rules (ABAB..., `--rounds` rounds, after
 *    one warm-up block of each), switched with `rollbackRules` to the empty release or to the rules'
 *    release (a release goes live in-process at once). A third arm, a what-if, is the same rules less
 *    their pins (`withoutPins`): it separates what pins cost (they once read the whole catalogue per
 *    search; bench/README.md) from what the rest of the rules cost. Concurrency 1 gives the latency of each arm, also broken down by the
 *    actions of the rules that fired (`actionBreakdown`); `--c8-rounds` more rounds at concurrency 8
 *    give throughput. The rules that fired come from `SearchConnection.rules`.
 * 4. Probes (`--probe-rounds`): one rule without query condition that fires on every search (a
 *    context sent with each query), one action each (pin, hide, boost, bury, filter, synonyms,
 *    redirect), each release against no rules in alternating blocks: what one action costs.
 * 5. Preview: `--recorded` distinct text searches (first pages; about a third get a click) are
 *    recorded first, then `previewRule` runs without `queries` for a rule every query matches (a
 *    context condition, previewed in that context: twice, since the first preview reads the
 *    judgement sets; without its pin; with no rules live), for a rule whose `contains` matches most
 *    queries, and with 1,000 given queries. Wall time over HTTP, the server's `elapsedMs`, the
 *    queries previewed and `truncated`.
 *
 * `--server-cpu-prof DIR` starts the server with `--cpu-prof --cpu-prof-dir=DIR` (a .cpuprofile of
 * the whole run is written there when the server stops).
 *
 * Writes bench/results/rules.json and bench/results/rules.md and prints the tables.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiKeyStore } from '../src/auth/api-key.store';
import { isStopWord } from '../src/query/text-analyzer';
import type { RuleDefinition } from '../src/rules/rule';
import { normaliseRuleText } from '../src/rules/rule-text';
import { graphqlOnce, graphqlQuery, ROOT, runLoad, serviceAndIngest, startServer, type IngestStatus, type ServiceInfo } from './http-load';
import { argumentReaders, benchCommand, markdownTable, readJsonl, seededRandom, summariseLatencies, writeResults, type LatencySummary } from './support';

// ---- vocabulary and rules (pure) ---------------------------------------------------------------

export interface CatalogProduct {
  id: string;
  title: string;
  price?: number;
  attributes: Record<string, string[]>;
}

export interface RuleVocabulary {
  /** Values of each attribute, most frequent first. */
  values: Record<string, string[]>;
  /** Title words (as rules compare them) that are no stop word, most frequent first, with their counts. */
  words: { word: string; count: number }[];
  /**
   * Title words that are no attribute value's word and come, in at least `ALIAS_SHARE` of the
   * titles holding them, with one value of a colour, category, pattern or material (e.g. "cobalt"
   * with blue, "chelsea" with ankle-boot): the catalogue's own synonyms.
   */
  aliases: { attribute: string; value: string; word: string; count: number }[];
  productIds: string[];
  /** Prices at the 25th, 50th and 75th percentile. */
  prices: number[];
}

const ALIAS_ATTRIBUTES = ['color', 'category', 'pattern', 'material'];
const ALIAS_SHARE = 0.7;
const ALIAS_MIN_COUNT = 15;
/** Storefront contexts of the rules and queries. */
export const CONTEXTS = ['sale', 'home', 'vip', 'outlet', 'new-in', 'app', 'newsletter', 'clearance'];

/** What rules can be written about, read from the catalogue's products. */
export function ruleVocabulary(products: readonly CatalogProduct[]): RuleVocabulary {
  const valueCounts = new Map<string, Map<string, number>>();
  for (const p of products) {
    for (const [name, values] of Object.entries(p.attributes)) {
      const counts = valueCounts.get(name) ?? new Map<string, number>();
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
      valueCounts.set(name, counts);
    }
  }
  const values: Record<string, string[]> = {};
  for (const [name, counts] of valueCounts) values[name] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
  const valueWords = new Set<string>();
  for (const list of Object.values(values)) for (const v of list) for (const w of normaliseRuleText(v).split(' ')) valueWords.add(w);

  const wordCounts = new Map<string, number>();
  const withValue = new Map<string, Map<string, number>>(); // word -> "attribute\u0000value" -> titles
  for (const p of products) {
    const words = new Set(normaliseRuleText(p.title).split(' ').filter((w) => w.length >= 3 && !/^\d+$/.test(w) && !isStopWord(w)));
    for (const w of words) {
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      if (valueWords.has(w)) continue;
      const m = withValue.get(w) ?? new Map<string, number>();
      for (const a of ALIAS_ATTRIBUTES) for (const v of p.attributes[a] ?? []) m.set(`${a}\u0000${v}`, (m.get(`${a}\u0000${v}`) ?? 0) + 1);
      withValue.set(w, m);
    }
  }
  const words = [...wordCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([word, count]) => ({ word, count }));
  const aliases: RuleVocabulary['aliases'] = [];
  for (const { word, count } of words) {
    if (count < ALIAS_MIN_COUNT || valueWords.has(word)) continue;
    const best = [...(withValue.get(word) ?? [])].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    if (!best || best[1] / count < ALIAS_SHARE) continue;
    const [attribute, value] = best[0].split('\u0000');
    aliases.push({ attribute, value, word, count });
  }
  const prices = products.map((p) => p.price ?? NaN).filter(Number.isFinite).sort((a, b) => a - b);
  const at = (q: number) => (prices.length ? Math.round(prices[Math.min(prices.length - 1, Math.floor(q * prices.length))]) : 100);
  return { values, words, aliases, productIds: products.map((p) => p.id), prices: [at(0.25), at(0.5), at(0.75)] };
}

/** How a generated rule is conditioned and what it does (the report counts them). */
export interface RuleShape {
  query: 'contains' | 'is' | 'attributes' | 'matches' | 'none';
  contexts: boolean;
  modes: 'text' | 'image' | null;
  filters: boolean;
  window: 'current' | 'expired' | null;
  actions: string[];
}

export interface GeneratedRule {
  rule: RuleDefinition;
  shape: RuleShape;
}

type Random = () => number;

function pick<T>(rng: Random, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)];
}

/** An index drawn with probability proportional to weights[i]. */
function pickWeighted(rng: Random, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return i;
  }
  return weights.length - 1;
}

function pickSome<T>(rng: Random, list: readonly T[], n: number): T[] {
  const out = new Set<T>();
  for (let tries = 0; out.size < Math.min(n, list.length) && tries < n * 20; tries++) out.add(pick(rng, list));
  return [...out];
}

const QUERY_KINDS: [RuleShape['query'], number][] = [
  ['contains', 0.45],
  ['is', 0.23],
  ['attributes', 0.2],
  ['matches', 0.1],
  ['none', 0.02],
];
const ACTION_KINDS: [string, number][] = [
  ['pins', 0.3],
  ['boosts', 0.3],
  ['hide', 0.12],
  ['synonyms', 0.1],
  ['replacements', 0.06],
  ['ignore', 0.04],
  ['filter', 0.06],
  ['redirect', 0.02],
];
/** Attributes boosts and buries name. */
const BOOST_ATTRIBUTES = ['brand', 'color', 'material', 'pattern', 'fit', 'occasion', 'season', 'gender'];
/** Attributes query conditions and client-filter conditions name. */
const CONDITION_ATTRIBUTES = ['color', 'category', 'pattern', 'material', 'gender'];

/**
 * `count` rules from the catalogue's vocabulary, the same ones for the same seed (see the header).
 * Words are drawn with weight proportional to their frequency in the titles, so head words carry
 * more rules, as merchandisers' rules follow head queries. Replacements and one-way synonyms only
 * lead from an alias to an attribute value's words or from a value to aliases, never back, so the
 * rule book has no cycle; no rule pins a product it hides.
 */
export function generateRules(vocab: RuleVocabulary, count: number, seed: number): GeneratedRule[] {
  const rng = seededRandom(seed);
  const words = vocab.words.slice(0, 400);
  // Square roots: head words carry more rules, but not in proportion to their frequency.
  const wordWeights = words.map((w) => Math.sqrt(w.count));
  const valueText = (v: string) => normaliseRuleText(v);
  const values = (name: string) => vocab.values[name] ?? [];
  const categories = values('category');
  const colors = values('color');
  const aliasesOf = (attribute: string) => vocab.aliases.filter((a) => a.attribute === attribute);
  const out: GeneratedRule[] = [];
  const width = String(count).length;
  for (let i = 0; i < count; i++) {
    const query = QUERY_KINDS[pickWeighted(rng, QUERY_KINDS.map(([, w]) => w))][0];
    const shape: RuleShape = { query, contexts: false, modes: null, filters: false, window: null, actions: [] };
    const rule: RuleDefinition = { id: '', description: '', enabled: true, conditions: {}, actions: {}, activeFrom: null, activeUntil: null };
    const about: string[] = [];

    // Conditions.
    if (query === 'contains') {
      const phrases = Array.from({ length: rng() < 0.7 ? 1 : 2 }, () => pick(rng, words).word);
      // A third name a two-word phrase: a colour before a category, as titles say it.
      if (rng() < 0.33 && colors.length && categories.length) phrases[0] = `${valueText(pick(rng, colors))} ${valueText(pick(rng, categories))}`;
      rule.conditions.query = { contains: [...new Set(phrases)] };
      about.push(`contains ${[...new Set(phrases)].map((p) => `"${p}"`).join(' or ')}`);
    } else if (query === 'is') {
      const texts = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => {
        const category = valueText(pick(rng, categories));
        const r = rng();
        if (r < 0.5) return `${valueText(pick(rng, colors))} ${category}`;
        if (r < 0.75) return `${valueText(pick(rng, values('material')))} ${category}`;
        return `${words[pickWeighted(rng, wordWeights)].word} ${category}`;
      });
      rule.conditions.query = { is: [...new Set(texts)] };
      about.push(`is ${[...new Set(texts)].map((t) => `"${t}"`).join(' or ')}`);
    } else if (query === 'attributes') {
      const first = pick(rng, CONDITION_ATTRIBUTES.slice(0, 4));
      const attrs = [{ name: first, value: pick(rng, values(first)) }];
      if (rng() < 0.6) {
        const second = first === 'category' ? 'color' : 'category';
        attrs.push({ name: second, value: pick(rng, values(second)) });
      }
      rule.conditions.query = { attributes: attrs };
      about.push(`understood ${attrs.map((a) => `${a.name} = ${a.value}`).join(' and ')}`);
    } else if (query === 'matches') {
      const a = pickSome(rng, words.slice(0, 120), 2 + Math.floor(rng() * 2)).map((w) => w.word);
      const r = rng();
      const pattern =
        r < 0.4
          ? `\\b(${a.join('|')})\\b`
          : r < 0.7
            ? `^(${a.join('|')}) `
            : `\\b${valueText(pick(rng, colors)).replace(/ /g, '\\s')}\\s(${categories.map(valueText).filter((c) => !c.includes(' ')).slice(0, 4).join('|')})`;
      rule.conditions.query = { matches: pattern };
      about.push(`matches /${pattern}/`);
    }
    if (query === 'none' || rng() < 0.12) {
      rule.conditions.contexts = pickSome(rng, CONTEXTS, rng() < 0.7 ? 1 : 2);
      shape.contexts = true;
      about.push(`in ${rule.conditions.contexts.join(' or ')}`);
    }
    if (rng() < 0.06) {
      shape.modes = rng() < 0.5 ? 'text' : 'image';
      rule.conditions.modes = shape.modes === 'text' ? ['TEXT'] : ['IMAGE', 'COMPOSED'];
      about.push(`${rule.conditions.modes.join('/')} searches`);
    }
    if (rng() < 0.05) {
      const name = pick(rng, CONDITION_ATTRIBUTES);
      rule.conditions.filters = [{ name, value: pick(rng, values(name)) }];
      shape.filters = true;
      about.push(`filtered on ${name} = ${rule.conditions.filters[0].value}`);
    }
    if (rng() < 0.05) {
      // Fixed instants, so that the same seed gives the same rules; "current" lasts until 2100.
      shape.window = rng() < 0.6 ? 'current' : 'expired';
      rule.activeFrom = shape.window === 'current' ? '2026-01-01T00:00:00.000Z' : '2020-11-20T00:00:00.000Z';
      rule.activeUntil = shape.window === 'current' ? '2100-01-01T00:00:00.000Z' : '2020-12-01T00:00:00.000Z';
      about.push(shape.window === 'current' ? 'from 2026' : 'in late 2020');
    }

    // Actions: one to three kinds.
    const kinds = new Set<string>();
    const nKinds = 1 + (rng() < 0.45 ? 1 : 0) + (rng() < 0.12 ? 1 : 0);
    while (kinds.size < nKinds) kinds.add(ACTION_KINDS[pickWeighted(rng, ACTION_KINDS.map(([, w]) => w))][0]);
    const a = rule.actions;
    const pinned = new Set<string>();
    if (kinds.has('pins')) {
      const positions = pickSome(rng, [1, 2, 3, 4, 5, 6, 8, 10], 1 + Math.floor(rng() * 3));
      a.pins = positions.map((position) => {
        let productId = pick(rng, vocab.productIds);
        while (pinned.has(productId)) productId = pick(rng, vocab.productIds);
        pinned.add(productId);
        return { productId, position };
      });
      about.push(`pins ${a.pins.length}`);
    }
    if (kinds.has('hide')) {
      a.hide = pickSome(rng, vocab.productIds, 1 + Math.floor(rng() * 5)).filter((id) => !pinned.has(id));
      if (a.hide.length === 0) delete a.hide;
      else about.push(`hides ${a.hide.length}`);
    }
    if (kinds.has('boosts')) {
      a.boosts = Array.from({ length: 1 + (rng() < 0.3 ? 1 : 0) }, () => {
        const attribute = pick(rng, BOOST_ATTRIBUTES);
        const magnitude = Math.round((0.1 + rng() * 0.9) * 20) / 20;
        return { attribute, values: pickSome(rng, values(attribute), 1 + Math.floor(rng() * 2)), weight: rng() < 0.7 ? magnitude : -magnitude };
      });
      about.push(a.boosts.map((b) => `${b.weight > 0 ? 'boosts' : 'buries'} ${b.attribute} ${b.values.join('/')}`).join(', '));
    }
    const attribute = pick(rng, ALIAS_ATTRIBUTES);
    const aliases = aliasesOf(attribute);
    if (kinds.has('synonyms') && aliases.length) {
      const alias = pick(rng, aliases);
      const others = aliases.filter((x) => x.value === alias.value && x.word !== alias.word).map((x) => x.word);
      const oneWay = rng() < 0.4;
      // One-way: the value's words bring in its aliases (value -> alias only, never the reverse).
      a.synonyms = [{ terms: [valueText(alias.value), alias.word, ...others.slice(0, 2)], oneWay }];
      about.push(`synonyms ${a.synonyms[0].terms.join(oneWay ? ' => ' : ' = ')}`);
    }
    if (kinds.has('replacements') && aliases.length) {
      const alias = pick(rng, aliases);
      a.replacements = [{ term: alias.word, with: valueText(alias.value) }];
      about.push(`replaces ${alias.word} with ${valueText(alias.value)}`);
    }
    if (kinds.has('ignore')) {
      a.ignore = [words[pickWeighted(rng, wordWeights)].word];
      about.push(`ignores ${a.ignore[0]}`);
    }
    if (kinds.has('filter')) {
      const r = rng();
      if (r < 0.4) a.filter = { inStock: true };
      else if (r < 0.7) a.filter = { price: { max: pick(rng, vocab.prices.slice(1)) } };
      else a.filter = { attributes: [{ attribute: 'gender', noneOf: [pick(rng, values('gender'))] }] };
      about.push(`filter ${JSON.stringify(a.filter)}`);
    }
    if (kinds.has('redirect')) {
      a.redirect = { url: `https://shop.example/landing/${i}`, keepResults: true };
      about.push('redirects (keeps results)');
    }
    if (Object.keys(a).length === 0) {
      a.boosts = [{ attribute: 'brand', values: [pick(rng, values('brand'))], weight: 0.5 }];
      about.push(`boosts brand ${a.boosts[0].values[0]}`);
    }
    shape.actions = Object.keys(a);
    rule.id = `bench-${query}-${String(i).padStart(width, '0')}`;
    rule.description = about.join('; ').slice(0, 480);
    out.push({ rule, shape });
  }
  return out;
}

/**
 * `n` distinct search texts a shopper could type, from the catalogue's words: a colour (its value
 * or an alias), sometimes a material, pattern or brand, and a category (its value or an alias), in
 * a seeded order. Every text names a category, so a rule on the category words matches them all.
 */
export function shopperTexts(vocab: RuleVocabulary, n: number, seed: number): string[] {
  const rng = seededRandom(seed);
  const v = (name: string) => (vocab.values[name] ?? []).map(normaliseRuleText);
  const colors = [...v('color'), ...vocab.aliases.filter((a) => a.attribute === 'color').map((a) => a.word)];
  const categories = v('category');
  const extras = [...v('material'), ...v('pattern'), ...v('brand')];
  const out = new Set<string>();
  for (let tries = 0; out.size < n && tries < n * 50; tries++) {
    const parts = [pick(rng, colors)];
    if (rng() < 0.7) parts.push(pick(rng, extras));
    parts.push(pick(rng, categories));
    out.add(parts.join(' '));
  }
  return [...out];
}

/** Counts of conditions and actions over the generated rules. */
export function ruleMix(rules: readonly GeneratedRule[]): Record<string, number> {
  const mix: Record<string, number> = {};
  const add = (k: string) => (mix[k] = (mix[k] ?? 0) + 1);
  for (const { shape } of rules) {
    add(`query:${shape.query}`);
    if (shape.contexts) add('contexts');
    if (shape.modes) add(`modes:${shape.modes}`);
    if (shape.filters) add('filters');
    if (shape.window) add(`window:${shape.window}`);
    for (const a of shape.actions) add(`action:${a}`);
  }
  return Object.fromEntries(Object.entries(mix).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export interface ActionGroup {
  /** An action kind, "any rule" or "no rule". */
  group: string;
  queries: number;
  p50NoneMs: number;
  p50RulesMs: number;
  ratio: number;
}

/**
 * Latency by what the rules did: each query's median latency over the rounds in each arm, then per
 * group the median over its queries. A query is in "any rule" and in the group of every action kind
 * that fired for it, or in "no rule"; a query some rule fired for without pinning is also in "any
 * rule, no pin" (pins were the costly action: bench/README.md). Groups by number of queries, largest
 * first, after those three.
 */
export function actionBreakdown(queries: readonly { none: number[]; rules: number[]; actions: readonly string[] }[]): ActionGroup[] {
  const groups = new Map<string, { none: number[]; rules: number[] }>();
  const add = (group: string, none: number, rules: number) => {
    const g = groups.get(group) ?? { none: [], rules: [] };
    g.none.push(none);
    g.rules.push(rules);
    groups.set(group, g);
  };
  for (const q of queries) {
    const none = median(q.none);
    const rules = median(q.rules);
    if (!Number.isFinite(none) || !Number.isFinite(rules)) continue;
    add(q.actions.length ? 'any rule' : 'no rule', none, rules);
    if (q.actions.length && !q.actions.includes('pins')) add('any rule, no pin', none, rules);
    for (const a of q.actions) add(a, none, rules);
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  const rows = [...groups].map(([group, g]) => {
    const none = median(g.none);
    const rules = median(g.rules);
    return { group, queries: g.none.length, p50NoneMs: round(none), p50RulesMs: round(rules), ratio: Math.round((rules / none) * 1000) / 1000 };
  });
  const leading = ['no rule', 'any rule', 'any rule, no pin'];
  const first = (g: string) => (leading.includes(g) ? leading.indexOf(g) : leading.length);
  return rows.sort((a, b) => first(a.group) - first(b.group) || b.queries - a.queries || (a.group < b.group ? -1 : 1));
}

// ---- options ----------------------------------------------------------------------------------

const PARTS = ['latency', 'probes', 'preview'] as const;
type Part = (typeof PARTS)[number];

interface Options {
  rules: number;
  queries: number;
  rounds: number;
  c8Rounds: number;
  recorded: number;
  probeRounds: number;
  /** Which parts run: the latency arms, the probes, the preview. */
  parts: Part[];
  seed: number;
  serverCpuProf: string | null;
  catalogDir: string;
  storeFrom: string | null;
  modelsDir: string;
  readyTimeoutMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    rules: 1000,
    queries: 300,
    rounds: 8,
    c8Rounds: 2,
    recorded: 1200,
    probeRounds: 2,
    parts: [...PARTS],
    seed: 1,
    serverCpuProf: null,
    catalogDir: path.join(ROOT, 'seed/demo'),
    storeFrom: path.join(ROOT, 'data/bench-scale/demo'),
    modelsDir: path.join(ROOT, 'models'),
    readyTimeoutMs: 900_000,
  };
  const problems: string[] = [];
  const { int, list } = argumentReaders(problems);
  type IntOption = 'rules' | 'queries' | 'rounds' | 'c8Rounds' | 'recorded' | 'probeRounds' | 'seed';
  const ints: Record<string, [IntOption, number, number]> = {
    '--rules': ['rules', 1, 1000],
    '--queries': ['queries', 10, 2500],
    '--rounds': ['rounds', 1, 100],
    '--c8-rounds': ['c8Rounds', 0, 100],
    '--recorded': ['recorded', 0, 5000],
    '--probe-rounds': ['probeRounds', 0, 100],
    '--seed': ['seed', 0, 2 ** 31],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [arg, value] = [argv[i], argv[i + 1]];
    if (arg in ints) options[ints[arg][0]] = int(arg, value, ints[arg][1], ints[arg][2]);
    else if (arg === '--catalog-dir') options.catalogDir = path.resolve(ROOT, value ?? '');
    else if (arg === '--models-dir') options.modelsDir = path.resolve(ROOT, value ?? '');
    else if (arg === '--store-from') options.storeFrom = value === 'none' ? null : path.resolve(ROOT, value ?? '');
    else if (arg === '--parts') options.parts = list(arg, value, PARTS) ?? options.parts;
    else if (arg === '--server-cpu-prof') options.serverCpuProf = path.resolve(ROOT, value ?? '');
    else if (arg === '--ready-timeout-s') options.readyTimeoutMs = int(arg, value, 1, 86_400) * 1000;
    else {
      problems.push(`unknown argument ${arg}`);
      i--;
    }
  }
  if (!existsSync(path.join(options.catalogDir, 'products.jsonl'))) problems.push(`no products.jsonl in ${options.catalogDir}; npm run seed:demo or pass --catalog-dir`);
  if (!existsSync(path.join(options.catalogDir, 'queries/text-test.jsonl'))) problems.push(`no queries/text-test.jsonl in ${options.catalogDir}`);
  if (!existsSync(path.join(options.modelsDir, 'manifest.json'))) problems.push(`no manifest.json in ${options.modelsDir}; pass --models-dir`);
  if (problems.length > 0) {
    console.error(`rules bench: ${problems.join('; ')}`);
    process.exit(2);
  }
  return options;
}

// ---- GraphQL ----------------------------------------------------------------------------------

const SEARCH = `query BenchSearch($input: SearchInput!) {
  search(input: $input) { searchId totalCount edges { node { id } } rules { id actions } rewrittenText redirect { url } }
}`;

const UPSERT = `mutation BenchUpsert($rule: RuleInput!) { upsertRule(rule: $rule) { id revision } }`;
const PUBLISH = `mutation BenchPublish($note: String) { publishRules(note: $note) { version ruleCount } }`;
const ROLLBACK = `mutation BenchRollback($version: Int!, $note: String) { rollbackRules(version: $version, note: $note) { version ruleCount } }`;
const PREVIEW = `query BenchPreview($rule: RuleInput!, $queries: [String!], $context: String) {
  previewRule(rule: $rule, queries: $queries, context: $context) {
    depth truncated elapsedMs flagged warnings judgementSets
    queries { sources fired changed recordedSearches }
    judgements { metric before after difference pValue queries }
    clickReplay { searches clicks }
  }
}`;
const RECORD_EVENTS = `mutation BenchEvents($events: [SearchEventInput!]!) { recordSearchEvents(events: $events) { recorded } }`;

interface Query {
  text: string;
  context: string | null;
}

function searchBody(q: Query): string {
  return JSON.stringify({ query: SEARCH, operationName: 'BenchSearch', variables: { input: { text: q.text, first: 20, ...(q.context ? { context: q.context } : {}) } } });
}

interface SearchAnswer {
  searchId: string;
  edges: { node: { id: string } }[];
  rules: { id: string; actions: string[] }[];
  rewrittenText: string | null;
  redirect: { url: string } | null;
}

interface Fired {
  searches: number;
  fired: number;
  withAny: number;
  rewritten: number;
  redirects: number;
  /** Fired rules per action kind, over all searches. */
  actions: Record<string, number>;
  maxFired: number;
}

function emptyFired(): Fired {
  return { searches: 0, fired: 0, withAny: 0, rewritten: 0, redirects: 0, actions: {}, maxFired: 0 };
}

function countFired(f: Fired, a: SearchAnswer): void {
  f.searches += 1;
  f.fired += a.rules.length;
  f.maxFired = Math.max(f.maxFired, a.rules.length);
  if (a.rules.length) f.withAny += 1;
  if (a.rewrittenText) f.rewritten += 1;
  if (a.redirect) f.redirects += 1;
  for (const r of a.rules) for (const k of r.actions) f.actions[k] = (f.actions[k] ?? 0) + 1;
}

interface Block {
  /** Latency of each query, in order (NaN for a failed one). */
  latencies: number[];
  /** Action kinds of the rules that fired, per query. */
  actions: string[][];
  errors: number;
  firstError: string | null;
  seconds: number;
}

/** The queries in order at concurrency 1: latency of each, and the rules that fired. */
async function sequentialBlock(port: number, queries: Query[], fired: Fired): Promise<Block> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const block: Block = { latencies: [], actions: [], errors: 0, firstError: null, seconds: 0 };
  const t0 = performance.now();
  try {
    for (const q of queries) {
      const body = searchBody(q);
      const started = performance.now();
      try {
        const data = await graphqlOnce(agent, port, body);
        block.latencies.push(performance.now() - started);
        const answer = data.search as SearchAnswer;
        countFired(fired, answer);
        block.actions.push([...new Set(answer.rules.flatMap((r) => r.actions))]);
      } catch (error) {
        block.latencies.push(NaN);
        block.actions.push([]);
        block.errors++;
        block.firstError ??= (error as Error).message;
      }
    }
  } finally {
    agent.destroy();
  }
  block.seconds = (performance.now() - t0) / 1000;
  return block;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

// ---- the run ----------------------------------------------------------------------------------

/**
 * The rule books searched: none, the generated rules, and (what-if) the same rules less their pins,
 * pin-only rules disabled, which separates what pins cost from what the rest of the rules cost.
 */
type Arm = 'none' | 'rules' | 'rulesNoPins';
const ARMS: Arm[] = ['none', 'rules', 'rulesNoPins'];

/** The rules less their pins; a rule that only pins is disabled (kept, so the release holds as many rules). */
export function withoutPins(rules: readonly RuleDefinition[]): RuleDefinition[] {
  return rules.map((r) => {
    if (!r.actions.pins?.length) return r;
    const { pins: _pins, ...rest } = r.actions;
    return Object.keys(rest).length ? { ...r, actions: rest } : { ...r, enabled: false };
  });
}

interface ArmResult extends LatencySummary {
  arm: Arm;
  concurrency: number;
  errors: number;
  firstError: string | null;
  /** p50 of each block, in round order. */
  blockP50Ms: number[];
}

interface ProbeResult {
  name: string;
  requests: number;
  errors: number;
  p50NoneMs: number;
  p50RuleMs: number;
  ratio: number;
  firedPerSearch: number;
}

interface PreviewResult {
  name: string;
  description: string;
  liveRules: number;
  givenQueries: number;
  wallMs: number;
  elapsedMs: number;
  queries: number;
  truncated: number;
  fromJudgementSets: number;
  fromRecorded: number;
  fired: number;
  changed: number;
  judgementMetrics: number;
  clickReplaySearches: number;
  flagged: boolean;
  warnings: string[];
}

function uptimeLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
}

/** A copy of the store to start from, without its search log, keys and rules. */
function prepareDataDir(storeFrom: string | null): { dataDir: string; copiedFrom: string | null } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-rules-'));
  if (storeFrom === null || !existsSync(storeFrom)) return { dataDir, copiedFrom: null };
  const skip = /^(events\.sqlite|api-keys\.sqlite|merchandising-rules\.sqlite)/;
  cpSync(storeFrom, dataDir, { recursive: true, filter: (src) => src === storeFrom || !skip.test(path.basename(src)) });
  return { dataDir, copiedFrom: storeFrom };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = new Date();
  const uptimeAtStart = uptimeLine();
  const loadAtStart = os.loadavg();
  const productsFile = path.join(options.catalogDir, 'products.jsonl');
  const catalogHash = createHash('sha256').update(readFileSync(productsFile)).digest('hex');
  const products = readJsonl<CatalogProduct>(productsFile);
  const vocab = ruleVocabulary(products);
  const generated = generateRules(vocab, options.rules, options.seed);
  const mix = ruleMix(generated);

  // The same queries (and contexts) for every arm: a seeded sample of the demo's test text queries.
  const rng = seededRandom(options.seed + 1);
  const allTexts = [...new Map(readJsonl<{ text: string }>(path.join(options.catalogDir, 'queries/text-test.jsonl')).map((q) => [normaliseRuleText(q.text), q.text])).values()];
  for (let i = allTexts.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [allTexts[i], allTexts[j]] = [allTexts[j], allTexts[i]];
  }
  const queries: Query[] = allTexts.slice(0, options.queries).map((text) => {
    const r = rng();
    return { text, context: r < 0.5 ? null : r < 0.75 ? 'sale' : r < 0.9 ? 'home' : 'vip' };
  });

  const { dataDir, copiedFrom } = prepareDataDir(options.storeFrom);
  const keys = new ApiKeyStore(ApiKeyStore.fileIn(dataDir));
  const key = keys.create({ roles: ['merchandiser'], name: 'bench-rules' }).key;
  keys.close();
  const auth = { Authorization: `Bearer ${key}` };

  console.error(`starting the server (DATA_DIR ${dataDir}${copiedFrom ? `, a copy of ${path.relative(ROOT, copiedFrom)}` : ', empty: the catalogue is ingested first'})...`);
  const env: Record<string, string> = { DATA_DIR: dataDir, CATALOG_DIR: options.catalogDir, MODELS_DIR: options.modelsDir, RATE_LIMIT_IMAGE_SEARCH: '0' };
  const nodeArgs = options.serverCpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.serverCpuProf}`] : [];
  const server = await startServer({ env, nodeArgs, readyTimeoutMs: options.readyTimeoutMs }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const admin = (query: string, variables?: Record<string, unknown>) => graphqlQuery(server.port, query, variables, auth);
  let service: ServiceInfo | null = null;
  let ingest: IngestStatus | null = null;
  const arms: ArmResult[] = [];
  const throughput: ArmResult[] = [];
  const probes: ProbeResult[] = [];
  const previews: PreviewResult[] = [];
  const firedByArm: Record<Arm, Fired> = { none: emptyFired(), rules: emptyFired(), rulesNoPins: emptyFired() };
  const switches: { to: string; version: number; ruleCount: number; ms: number }[] = [];
  const perQuery: { none: number[]; rules: number[]; rulesNoPins: number[]; actions: Set<string> }[] = queries.map(() => ({ none: [], rules: [], rulesNoPins: [], actions: new Set<string>() }));
  let setup: { emptyRelease: number; rulesRelease: number; upsertSeconds: number; upsert: LatencySummary; publishMs: number } | null = null;
  let disabledWithoutPins = 0;
  let recording: { searches: number; distinctTexts: number; clicks: number; seconds: number } | null = null;
  try {
    ({ service, ingest } = await serviceAndIngest(server.port));
    console.error(`ready in ${server.readySeconds} s: ${service.productCount} products, ingest ${ingest.reused ? 'reused' : 'ran'}`);

    // Releases: an empty one, then the generated rules.
    const empty = (await admin(PUBLISH, { note: 'bench: no rules' })).publishRules as { version: number; ruleCount: number };
    const t0 = performance.now();
    const upsertMs = await mapLimit(generated, 4, async ({ rule }) => {
      const s = performance.now();
      await admin(UPSERT, { rule });
      return performance.now() - s;
    });
    const upsertSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const full = (await admin(PUBLISH, { note: `bench: ${generated.length} rules` })).publishRules as { version: number; ruleCount: number };
    const publishMs = performance.now() - t1;
    if (full.ruleCount !== generated.length) throw new Error(`the release holds ${full.ruleCount} rules, not ${generated.length}`);
    setup = { emptyRelease: empty.version, rulesRelease: full.version, upsertSeconds: round1(upsertSeconds), upsert: summariseLatencies(upsertMs, upsertSeconds), publishMs: Math.round(publishMs) };
    console.error(`${generated.length} rules upserted in ${upsertSeconds.toFixed(1)} s (p50 ${setup.upsert.p50Ms} ms), published in ${publishMs.toFixed(0)} ms as release ${full.version}`);

    // What-if: the same rules less their pins (upserted over the drafts, which hold the rules now).
    const lessPins = withoutPins(generated.map((g) => g.rule)).filter((r, i) => r !== generated[i].rule);
    await mapLimit(lessPins, 4, (rule) => admin(UPSERT, { rule }));
    const noPins = (await admin(PUBLISH, { note: 'bench: the rules less their pins' })).publishRules as { version: number; ruleCount: number };
    disabledWithoutPins = lessPins.filter((r) => !r.enabled).length;
    let live = noPins.version;
    const goLive = async (version: number, label: string, expectedRules: number) => {
      if (version === live) return;
      const s = performance.now();
      const r = (await admin(ROLLBACK, { version, note: `bench: ${label}` })).rollbackRules as { version: number; ruleCount: number };
      switches.push({ to: label, version: r.version, ruleCount: r.ruleCount, ms: Math.round(performance.now() - s) });
      if (r.ruleCount !== expectedRules) throw new Error(`release ${r.version} (${label}) holds ${r.ruleCount} rules, not ${expectedRules}`);
      live = version;
    };
    const switchTo = (arm: Arm) =>
      arm === 'none' ? goLive(empty.version, 'none', 0) : arm === 'rules' ? goLive(full.version, 'rules', generated.length) : goLive(noPins.version, 'rules less pins', generated.length);

    // Warm-up: one block of each arm.
    for (const arm of options.parts.includes('latency') ? ARMS : []) {
      await switchTo(arm);
      await sequentialBlock(server.port, queries, emptyFired());
    }

    // Concurrency 1, ABAB...
    const latencies: Record<Arm, number[]> = { none: [], rules: [], rulesNoPins: [] };
    const blockP50: Record<Arm, number[]> = { none: [], rules: [], rulesNoPins: [] };
    const errors: Record<Arm, { n: number; first: string | null }> = { none: { n: 0, first: null }, rules: { n: 0, first: null }, rulesNoPins: { n: 0, first: null } };
    const armSeconds: Record<Arm, number> = { none: 0, rules: 0, rulesNoPins: 0 };
    for (let round = 0; round < (options.parts.includes('latency') ? options.rounds : 0); round++) {
      for (const arm of ARMS) {
        await switchTo(arm);
        const block = await sequentialBlock(server.port, queries, firedByArm[arm]);
        const ok = block.latencies.filter(Number.isFinite);
        armSeconds[arm] += block.seconds;
        latencies[arm].push(...ok);
        blockP50[arm].push(summariseLatencies(ok, 1).p50Ms);
        errors[arm].n += block.errors;
        errors[arm].first ??= block.firstError;
        block.latencies.forEach((ms, i) => {
          if (Number.isFinite(ms)) perQuery[i][arm].push(ms);
          if (arm === 'rules') for (const a of block.actions[i]) perQuery[i].actions.add(a);
        });
      }
      console.error(`  round ${round + 1}/${options.rounds}: p50 none ${blockP50.none.at(-1)} ms, rules ${blockP50.rules.at(-1)} ms, rules less pins ${blockP50.rulesNoPins.at(-1)} ms`);
    }
    for (const arm of options.parts.includes('latency') ? ARMS : []) {
      arms.push({ arm, concurrency: 1, errors: errors[arm].n, firstError: errors[arm].first, blockP50Ms: blockP50[arm], ...summariseLatencies(latencies[arm], armSeconds[arm]) });
    }

    // Concurrency 8 (throughput), ABAB...
    if (options.parts.includes('latency') && options.c8Rounds > 0) {
      const bodies = queries.map(searchBody);
      for (let round = 0; round < options.c8Rounds; round++) {
        for (const arm of ARMS) {
          await switchTo(arm);
          const r = await runLoad(server.port, 8, bodies.length * 2, (i) => bodies[i % bodies.length]);
          throughput.push({ ...r, arm, concurrency: 8, blockP50Ms: [r.p50Ms] });
        }
      }
    }

    // Probes: one rule that fires on every search (a context condition), one action each, against no rules.
    if (options.parts.includes('probes') && options.probeRounds > 0) {
      const probeQueries = queries.slice(0, Math.min(queries.length, 100)).map((q) => ({ text: q.text, context: 'bench-probe' }));
      const alias = vocab.aliases.find((a) => a.attribute === 'category') ?? vocab.aliases[0];
      const ids = vocab.productIds;
      const brand = vocab.values.brand?.[0] ?? '';
      const probeActions: { name: string; actions: RuleDefinition['actions'] }[] = [
        { name: 'pin 1 product', actions: { pins: [{ productId: ids[Math.floor(ids.length / 2)], position: 1 }] } },
        { name: 'hide 5 products', actions: { hide: ids.slice(10, 15) } },
        { name: 'boost a brand (+0.5)', actions: { boosts: [{ attribute: 'brand', values: [brand], weight: 0.5 }] } },
        { name: 'bury a brand (-0.5)', actions: { boosts: [{ attribute: 'brand', values: [brand], weight: -0.5 }] } },
        { name: 'filter inStock', actions: { filter: { inStock: true } } },
        { name: `synonyms (${normaliseRuleText(alias.value)} = ${alias.word})`, actions: { synonyms: [{ terms: [normaliseRuleText(alias.value), alias.word], oneWay: false }] } },
        { name: 'redirect, keep results', actions: { redirect: { url: 'https://shop.example/landing/probe', keepResults: true } } },
      ];
      await switchTo('none'); // the drafts are now empty
      const versions: number[] = [];
      for (const probe of probeActions) {
        await admin(UPSERT, { rule: { id: 'bench-probe', description: probe.name, conditions: { contexts: ['bench-probe'] }, actions: probe.actions } });
        const r = (await admin(PUBLISH, { note: `bench probe: ${probe.name}` })).publishRules as { version: number };
        versions.push(r.version);
        live = r.version;
      }
      const pooled = probeActions.map(() => ({ none: [] as number[], rule: [] as number[], errors: 0, fired: emptyFired() }));
      await switchTo('none');
      await sequentialBlock(server.port, probeQueries, emptyFired());
      for (let round = 0; round < options.probeRounds; round++) {
        for (const [k, probe] of probeActions.entries()) {
          await goLive(empty.version, 'none', 0);
          const a = await sequentialBlock(server.port, probeQueries, emptyFired());
          await goLive(versions[k], `probe: ${probe.name}`, 1);
          const b = await sequentialBlock(server.port, probeQueries, pooled[k].fired);
          pooled[k].none.push(...a.latencies.filter(Number.isFinite));
          pooled[k].rule.push(...b.latencies.filter(Number.isFinite));
          pooled[k].errors += a.errors + b.errors;
        }
      }
      for (const [k, probe] of probeActions.entries()) {
        const n = summariseLatencies(pooled[k].none, 1).p50Ms;
        const r = summariseLatencies(pooled[k].rule, 1).p50Ms;
        probes.push({ name: probe.name, requests: pooled[k].rule.length, errors: pooled[k].errors, p50NoneMs: n, p50RuleMs: r, ratio: round3(r / n), firedPerSearch: round3(pooled[k].fired.fired / Math.max(1, pooled[k].fired.searches)) });
        console.error(`  probe ${probe.name}: p50 ${r} ms vs ${n} ms`);
      }
    }

    // Preview: record traffic, then preview with the rules live.
    if (options.parts.includes('preview')) {
      await switchTo('rules');
      const texts = shopperTexts(vocab, options.recorded, options.seed + 2);
      const t2 = performance.now();
      const answers = await mapLimit(texts, 4, async (text) => (await graphqlQuery(server.port, SEARCH, { input: { text, first: 20 } })).search as SearchAnswer);
      const clicks = answers
        .filter((a, i) => i % 3 === 0 && a.edges.length > 0)
        .map((a, i) => {
          const position = 1 + (i % Math.min(5, a.edges.length));
          return { searchId: a.searchId, type: 'CLICK', productId: a.edges[position - 1].node.id, position };
        });
      let clicked = 0;
      for (let i = 0; i < clicks.length; i += 1000) clicked += (await graphqlQuery(server.port, RECORD_EVENTS, { events: clicks.slice(i, i + 1000) })).recordSearchEvents.recorded as number;
      recording = { searches: texts.length, distinctTexts: new Set(texts.map(normaliseRuleText)).size, clicks: clicked, seconds: round1((performance.now() - t2) / 1000) };
      console.error(`recorded ${texts.length} searches and ${clicked} clicks`);

      const categoryWords = [...new Set((vocab.values.category ?? []).map(normaliseRuleText))];
      const boostBrand = vocab.values.brand?.[0] ?? 'x';
      const previewRule = (id: string, description: string, conditions: RuleDefinition['conditions'], actions: RuleDefinition['actions']): RuleDefinition => ({
        id,
        description,
        enabled: true,
        conditions,
        actions,
        activeFrom: null,
        activeUntil: null,
      });
      const broad = previewRule('bench-preview-broad', 'every search in the bench-preview context: boost a brand, pin a product', { contexts: ['bench-preview'] }, {
        boosts: [{ attribute: 'brand', values: [boostBrand], weight: 0.5 }],
        pins: [{ productId: vocab.productIds[0], position: 1 }],
      });
      const broadBoost = previewRule('bench-preview-boost', 'every search in the bench-preview context: boost a brand', { contexts: ['bench-preview'] }, {
        boosts: [{ attribute: 'brand', values: [boostBrand], weight: 0.5 }],
      });
      const byCategory = previewRule('bench-preview-categories', 'searches naming a category: in stock only, boost a brand', { query: { contains: categoryWords } }, {
        boosts: [{ attribute: 'brand', values: [boostBrand], weight: 0.3 }],
        filter: { inStock: true },
      });
      const given = [...new Map([...texts, ...allTexts].map((t) => [normaliseRuleText(t), t])).values()].slice(0, 1000);
      type Run = { name: string; description: string; rule: RuleDefinition; context: string | null; queries: string[] | null; live: Arm };
      const runs: Run[] = [
        { name: 'broad: boost + pin, first (cold)', description: 'context condition only, previewed in that context, no queries given; the first preview of the run reads the judgement sets', rule: broad, context: 'bench-preview', queries: null, live: 'rules' },
        { name: 'broad: boost + pin, again', description: 'the same preview once more', rule: broad, context: 'bench-preview', queries: null, live: 'rules' },
        { name: 'broad: boost only, no rules live', description: 'the broad rule without its pin, with the empty release live: no search of the preview pins', rule: broadBoost, context: 'bench-preview', queries: null, live: 'none' },
        { name: 'broad: boost + pin, no rules live', description: 'the broad rule with the empty release live', rule: broad, context: 'bench-preview', queries: null, live: 'none' },
        { name: 'contains a category word', description: `contains one of ${categoryWords.length} category words; in stock only, boost a brand; no queries given`, rule: byCategory, context: null, queries: null, live: 'rules' },
        { name: `${given.length} given queries`, description: `the category rule with \`queries\` = ${given.length} texts (the recorded ones first)`, rule: byCategory, context: null, queries: given, live: 'rules' },
      ];
      for (const run of runs) {
        await switchTo(run.live);
        const s = performance.now();
        const p = (await admin(PREVIEW, { rule: run.rule, context: run.context, queries: run.queries })).previewRule as {
          truncated: number;
          elapsedMs: number;
          flagged: boolean;
          warnings: string[];
          queries: { sources: string[]; fired: boolean; changed: boolean }[];
          judgements: unknown[];
          clickReplay: { searches: number };
        };
        const wallMs = Math.round(performance.now() - s);
        const result: PreviewResult = {
          name: run.name,
          description: run.description,
          liveRules: run.live === 'rules' ? generated.length : 0,
          givenQueries: run.queries?.length ?? 0,
          wallMs,
          elapsedMs: p.elapsedMs,
          queries: p.queries.length,
          truncated: p.truncated,
          fromJudgementSets: p.queries.filter((q) => q.sources.includes('JUDGEMENT_SET')).length,
          fromRecorded: p.queries.filter((q) => q.sources.includes('RECORDED')).length,
          fired: p.queries.filter((q) => q.fired).length,
          changed: p.queries.filter((q) => q.changed).length,
          judgementMetrics: p.judgements.length,
          clickReplaySearches: p.clickReplay.searches,
          flagged: p.flagged,
          warnings: p.warnings,
        };
        previews.push(result);
        console.error(`  preview ${run.name}: ${result.queries} queries (+${result.truncated} truncated) in ${(wallMs / 1000).toFixed(2)} s (server ${result.elapsedMs} ms)`);
      }
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  // ---- report ---------------------------------------------------------------------------------
  const none = arms.find((a) => a.arm === 'none');
  const withRules = arms.find((a) => a.arm === 'rules');
  const ratio = none && withRules ? round3(withRules.p50Ms / none.p50Ms) : NaN;
  const roundRatios = none && withRules ? withRules.blockP50Ms.map((r, i) => round3(r / none.blockP50Ms[i])) : [];
  const breakdown = actionBreakdown(perQuery.map((q) => ({ none: q.none, rules: q.rules, actions: [...q.actions] })));
  const lessPinsArm = arms.find((a) => a.arm === 'rulesNoPins');
  const ratioLessPins = none && lessPinsArm ? round3(lessPinsArm.p50Ms / none.p50Ms) : NaN;
  const firedLessPins = firedByArm.rulesNoPins;
  const meanFiredLessPins = firedLessPins.searches ? Math.round((firedLessPins.fired / firedLessPins.searches) * 100) / 100 : 0;
  const firedRules = firedByArm.rules;
  const meanFired = firedRules.searches ? Math.round((firedRules.fired / firedRules.searches) * 100) / 100 : 0;
  const overThousand = previews.filter((p) => p.givenQueries === 0 && p.queries >= 1000);
  const slowestPreview = overThousand.length ? Math.max(...overThousand.map((p) => p.wallMs)) : NaN;
  const givenPreview = previews.find((p) => p.givenQueries > 0);
  const models = service?.models.map((m) => `${m.name}@${m.version}`).join(', ') ?? 'unknown';
  const manifestFile = path.join(options.catalogDir, 'manifest.json');
  const manifest = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { dataHash?: Record<string, string> }) : {};
  const report = {
    benchmark: 'rules',
    date: started.toISOString(),
    command: benchCommand('bench:rules'),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      uptimeAtStart,
      uptimeAtEnd: uptimeLine(),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg(),
    },
    service,
    ingest,
    catalog: { dir: path.relative(ROOT, options.catalogDir) || '.', productsSha256: catalogHash, dataHash: manifest.dataHash ?? null },
    modelsDir: path.relative(ROOT, options.modelsDir) || '.',
    store: copiedFrom ? `copy of ${path.relative(ROOT, copiedFrom)} (search log, keys and rules left out)` : 'empty: ingested by this run',
    settings: { ...options, catalogDir: undefined, modelsDir: undefined, storeFrom: undefined, pageSize: 20 },
    rules: { count: generated.length, mix, setup, switches: { count: switches.length, maxMs: Math.max(0, ...switches.map((s) => s.ms)), all: switches } },
    fired: { ...firedByArm, meanPerSearchWithRules: meanFired },
    latency: arms,
    latencyByFiredAction: breakdown,
    throughput,
    probes,
    ratio: { p50RulesOverNone: ratio, perRound: roundRatios, bound: 1.2, met: ratio <= 1.2, whatIfLessPins: { p50OverNone: ratioLessPins, disabledRules: disabledWithoutPins, firedPerSearch: meanFiredLessPins } },
    recording,
    previews,
    previewTarget: { boundMs: 10_000, slowestOverThousandMs: slowestPreview, met: slowestPreview <= 10_000 },
  };

  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
  const armLabel = (a: Arm) => (a === 'none' ? 'none' : a === 'rules' ? `${generated.length} rules` : `${generated.length} rules less their pins (what-if)`);
  const firedPer = (arm: Arm) => (firedByArm[arm].searches ? (firedByArm[arm].fired / firedByArm[arm].searches).toFixed(2) : 'n/a');
  const c8Rows = ARMS.flatMap((arm) => {
    const rows = throughput.filter((t) => t.arm === arm);
    if (rows.length === 0) return [];
    const requests = rows.reduce((s, r) => s + r.requests, 0);
    const seconds = rows.reduce((s, r) => s + r.requests / r.throughputRps, 0);
    const p50 = [...rows.map((r) => r.p50Ms)].sort((a, b) => a - b)[Math.floor((rows.length - 1) / 2)];
    const p95 = Math.max(...rows.map((r) => r.p95Ms));
    return [[armLabel(arm), '8', String(requests), String(rows.reduce((s, r) => s + r.errors, 0)), f2(p50), f2(p95), 'n/a', f1(requests / seconds), firedPer(arm)]];
  });
  const latencyTable = markdownTable(
    ['rules live', 'concurrency', 'requests', 'errors', 'p50 ms', 'p95 ms', 'mean ms', 'req/s', 'rules fired / search'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    [...arms.map((a) => [armLabel(a.arm), '1', String(a.requests), String(a.errors), f2(a.p50Ms), f2(a.p95Ms), f2(a.meanMs), f1(a.throughputRps), firedPer(a.arm)]), ...c8Rows],
  );
  const breakdownTable = markdownTable(
    ['searches where a fired rule did', 'queries', 'p50 ms, none', `p50 ms, ${generated.length} rules`, 'ratio'],
    ['l', 'r', 'r', 'r', 'r'],
    breakdown.map((b) => [b.group, String(b.queries), f2(b.p50NoneMs), f2(b.p50RulesMs), `${b.ratio}x`]),
  );
  const probeTable = markdownTable(
    ['one rule firing on every search', 'requests', 'p50 ms, none', 'p50 ms, the rule', 'ratio'],
    ['l', 'r', 'r', 'r', 'r'],
    probes.map((p) => [p.name, String(p.requests), f2(p.p50NoneMs), f2(p.p50RuleMs), `${p.ratio}x`]),
  );
  const previewTable = markdownTable(
    ['preview', 'rules live', 'queries previewed', 'truncated', 'judged', 'recorded', 'changed', 'wall s', 'server elapsedMs'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    previews.map((p) => [p.name, String(p.liveRules), String(p.queries), String(p.truncated), String(p.fromJudgementSets), String(p.fromRecorded), String(p.changed), (p.wallMs / 1000).toFixed(2), String(p.elapsedMs)]),
  );
  const targets = markdownTable(
    ['target', 'measured', 'met'],
    ['l', 'r', 'l'],
    [
      [`text search p50 with ${generated.length} rules <= 1.2x without (c1, side by side)`, `${ratio}x (${f2(withRules?.p50Ms ?? NaN)} vs ${f2(none?.p50Ms ?? NaN)} ms)`, ratio <= 1.2 ? 'yes' : 'no'],
      ...(previews.length
        ? [['preview over 1,000 matching queries (none given) <= 10 s', Number.isFinite(slowestPreview) ? `${(slowestPreview / 1000).toFixed(2)} s (slowest)` : 'n/a', slowestPreview <= 10_000 ? 'yes' : 'no']]
        : []),
      ...(givenPreview ? [[`preview with ${givenPreview.givenQueries} given queries <= 10 s`, `${(givenPreview.wallMs / 1000).toFixed(2)} s`, givenPreview.wallMs <= 10_000 ? 'yes' : 'no']] : []),
    ],
  );
  const mixLine = Object.entries(mix)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const actionLine = Object.entries(firedRules.actions)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / Math.max(1, firedRules.searches)).toFixed(2)}`)
    .join(', ');
  const markdown = [
    `Command: \`${report.command}\` (${started.toISOString().slice(0, 16).replace('T', ' ')} UTC).  `,
    `Server: \`src/main.ts\` on 127.0.0.1, ${service?.store ?? '?'} store (${report.store}), index ${service?.index ?? '?'}, models ${models}, everything else default; catalogue \`${report.catalog.dir}\` (${service?.productCount ?? '?'} products, products.jsonl sha256 \`${catalogHash.slice(0, 16)}\`, ingest catalogue hash \`${ingest?.catalogHash ?? '?'}\`); ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${process.version}; \`uptime\` at the start: ${uptimeAtStart}; at the end: ${report.machine.uptimeAtEnd}.  `,
    `Rules: ${generated.length} generated (seed ${options.seed}) from the catalogue's vocabulary: ${mixLine}. Upserted 4 at a time in ${setup?.upsertSeconds ?? '?'} s (p50 ${setup?.upsert.p50Ms ?? '?'} ms each), published in ${setup?.publishMs ?? '?'} ms; switching releases (rollbackRules) took at most ${report.rules.switches.maxMs} ms.  `,
    `Searches: ${queries.length} text queries of \`queries/text-test.jsonl\` (seed ${options.seed}), half with a storefront context, page size 20, the same list for every arm; ${options.rounds} rounds of one block per arm at concurrency 1 (none, rules, rules less pins, again and again, after one warm-up block each)${options.c8Rounds ? `, then ${options.c8Rounds} rounds of ${queries.length * 2} requests per arm at concurrency 8 (p50 of the rounds' p50s, highest p95)` : ''}. With the rules, ${meanFired} rules fired per search on average (at most ${firedRules.maxFired}; ${firedRules.withAny} of ${firedRules.searches} searches had one or more; fired rules per search by action: ${actionLine}; text rewritten in ${firedRules.rewritten}, redirect in ${firedRules.redirects}).`,
    '',
    latencyTable,
    '',
    `p50 with / without rules: ${ratio}x; per round: ${roundRatios.map((r) => `${r}x`).join(', ')}. What-if, the same rules less their pins (${disabledWithoutPins} pin-only rules disabled): ${ratioLessPins}x, ${meanFiredLessPins} rules fired per search.`,
    '',
    'By what the rules did to a query (its median over the rounds in each arm; a query counts in every group of an action that fired for it):',
    '',
    breakdownTable,
    ...(probes.length ? ['', `Probes: one rule without query condition (context \`bench-probe\`, sent with every query), one action each, against no rules; ${Math.min(queries.length, 100)} queries, ${options.probeRounds} rounds of alternating blocks at concurrency 1:`, '', probeTable] : []),
    ...(previews.length
      ? ['', `Preview: ${recording?.searches ?? 0} distinct text searches (first pages) and ${recording?.clicks ?? 0} clicks recorded first; \`previewRule\` over HTTP (wall time) and its \`elapsedMs\`.`, '', previewTable]
      : []),
    '',
    targets,
  ].join('\n');
  writeResults('rules', report, markdown);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
