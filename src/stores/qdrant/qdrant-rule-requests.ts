/**
 * Pure builders of the requests the Qdrant rule store (qdrant-rule.store.ts) sends, and pure readers
 * of Qdrant's answers.
 *
 * Rules live in a payload-only collection `<products collection>-rules` (created with `vectors: {}`;
 * its points carry `vector: {}`, an empty map of named vectors, which Qdrant accepts for such a
 * collection, whereas an empty array would address a default vector the collection does not have).
 * Each document is one point whose id is a name-based UUID of `<kind>:<key>`:
 *
 *   kind     key             payload besides kind, key and doc
 *   draft    the rule id     -
 *   release  the version     version (integer), summary (RuleReleaseSummary), writer (nonce of the publisher)
 *   audit    the entry id    rule_id (null for PUBLISH and ROLLBACK), at, seq (sortable insertion key)
 *
 * `doc` is the domain object as JSON text, so it comes back exactly as written. `kind` and
 * `rule_id` have keyword indexes; every read scrolls one kind (all pages) and sorts in memory.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { DomainError, InvalidInputError } from '../../domain/errors';
import type { RuleAuditEntry, RuleDraft, RuleRelease } from '../../rules/rule';
import type { RuleReleaseSummary } from '../../rules/rule-store';
import { uuidV5 } from './point-id';

/** Namespace of rule documents' point ids: uuidv5(NAMESPACE_URL, 'urn:fashion-search:merchandising-rules'). */
export const RULE_ID_NAMESPACE = '019d1602-c0b2-5087-b736-a5f17f799a59';

export const RULES_COLLECTION_SUFFIX = '-rules';
const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** Points per scroll page. */
export const RULE_SCROLL_PAGE = 256;

export type RuleDocKind = 'draft' | 'release' | 'audit';
export type RulePoint = Schemas['PointStruct'];
export type RuleFieldIndex = Schemas['CreateFieldIndex'] & { field_schema: Schemas['PayloadFieldSchema'] };
type QdrantFilter = Schemas['Filter'];

/**
 * The rules' collection beside the products' collection `collection`. Give the configured name
 * (which may be an alias that gallery rebuilds move), not a rebuild's own collection, so rules
 * outlive rebuilds.
 */
export function rulesCollectionName(collection: string): string {
  const name = `${collection}${RULES_COLLECTION_SUFFIX}`;
  if (!COLLECTION_NAME.test(name)) {
    throw new InvalidInputError(
      `the rules collection name ${JSON.stringify(name)} (products collection + "${RULES_COLLECTION_SUFFIX}") is not a valid Qdrant collection name: ` +
        `use 1-249 letters, digits, '_', '-' or '.' for the products collection, starting with a letter or digit`,
    );
  }
  return name;
}

export function rulePointId(kind: RuleDocKind, key: string): string {
  return uuidV5(`${kind}:${key}`, RULE_ID_NAMESPACE);
}

// ---------------------------------------------------------------- collection and indexes

/** Payload only: no dense or sparse vectors; one shard, so that one request is applied as one operation. */
export function buildRulesCollection(): Schemas['CreateCollection'] {
  return { vectors: {}, shard_number: 1 };
}

export function buildRuleIndexes(): RuleFieldIndex[] {
  return [
    { field_name: 'kind', field_schema: 'keyword' },
    { field_name: 'rule_id', field_schema: 'keyword' },
  ];
}

// ---------------------------------------------------------------- points

export function draftPoint(draft: RuleDraft): RulePoint {
  const id = draft.rule.id;
  return { id: rulePointId('draft', id), vector: {}, payload: { kind: 'draft', key: id, doc: JSON.stringify(draft) } };
}

export function releaseSummary(release: RuleRelease): RuleReleaseSummary {
  return {
    version: release.version,
    ruleCount: release.rules.length,
    publishedAt: release.publishedAt,
    publishedBy: release.publishedBy,
    note: release.note,
    restoredFrom: release.restoredFrom,
  };
}

/** `writer` is a nonce of this publication: reading it back tells whether this write won. */
export function releasePoint(release: RuleRelease, writer: string): RulePoint {
  const key = String(release.version);
  return {
    id: rulePointId('release', key),
    vector: {},
    payload: {
      kind: 'release',
      key,
      version: release.version,
      summary: { ...releaseSummary(release) },
      writer,
      doc: JSON.stringify(release),
    },
  };
}

export function auditPoint(entry: RuleAuditEntry, seq: string): RulePoint {
  return {
    id: rulePointId('audit', entry.id),
    vector: {},
    payload: { kind: 'audit', key: entry.id, rule_id: entry.ruleId, at: entry.at, seq, doc: JSON.stringify(entry) },
  };
}

