/**
 * The rule store over Qdrant: a small payload-only collection `<products collection>-rules` beside
 * the products' collection, shared by every replica (layout in qdrant-rule-requests.ts, which builds
 * every request body; this class moves them through the client, with the products store's retries).
 *
 * Reads scroll every point of one kind and sort in memory: rules, releases and audit entries number
 * in the thousands, not millions, so a read costs a few pages. Audit lists first read only each
 * entry's sortable key (`seq`), then fetch the documents of the entries asked for.
 *
 * Publishing: Qdrant has no transaction, but its upsert takes `update_mode: insert_only` (in the
 * 1.19 API this adapter targets, a recent addition): a point whose id exists is left as it was. A
 * release's point id is derived from its version, so `writeRelease` checks that the version is free
 * (a cheap refusal in the common case), inserts with `insert_only` through the shard's leader
 * (`ordering: strong`), and reads the point back: when another replica's nonce is there, that
 * replica won the version and this one gets RuleStoreConflictError. Two replicas publishing the same
 * version at once therefore end with one release, never an overwritten one. The race that remains
 * is on a server that ignores `update_mode` (older than the API this adapter is written for): there
 * two replicas that both pass the check within the same instant both write, and the first one can
 * read its own nonce back before the second overwrites it, so both report success.
 *
 * Drafts go in one upsert request, which Qdrant applies as one operation (the collection has a
 * single shard). Audit entries are inserted with `insert_only` too, so a retried append adds nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { InvalidInputError, UnavailableError } from '../../domain/errors';
import type { RuleAuditEntry, RuleDraft, RuleRelease } from '../../rules/rule';
import { RuleStoreConflictError, type RuleReleaseSummary, type RuleStore } from '../../rules/rule-store';
import type { QdrantConnection } from './qdrant.store';
import { DEFAULT_QDRANT_STORE_OPTIONS } from './qdrant-options';
import {
  AuditSequence,
  auditPoint,
  buildKindScroll,
  buildRuleIndexes,
  buildRuleRetrieve,
  buildRulesCollection,
  checkLimit,
  checkReleaseVersion,
  draftPoint,
  firstByKey,
  isReleaseVersion,
  lastByKey,
  newestFirst,
  readDoc,
  readSeq,
  readSummary,
  readVersion,
  releasePoint,
  rulePointId,
  rulesCollectionName,
  type RuleDocKind,
} from './qdrant-rule-requests';
import { realSleep, withRetry, type RetryPolicy, type Sleep } from './qdrant-retry';

/** The client calls this store makes. */
export type QdrantRuleApi = Pick<QdrantClient, 'collectionExists' | 'createCollection' | 'getCollection' | 'createPayloadIndex' | 'upsert' | 'delete' | 'retrieve' | 'scroll'>;

export interface QdrantRuleStoreOptions {
  /** The products' collection as configured (QDRANT_COLLECTION, possibly an alias); rules go to `<collection>-rules`. */
  collection: string;
  retry?: RetryPolicy;
  /** Clock of the audit entries' insertion keys. */
  now?: () => Date;
}

/** Ids per retrieve request. */
const RETRIEVE_BATCH = 256;

/** One sequence per process, so that stores reopened in a process keep the audit order. */
const processTag = randomBytes(3).toString('hex');
const sharedSequence = new AuditSequence(processTag);

export class QdrantRuleStore implements RuleStore {
  readonly collection: string;
  private readonly retry: RetryPolicy;
  private readonly sequence: AuditSequence;
  private isOpen = false;

  constructor(
    private readonly client: QdrantRuleApi,
    options: QdrantRuleStoreOptions,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.collection = rulesCollectionName(options.collection);
    this.retry = options.retry ?? DEFAULT_QDRANT_STORE_OPTIONS.retry;
    this.sequence = options.now ? new AuditSequence(processTag, options.now) : sharedSequence;
  }

