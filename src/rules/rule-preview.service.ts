/**
 * Preview of a rule before it goes live: which searches it changes and what that does to the
 * ranking metrics, measured the way evaluations measure them.
 *
 * The queries are the ones given, or else every judgement-set text query and every recorded text
 * search (first pages, most frequent first) whose text the rule's conditions match, up to
 * `maxQueries`. Each runs twice through the search service, nothing recorded: with the live rules
 * ("before") and with the live rules plus this rule, or this rule replacing the live rule of the
 * same id ("after"). The answer holds:
 *
 * - the two rankings side by side for each query;
 * - on judgement-set queries, the mean of each metric before and after, with the paired bootstrap
 *   interval of the difference and a paired randomisation test (src/evaluation/statistics.ts, the
 *   evaluation engine's statistics);
 * - on recorded searches with clicks (click replay), where the clicked products rank before and
 *   after: the reciprocal rank of the clicked products (0 beyond the preview depth), compared the
 *   same way, and how many clicked products moved up, down, out of or into the ranking.
 *
 * A rule is flagged when any comparison shows a loss with p < 0.05. The intervals and tests run
 * through a StatisticsRunner: in the server on a worker thread, as evaluations' do, so a preview
 * over 1,000 queries does not hold up other requests while they run. Recorded searches are replayed
 * without the storefront context they were made in (the search log does not keep it): the preview's
 * `context` stands for all of them.
 */
import { InvalidInputError } from '../domain/errors';
import { computeMetric, parseMetric, type Judgements, type MetricSpec } from '../evaluation/metrics';
import type { PairedTestResult } from '../evaluation/statistics';
import { inProcessStatistics, type StatisticsRunner } from '../evaluation/statistics-task';
import type { JudgementSet } from '../evaluation/evaluation-run';
import type { StoredSearch, StoredSearchEvent, TimeRange } from '../events/event-log';
import type { SearchQuery, SearchResult } from '../search/search.types';
import type { SearchRun } from '../search/search.service';
import type { RuleDefinition } from './rule';
import type { RuleSet } from './rule-set';
import { normaliseRuleText } from './rule-text';
import { checkContext } from './rule-validation';

export type PreviewQuerySource = 'GIVEN' | 'JUDGEMENT_SET' | 'RECORDED';

export interface RulePreviewRequest {
  rule: RuleDefinition;
  /** Texts to preview on; default: the judgement-set and recorded queries the rule matches. */
  queries?: string[] | null;
  context?: string | null;
  /** Results compared per query (default 20). */
  depth?: number | null;
}

export interface PreviewedQuery {
  text: string;
  sources: PreviewQuerySource[];
  /** Times the text was searched in the recorded traffic read. */
  recordedSearches: number;
  before: string[];
  after: string[];
  /** Whether the rule fired for it. */
  fired: boolean;
  changed: boolean;
  /** Products that entered the top `depth`, and that left it. */
  entered: string[];
  left: string[];
  redirect: string | null;
}

export interface MetricComparison {
  metric: string;
  before: number;
  after: number;
  difference: number;
  lower: number;
  upper: number;
  pValue: number;
  queries: number;
  /** A loss with p < 0.05. */
  significantLoss: boolean;
  significantGain: boolean;
}

export interface ClickReplay {
  /** Recorded searches with at least one click that the rule matches. */
  searches: number;
  clicks: number;
  /** Mean reciprocal rank of the clicked products, before and after. */
  reciprocalRank: MetricComparison | null;
  movedUp: number;
  movedDown: number;
  /** Clicked products that left the top `depth`, and that came into it. */
  droppedOut: number;
  broughtIn: number;
}

export interface RulePreview {
  rule: RuleDefinition;
  depth: number;
  queries: PreviewedQuery[];
  /** Queries the rule's conditions match beyond `maxQueries`, not previewed. */
  truncated: number;
  judgements: MetricComparison[];
  judgementSets: string[];
  clickReplay: ClickReplay;
  flagged: boolean;
  warnings: string[];
  elapsedMs: number;
}

export interface JudgementSource {
  setNames(): string[];
  load(name: string): Promise<JudgementSet>;
}

export interface RecordedTraffic {
  searches(range?: TimeRange): StoredSearch[];
  events(range?: TimeRange): StoredSearchEvent[];
}