/** Within one write, a later document with the same key wins, as in sequential writes. */
export function lastByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    byKey.delete(k);
    byKey.set(k, item);
  }
  return [...byKey.values()];
}

/** Audit entries keep their first write: the first of each id in a batch. */
export function firstByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) if (!byKey.has(key(item))) byKey.set(key(item), item);
  return [...byKey.values()];
}

// ---------------------------------------------------------------- reads

export function kindFilter(kind: RuleDocKind, ruleId?: string | null): QdrantFilter {
  const must: Schemas['FieldCondition'][] = [{ key: 'kind', match: { value: kind } }];
  if (ruleId != null) must.push({ key: 'rule_id', match: { value: ruleId } });
  return { must };
}

/** One page of the documents of a kind, with the payload fields asked for. */
export function buildKindScroll(
  kind: RuleDocKind,
  fields: string[],
  offset: Schemas['ExtendedPointId'] | null,
  ruleId?: string | null,
): Schemas['ScrollRequest'] {
  return {
    filter: kindFilter(kind, ruleId),
    limit: RULE_SCROLL_PAGE,
    with_payload: fields,
    with_vector: false,
    ...(offset !== null ? { offset } : {}),
  };
}

export function buildRuleRetrieve(ids: string[], fields: string[]): Schemas['PointRequest'] {
  return { ids, with_payload: fields, with_vector: false };
}

type PayloadRecord = { id: Schemas['ExtendedPointId']; payload?: Schemas['Payload'] | null };

function foreign(record: PayloadRecord, what: string): DomainError {
  return new DomainError(`Qdrant point ${String(record.id)} of the rules collection has ${what}; the collection holds foreign data`, 'INTERNAL');
}

/** The domain object of a point (its `doc`). */
export function readDoc<T>(record: PayloadRecord): T {
  const doc = record.payload?.doc;
  if (typeof doc !== 'string') throw foreign(record, 'no doc in its payload');
  try {
    return JSON.parse(doc) as T;
  } catch {
    throw foreign(record, 'a doc that is not JSON');
  }
}

export function readVersion(record: PayloadRecord): number {
  const version = record.payload?.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) throw foreign(record, 'no integer version');
  return version;
}

export function readSummary(record: PayloadRecord): RuleReleaseSummary {
  const summary = record.payload?.summary as Partial<RuleReleaseSummary> | undefined;
  if (!summary || typeof summary !== 'object' || typeof summary.version !== 'number') throw foreign(record, 'no release summary');
  return {
    version: summary.version,
    ruleCount: summary.ruleCount ?? 0,
    publishedAt: summary.publishedAt ?? '',
    publishedBy: summary.publishedBy ?? '',
    note: summary.note ?? '',
    restoredFrom: summary.restoredFrom ?? null,
  };
}

export function readSeq(record: PayloadRecord): string {
  const seq = record.payload?.seq;
  if (typeof seq !== 'string') throw foreign(record, 'no seq');
  return seq;
}

/** The `limit` points with the greatest keys, greatest first. */
export function newestFirst<T>(items: readonly T[], key: (item: T) => string | number, limit: number): T[] {
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? 1 : ka > kb ? -1 : 0;
  }).slice(0, limit);
}

// ---------------------------------------------------------------- audit order

/**
 * Sortable insertion keys for audit entries: the write time (ISO 8601, fixed width) with a counter
 * within the millisecond and a tag of this process, e.g. `2026-03-01T10:00:00.000Z-000002-9f3a1c`.
 * The time never goes back within a process, so entries written one after another by a process
 * sort in that order; entries written by two replicas in the same millisecond sort by tag, and
 * replicas' clocks should agree to about the time between two changes.
 */
export class AuditSequence {
  private lastMs = -Infinity;
  private counter = 0;

  constructor(
    private readonly tag: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  next(): string {
    const ms = Math.max(this.now().getTime(), this.lastMs);
    this.counter = ms === this.lastMs ? this.counter + 1 : 0;
    this.lastMs = ms;
    return formatAuditSeq(ms, this.counter, this.tag);
  }
}

export function formatAuditSeq(ms: number, counter: number, tag: string): string {
  return `${new Date(ms).toISOString()}-${String(counter).padStart(6, '0')}-${tag}`;
}

// ---------------------------------------------------------------- argument checks

/** Limits of the list methods: a positive integer. */
export function checkLimit(limit: unknown, operation: string): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new InvalidInputError(`${operation} limit must be a positive integer (got ${String(limit)})`);
  }
  return limit;
}

export function isReleaseVersion(version: unknown): version is number {
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1;
}

export function checkReleaseVersion(version: unknown): number {
  if (!isReleaseVersion(version)) throw new InvalidInputError(`a release version must be a positive integer (got ${String(version)})`);
  return version;
}