  async open(): Promise<void> {
    const name = this.collection;
    const { exists } = await this.call('check the rules collection', () => this.client.collectionExists(name));
    if (!exists) {
      try {
        await this.call('create the rules collection', () => this.client.createCollection(name, buildRulesCollection()));
      } catch (error) {
        // Another replica may have created it between our check and our request: then use theirs.
        const again = await this.call('check the rules collection', () => this.client.collectionExists(name));
        if (!again.exists) throw error;
      }
    }
    const info = await this.call('read the rules collection', () => this.client.getCollection(name));
    const indexed = new Set(Object.keys(info.payload_schema ?? {}));
    for (const index of buildRuleIndexes()) {
      if (indexed.has(index.field_name)) continue;
      await this.call(`index ${index.field_name} of the rules`, () =>
        this.client.createPayloadIndex(name, { wait: true, field_name: index.field_name, field_schema: index.field_schema }),
      );
    }
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  async listDrafts(): Promise<RuleDraft[]> {
    this.opened();
    const records = await this.scrollKind('draft', ['doc'], 'read the rule drafts');
    const drafts = records.map((record) => readDoc<RuleDraft>(record));
    return drafts.sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
  }

  async writeDrafts(drafts: RuleDraft[]): Promise<void> {
    this.opened();
    if (drafts.length === 0) return;
    const points = lastByKey(drafts, (draft) => draft.rule.id).map(draftPoint);
    await this.call('write rule drafts', () => this.client.upsert(this.collection, { wait: true, points }));
  }

  async removeDrafts(ids: string[]): Promise<void> {
    this.opened();
    if (ids.length === 0) return;
    const points = [...new Set(ids)].map((id) => rulePointId('draft', id));
    await this.call('remove rule drafts', () => this.client.delete(this.collection, { wait: true, points }));
  }

  async latestRelease(): Promise<RuleRelease | null> {
    this.opened();
    const records = await this.scrollKind('release', ['version'], 'list the rule releases');
    if (records.length === 0) return null;
    const latest = Math.max(...records.map(readVersion));
    return this.release(latest);
  }

  async release(version: number): Promise<RuleRelease | null> {
    this.opened();
    if (!isReleaseVersion(version)) return null;
    const id = rulePointId('release', String(version));
    const [record] = await this.call('read a rule release', () => this.client.retrieve(this.collection, buildRuleRetrieve([id], ['doc'])));
    return record ? readDoc<RuleRelease>(record) : null;
  }

  async listReleases(limit: number): Promise<RuleReleaseSummary[]> {
    this.opened();
    checkLimit(limit, 'listReleases');
    const records = await this.scrollKind('release', ['summary'], 'list the rule releases');
    return newestFirst(records.map(readSummary), (summary) => summary.version, limit);
  }

  async writeRelease(release: RuleRelease): Promise<void> {
    this.opened();
    const version = checkReleaseVersion(release.version);
    const id = rulePointId('release', String(version));
    const taken = () => this.call('check the release version', () => this.client.retrieve(this.collection, { ...buildRuleRetrieve([id], ['writer']), consistency: 'majority' }));
    if ((await taken()).length > 0) throw new RuleStoreConflictError(version);
    const writer = randomUUID();
    await this.call('publish a rule release', () =>
      this.client.upsert(this.collection, { wait: true, ordering: 'strong', update_mode: 'insert_only', points: [releasePoint(release, writer)] }),
    );
    const [stored] = await taken();
    if (!stored) {
      throw new UnavailableError(`Qdrant acknowledged rule release ${version} but does not return it; check the rules collection ${this.collection}`);
    }
    if (stored.payload?.writer !== writer) throw new RuleStoreConflictError(version);
  }

  async appendAudit(entries: RuleAuditEntry[]): Promise<void> {
    this.opened();
    if (entries.length === 0) return;
    const points = firstByKey(entries, (entry) => entry.id).map((entry) => auditPoint(entry, this.sequence.next()));
    await this.call('append to the rule audit', () => this.client.upsert(this.collection, { wait: true, update_mode: 'insert_only', points }));
  }

  async listAudit(options: { ruleId?: string | null; limit: number }): Promise<RuleAuditEntry[]> {
    this.opened();
    const limit = checkLimit(options.limit, 'listAudit');
    const keys = await this.scrollKind('audit', ['seq'], 'list the rule audit', options.ruleId);
    const newest = newestFirst(keys, readSeq, limit);
    const byId = new Map<string, RuleAuditEntry>();
    for (let i = 0; i < newest.length; i += RETRIEVE_BATCH) {
      const ids = newest.slice(i, i + RETRIEVE_BATCH).map((record) => record.id);
      const records = await this.call('read the rule audit', () => this.client.retrieve(this.collection, buildRuleRetrieve(ids as string[], ['doc'])));
      for (const record of records) byId.set(String(record.id), readDoc<RuleAuditEntry>(record));
    }
    // An entry is never removed, so every id read a moment ago is there.
    return newest.map((record) => byId.get(String(record.id))).filter((entry): entry is RuleAuditEntry => entry !== undefined);
  }

  private async scrollKind(kind: RuleDocKind, fields: string[], operation: string, ruleId?: string | null): Promise<Schemas['Record'][]> {
    const records: Schemas['Record'][] = [];
    let offset: Schemas['ExtendedPointId'] | null = null;
    do {
      const body = buildKindScroll(kind, fields, offset, ruleId);
      const page = await this.call(operation, () => this.client.scroll(this.collection, body));
      records.push(...page.points);
      offset = (page.next_page_offset as Schemas['ExtendedPointId'] | null | undefined) ?? null;
    } while (offset !== null);
    return records;
  }

  private opened(): void {
    if (!this.isOpen) throw new UnavailableError(`the Qdrant rule store (collection ${this.collection}) is not open; call open() first`);
  }

  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(operation, fn, this.retry, this.sleep);
  }
}

/** A rule store beside the products' collection `options.collection` on the Qdrant server at `connection.url`. */
export function createQdrantRuleStore(connection: QdrantConnection, options: QdrantRuleStoreOptions): QdrantRuleStore {
  if (!/^https?:\/\//.test(connection.url)) {
    throw new InvalidInputError(`Qdrant URL must start with http:// or https:// (got ${JSON.stringify(connection.url)})`);
  }
  const client = new QdrantClient({
    url: connection.url,
    ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
    timeout: connection.timeoutMs ?? 30_000,
    checkCompatibility: false,
  });
  return new QdrantRuleStore(client, options);
}