export interface RulePreviewDeps {
  rules: {
    check(rule: RuleDefinition): Promise<RuleDefinition>;
    current(): RuleSet;
  };
  search: {
    search(query: SearchQuery, run?: SearchRun): Promise<SearchResult>;
    matchingRules(query: { text: string; context: string | null }, rules: RuleSet): RuleDefinition[];
  };
  judgements?: JudgementSource;
  traffic?: RecordedTraffic;
  /** Where bootstrap intervals and paired tests run (the server: a worker thread, as evaluations); default in process. */
  statistics?: StatisticsRunner;
  options?: Partial<RulePreviewOptions>;
}

export interface RulePreviewOptions {
  maxQueries: number;
  maxGivenQueries: number;
  defaultDepth: number;
  maxDepth: number;
  /** Searches run at once (the text tower's micro-batcher batches them). */
  concurrency: number;
  /** Days of recorded traffic read. */
  trafficDays: number;
  metrics: string[];
  seed: number;
  bootstrapSamples: number;
  permutationSamples: number;
}

export const DEFAULT_RULE_PREVIEW_OPTIONS: RulePreviewOptions = {
  maxQueries: 1000,
  maxGivenQueries: 1000,
  defaultDepth: 20,
  maxDepth: 100,
  concurrency: 8,
  trafficDays: 30,
  metrics: ['ndcg@10', 'mrr', 'p@10'],
  seed: 42,
  // as evaluations default to
  bootstrapSamples: 1000,
  permutationSamples: 10000,
};

const SIGNIFICANCE = 0.05;

interface Candidate {
  text: string;
  sources: Set<PreviewQuerySource>;
  recorded: number;
  judgements: { set: string; judgements: Judgements }[];
  clicks: { productId: string }[][];
}

export class RulePreviewService {
  private readonly options: RulePreviewOptions;
  private readonly statistics: StatisticsRunner;

  constructor(private readonly deps: RulePreviewDeps) {
    this.options = { ...DEFAULT_RULE_PREVIEW_OPTIONS, ...deps.options };
    this.statistics = deps.statistics ?? inProcessStatistics;
  }

