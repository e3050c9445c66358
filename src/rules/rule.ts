/**
 * Merchandising rules: what a merchandiser states about searches, independent of any store.
 *
 * A rule has conditions (all that are given must hold; a rule without conditions applies to every
 * search) and actions. Rules are written as drafts and go live in releases (rule-book.service.ts).
 *
 * Conditions
 * - `query.is`: the query text, normalised (case, accents, spacing; query-understanding's folding),
 *   equals one of these texts;
 * - `query.contains`: the normalised text contains one of these phrases as whole words;
 * - `query.matches`: a regular expression over the normalised text (checked for catastrophic
 *   backtracking before it is accepted);
 * - `query.attributes`: query understanding recognised every one of these attribute values as
 *   wanted (INCLUDE) in the text or modifier;
 * - `modes`: the search mode is one of these;
 * - `contexts`: the storefront's context string (page, segment) is one of these;
 * - `filters`: the client's filter asks for every one of these attribute values.
 *
 * Actions
 * - query stage (before retrieval): `synonyms` (two-way: any term brings in the others; one-way:
 *   the first term brings in the rest), `replacements`, `ignore` (terms dropped from the text),
 *   `filter` (added to the client's), `hide` (products never returned), `redirect` (a URL returned
 *   with, or instead of, results);
 * - ranking stage (after retrieval): `boosts` (products with an attribute value move up by a weight
 *   in (0, 1], or down with a weight in [-1, 0); rule-ranking.ts), `pins` (a product at a position).
 */
import type { FilterInput, SearchMode } from '../search/search.types';

export interface RuleAttributeValue {
  name: string;
  value: string;
}

export interface RuleQueryCondition {
  is?: string[];
  contains?: string[];
  matches?: string | null;
  attributes?: RuleAttributeValue[];
}

export interface RuleConditions {
  query?: RuleQueryCondition | null;
  modes?: SearchMode[];
  contexts?: string[];
  filters?: RuleAttributeValue[];
}

export interface SynonymAction {
  /** Two or more terms (words or phrases). */
  terms: string[];
  /** One-way: the first term brings in the others, not the reverse. */
  oneWay: boolean;
}

export interface ReplacementAction {
  term: string;
  with: string;
}

export interface PinAction {
  productId: string;
  /** 1-based position in the ranking. */
  position: number;
}

export interface BoostAction {
  attribute: string;
  values: string[];
  /** -1 to 1, not 0: positive moves matching products up (1: above every product without the value), negative down (-1: below every one). */
  weight: number;
}

export interface RedirectAction {
  url: string;
  /** Keep returning results beside the URL (false: the connection holds no results). */
  keepResults: boolean;
}

export interface RuleActions {
  synonyms?: SynonymAction[];
  replacements?: ReplacementAction[];
  ignore?: string[];
  pins?: PinAction[];
  hide?: string[];
  boosts?: BoostAction[];
  filter?: FilterInput | null;
  redirect?: RedirectAction | null;
}

/** A rule as a merchandiser writes it. */
export interface RuleDefinition {
  /** 1 to 64 characters: letters, digits, '-', '_' and '.', starting with a letter or digit. */
  id: string;
  description: string;
  enabled: boolean;
  conditions: RuleConditions;
  actions: RuleActions;
  /** ISO 8601 instants bounding when the rule applies; null for open ends. */
  activeFrom: string | null;
  activeUntil: string | null;
}

/** The working copy of a rule: its definition with the bookkeeping of drafts. */
export interface RuleDraft {
  rule: RuleDefinition;
  /** Counts every change of this rule's draft, from 1. */
  revision: number;
  /** Deleted in the draft; it leaves the live rules at the next release. */
  deleted: boolean;
  updatedAt: string;
  updatedBy: string;
}

/** A set of rules that went live together. */
export interface RuleRelease {
  /** 1, 2, 3, ... in the order of publication. */
  version: number;
  rules: RuleDefinition[];
  publishedAt: string;
  publishedBy: string;
  note: string;
  /** The release whose rules this one restored (a rollback), or null. */
  restoredFrom: number | null;
}

export type RuleAuditAction = 'UPSERT' | 'DELETE' | 'PUBLISH' | 'ROLLBACK';

/** One change, kept forever: who did what, when, and the rule before and after. */
export interface RuleAuditEntry {
  /** Unique id of the entry (time-ordered). */
  id: string;
  at: string;
  actor: string;
  action: RuleAuditAction;
  /** The rule changed (UPSERT, DELETE); null for PUBLISH and ROLLBACK. */
  ruleId: string | null;
  before: RuleDefinition | null;
  after: RuleDefinition | null;
  /** The release made (PUBLISH, ROLLBACK). */
  releaseVersion: number | null;
  note: string;
}