  async preview(request: RulePreviewRequest): Promise<RulePreview> {
    const started = performance.now();
    const rule = await this.deps.rules.check(request.rule);
    const context = request.context == null ? null : checkContext(request.context, 'context');
    const depth = request.depth ?? this.options.defaultDepth;
    if (!Number.isInteger(depth) || depth < 1 || depth > this.options.maxDepth) {
      throw new InvalidInputError(`depth must be a whole number from 1 to ${this.options.maxDepth}, got ${depth}`, { argument: 'depth' });
    }
    const before = this.deps.rules.current();
    const after = before.with(rule);
    const alone = before.only({ ...rule, enabled: true, activeFrom: null, activeUntil: null });
    const warnings: string[] = [];
    if (!rule.enabled) warnings.push('the rule is disabled: "after" is the live rules without it');
    if (rule.activeFrom || rule.activeUntil) warnings.push('the preview applies the rule as if its active window were now');

    const { candidates, truncated, judgementSets } = await this.candidates(request.queries, alone, context, warnings);
    const afterSet = rule.enabled ? timeless(after, rule) : before.without(rule.id);
    const rows = await this.runAll(candidates, before, afterSet, context, depth, rule.enabled ? rule.id : null);

    // Per-query values first; their tests in one statistics task (on a worker thread in the server).
    const metrics = this.judgedValues(rows, depth);
    const replay = this.replayClicks(rows);
    const compared = [...metrics, ...(replay.values ? [{ metric: 'clicked reciprocal rank', ...replay.values }] : [])];
    const tests = await this.statistics({
      settings: { bootstrapSamples: this.options.bootstrapSamples, permutationSamples: this.options.permutationSamples, seed: this.options.seed, confidenceLevel: 0.95 },
      intervals: [],
      pairs: compared.map((c) => ({ a: c.before, b: c.after })),
    });
    const comparisons = compared.map((c, i) => comparison(c.metric, c.before, c.after, tests.pairs[i]));
    const judgements = comparisons.slice(0, metrics.length);
    const clickReplay: ClickReplay = { ...replay.counts, reciprocalRank: replay.values ? comparisons[metrics.length] : null };
    if (candidates.length === 0) warnings.push('no judgement-set or recorded query matches the rule\'s conditions; give queries to preview it on');
    return {
      rule,
      depth,
      queries: rows.map((r) => r.row),
      truncated,
      judgements,
      judgementSets,
      clickReplay,
      flagged: comparisons.some((c) => c.significantLoss),
      warnings,
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  private async candidates(given: string[] | null | undefined, alone: RuleSet, context: string | null, warnings: string[]) {
    const byText = new Map<string, Candidate>();
    const add = (text: string, source: PreviewQuerySource): Candidate => {
      const key = normaliseRuleText(text);
      let c = byText.get(key);
      if (!c) {
        c = { text: text.trim(), sources: new Set(), recorded: 0, judgements: [], clicks: [] };
        byText.set(key, c);
      }
      c.sources.add(source);
      return c;
    };
    const judgementSets: string[] = [];
    if (given?.length) {
      if (given.length > this.options.maxGivenQueries) throw new InvalidInputError(`queries has ${given.length} texts; the limit is ${this.options.maxGivenQueries}`, { argument: 'queries' });
      for (const [i, q] of given.entries()) {
        if (normaliseRuleText(q ?? '') === '') throw new InvalidInputError(`queries[${i}] has no letters or digits`, { argument: 'queries' });
        add(q, 'GIVEN');
      }
    }
    const matches = (text: string) => this.deps.search.matchingRules({ text, context }, alone).length > 0;
    // Judged and recorded queries join given ones (their metrics count) when the rule matches them.
    for (const set of await this.textSets(warnings)) {
      judgementSets.push(set.name);
      for (const q of set.queries) {
        const text = q.text?.trim();
        const judged = set.qrels.get(q.id);
        if (!text || !judged || judged.size === 0) continue;
        const key = normaliseRuleText(text);
        const existing = byText.get(key);
        if (!existing && (given?.length || !matches(text))) continue;
        const c = existing ?? add(text, 'JUDGEMENT_SET');
        c.sources.add('JUDGEMENT_SET');
        c.judgements.push({ set: set.name, judgements: judged });
      }
    }
    for (const r of this.recorded(warnings)) {
      const key = normaliseRuleText(r.text);
      const existing = byText.get(key);
      if (!existing && (given?.length || !matches(r.text))) continue;
      const c = existing ?? add(r.text, 'RECORDED');
      c.sources.add('RECORDED');
      c.recorded += 1;
      if (r.clicks.length) c.clicks.push(r.clicks);
    }
    // Given queries in their order; else judged ones first, then the most searched.
    const all = [...byText.values()];
    if (!given?.length) all.sort((a, b) => b.judgements.length - a.judgements.length || b.recorded - a.recorded || (a.text < b.text ? -1 : 1));
    const kept = all.slice(0, this.options.maxQueries);
    return { candidates: kept, truncated: all.length - kept.length, judgementSets };
  }

  /** Judgement sets whose queries are texts alone. */
  private async textSets(warnings: string[]): Promise<JudgementSet[]> {
    const source = this.deps.judgements;
    if (!source) return [];
    const out: JudgementSet[] = [];
    for (const name of source.setNames()) {
      try {
        const set = await source.load(name);
        if (set.queries.length && set.queries.every((q) => q.text && !q.imagePath && !q.referenceId && !q.modifier)) out.push(set);
      } catch (e) {
        warnings.push(`judgement set ${name} could not be read: ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** Recorded first pages of text searches, each with its clicks. */
  private recorded(warnings: string[]): { text: string; clicks: { productId: string }[] }[] {
    const traffic = this.deps.traffic;
    if (!traffic) return [];
    const from = new Date(Date.now() - this.options.trafficDays * 86_400_000).toISOString();
    try {
      const searches = traffic.searches({ from }).filter((s) => s.mode === 'TEXT' && s.offset === 0 && s.text);
      const clicks = new Map<string, { productId: string }[]>();
      for (const e of traffic.events({ from })) {
        if (e.type !== 'CLICK') continue;
        const list = clicks.get(e.searchId) ?? [];
        if (!list.some((c) => c.productId === e.productId)) list.push({ productId: e.productId });
        clicks.set(e.searchId, list);
      }
      return searches.map((s) => ({ text: s.text as string, clicks: clicks.get(s.searchId) ?? [] }));
    } catch (e) {
      warnings.push(`recorded searches could not be read: ${(e as Error).message}`);
      return [];
    }
  }

  private async runAll(candidates: Candidate[], before: RuleSet, after: RuleSet, context: string | null, depth: number, ruleId: string | null) {
    const rows: { candidate: Candidate; row: PreviewedQuery }[] = new Array(candidates.length);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= candidates.length) return;
        const c = candidates[i];
        const query: SearchQuery = { text: c.text, first: depth, context };
        const [b, a] = await Promise.all([
          this.deps.search.search(query, { rules: before, record: false }),
          this.deps.search.search(query, { rules: after, record: false }),
        ]);
        const beforeIds = b.hits.map((h) => h.product.id);
        const afterIds = a.hits.map((h) => h.product.id);
        const inBefore = new Set(beforeIds);
        const inAfter = new Set(afterIds);
        const redirect = (a.rules ?? []).find((r) => r.redirect)?.redirect?.url ?? null;
        rows[i] = {
          candidate: c,
          row: {
            text: c.text,
            sources: [...c.sources],
            recordedSearches: c.recorded,
            before: beforeIds,
            after: afterIds,
            // the previewed rule fired on the "after" side (a disabled rule never does)
            fired: ruleId !== null && (a.rules ?? []).some((r) => r.id === ruleId),
            changed: beforeIds.length !== afterIds.length || beforeIds.some((id, k) => afterIds[k] !== id) || redirect !== null,
            entered: afterIds.filter((id) => !inBefore.has(id)),
            left: beforeIds.filter((id) => !inAfter.has(id)),
            redirect,
          },
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, candidates.length) }, worker));
    return rows;
  }

  /** Each metric's per-query values before and after, over the judged queries. */
  private judgedValues(rows: { candidate: Candidate; row: PreviewedQuery }[], depth: number): { metric: string; before: number[]; after: number[] }[] {
    const specs: MetricSpec[] = this.options.metrics.map(parseMetric);
    const judged = rows.flatMap((r) => r.candidate.judgements.map((j) => ({ row: r.row, judgements: j.judgements })));
    if (judged.length === 0) return [];
    return specs.map((spec, i) => ({
      metric: spec.kind === 'mrr' ? `mrr@${depth}` : this.options.metrics[i],
      before: judged.map((j) => computeMetric(spec, j.row.before, j.judgements)),
      after: judged.map((j) => computeMetric(spec, j.row.after, j.judgements)),
    }));
  }

  /** Where clicked products rank before and after: counts, and per search the mean reciprocal rank of its clicks. */
  private replayClicks(rows: { candidate: Candidate; row: PreviewedQuery }[]): {
    counts: Omit<ClickReplay, 'reciprocalRank'>;
    values: { before: number[]; after: number[] } | null;
  } {
    const rrBefore: number[] = [];
    const rrAfter: number[] = [];
    let clicks = 0;
    let movedUp = 0;
    let movedDown = 0;
    let droppedOut = 0;
    let broughtIn = 0;
    for (const { candidate, row } of rows) {
      for (const clicked of candidate.clicks) {
        let sb = 0;
        let sa = 0;
        for (const { productId } of clicked) {
          clicks += 1;
          const pb = row.before.indexOf(productId);
          const pa = row.after.indexOf(productId);
          sb += pb < 0 ? 0 : 1 / (pb + 1);
          sa += pa < 0 ? 0 : 1 / (pa + 1);
          if (pb >= 0 && pa >= 0 && pa < pb) movedUp += 1;
          if (pb >= 0 && pa >= 0 && pa > pb) movedDown += 1;
          if (pb >= 0 && pa < 0) droppedOut += 1;
          if (pb < 0 && pa >= 0) broughtIn += 1;
        }
        rrBefore.push(sb / clicked.length);
        rrAfter.push(sa / clicked.length);
      }
    }
    return {
      counts: { searches: rrBefore.length, clicks, movedUp, movedDown, droppedOut, broughtIn },
      values: rrBefore.length ? { before: rrBefore, after: rrAfter } : null,
    };
  }
}

function comparison(metric: string, before: number[], after: number[], t: PairedTestResult): MetricComparison {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const difference = t.meanDifference;
  return {
    metric,
    before: mean(before),
    after: mean(after),
    difference,
    lower: t.differenceCI.lower,
    upper: t.differenceCI.upper,
    pValue: t.permutationP,
    queries: before.length,
    significantLoss: difference < 0 && t.permutationP < SIGNIFICANCE,
    significantGain: difference > 0 && t.permutationP < SIGNIFICANCE,
  };
}

/** The set with `rule` applied whatever its active window says (a preview shows what it would do). */
function timeless(set: RuleSet, rule: RuleDefinition): RuleSet {
  return set.with({ ...rule, activeFrom: null, activeUntil: null });
}
