/**
 * The rule store contract on every rule store:
 * - embedded: an SQLite file in a temporary directory;
 * - memory: the unit tests' fake (test/unit/fakes/memory-rule.store.ts);
 * - Qdrant over an in-memory fake served on 127.0.0.1 that checks every request and answer against
 *   Qdrant's OpenAPI 1.19 specification (the adapter's requests and its reading of answers, not
 *   Qdrant's own behaviour);
 * - Qdrant for real whenever QDRANT_URL is set, e.g.
 *     docker run -p 6333:6333 qdrant/qdrant:v1.19.0
 *     QDRANT_URL=http://localhost:6333 npx jest test/contract/rule-store.test.ts
 *   Each store gets its own rules collection, deleted when its test ends.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleStoreConflictError } from '../../src/rules/rule-store';
import { EmbeddedRuleStore, RULES_FILE } from '../../src/stores/embedded/embedded-rule.store';
import { rulePointId, rulesCollectionName } from '../../src/stores/qdrant/qdrant-rule-requests';
import { createQdrantRuleStore, QdrantRuleStore } from '../../src/stores/qdrant/qdrant-rule.store';
import { MemoryRuleData, MemoryRuleStore } from '../unit/fakes/memory-rule.store';
import { FakeQdrant, serveFake } from '../unit/stores/qdrant/support/fake-qdrant';
import { aRelease, aRule, describeRuleStoreContract, type RuleStoreFactory } from './rule-store.contract';

const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY || undefined;

let created = 0;
/** A products' collection name unique to this run and store. */
function contractCollection(): string {
  created += 1;
  return `rules-contract-${process.pid}-${Date.now().toString(36)}-${created}`;
}

const fastRetry = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

function embeddedFactory(): RuleStoreFactory {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'rule-store-contract-'));
    const file = EmbeddedRuleStore.fileIn(directory);
    return {
      store: new EmbeddedRuleStore({ file }),
      reopen: () => new EmbeddedRuleStore({ file }),
      cleanup: async () => rmSync(directory, { recursive: true, force: true }),
    };
  };
}

function memoryFactory(): RuleStoreFactory {
  return async () => {
    const data = new MemoryRuleData();
    return { store: new MemoryRuleStore(data), reopen: () => new MemoryRuleStore(data), cleanup: async () => undefined };
  };
}

function violationsCheck(fake: FakeQdrant): void {
  if (fake.violations.length > 0) {
    throw new Error(`requests or answers outside Qdrant's OpenAPI 1.19 specification:\n${fake.violations.join('\n')}`);
  }
}

function fakeQdrantFactory(): RuleStoreFactory {
  return async () => {
    const fake = new FakeQdrant();
    const server = await serveFake(fake);
    const collection = contractCollection();
    const make = () => createQdrantRuleStore({ url: server.url }, { collection, retry: fastRetry });
    return {
      store: make(),
      reopen: make,
      cleanup: async () => {
        await server.close();
        violationsCheck(fake);
      },
    };
  };
}

function qdrantFactory(qdrantUrl: string): RuleStoreFactory {
  return async () => {
    const collection = contractCollection();
    const make = () => createQdrantRuleStore({ url: qdrantUrl, apiKey }, { collection });
    const admin = new QdrantClient({ url: qdrantUrl, apiKey, checkCompatibility: false });
    return {
      store: make(),
      reopen: make,
      cleanup: async () => {
        await admin.deleteCollection(rulesCollectionName(collection));
      },
    };
  };
}

describeRuleStoreContract('embedded', embeddedFactory());
describeRuleStoreContract('memory (unit-test fake)', memoryFactory());
describeRuleStoreContract('qdrant adapter over a specification-checked fake server', fakeQdrantFactory());
if (url) describeRuleStoreContract('qdrant', qdrantFactory(url));

describe('embedded rule store specifics', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'rule-store-embedded-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps its file in the data directory, readable by its owner only', async () => {
    const file = EmbeddedRuleStore.fileIn(join(directory, 'data'));
    expect(file).toBe(join(directory, 'data', RULES_FILE));
    const store = new EmbeddedRuleStore({ file });
    await store.open();
    await store.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('qdrant rule store specifics', () => {
  let fake: FakeQdrant;
  let server: Awaited<ReturnType<typeof serveFake>>;
  const collection = 'products';

  beforeEach(async () => {
    fake = new FakeQdrant();
    server = await serveFake(fake);
  });
  afterEach(async () => {
    await server.close();
    violationsCheck(fake);
  });

  const make = () => createQdrantRuleStore({ url: server.url }, { collection, retry: fastRetry });

  it('keeps rules in a payload-only collection beside the products, indexed by kind', async () => {
    const store = make();
    expect(store).toBeInstanceOf(QdrantRuleStore);
    expect(store.collection).toBe('products-rules');
    await store.open();
    await store.open();
    const rules = fake.collection('products-rules');
    expect(rules?.config.vectors).toEqual({});
    expect([...(rules?.indexes.keys() ?? [])].sort()).toEqual(['kind', 'rule_id']);
    expect(fake.bodies('create_collection')).toHaveLength(1);
    expect(fake.bodies('create_field_index')).toHaveLength(2);
    expect(fake.collection('products')).toBeUndefined();
  });

  it('publishes with insert_only through the leader, and loses a version taken between its check and its write', async () => {
    const winner = make();
    const loser = make();
    await winner.open();
    await loser.open();
    await winner.writeRelease(aRelease(1, [aRule('winner')]));
    const upsert = fake.requests.find((r) => r.operationId === 'upsert_points');
    expect(upsert?.body.update_mode).toBe('insert_only');
    expect(upsert?.url.searchParams.get('ordering')).toBe('strong');

    // The loser's check sees no release 1 (the winner's write lands just after it).
    fake.once('get_points', () => ({ status: 200, result: [] }));
    const error = await loser.writeRelease(aRelease(1, [aRule('loser')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleStoreConflictError);
    expect((await loser.release(1))?.rules.map((r) => r.id)).toEqual(['winner']);
    expect(fake.bodies('upsert_points')).toHaveLength(2);
  });

  it('retries a transient failure of a write', async () => {
    const store = make();
    await store.open();
    fake.once('upsert_points', () => ({ status: 503, error: 'Service unavailable' }));
    await store.writeRelease(aRelease(1));
    expect((await store.latestRelease())?.version).toBe(1);
  });

  it('reports a rules collection holding foreign data', async () => {
    const store = make();
    await store.open();
    const id = rulePointId('draft', 'x');
    fake.collection('products-rules')?.points.set(id, { id, vector: {}, payload: { kind: 'draft', key: 'x' } });
    await expect(store.listDrafts()).rejects.toThrow(/foreign data/);
  });

  it('refuses a products collection whose rules collection name would be too long', () => {
    expect(() => make()).not.toThrow();
    expect(() => createQdrantRuleStore({ url: server.url }, { collection: 'p'.repeat(250) })).toThrow(/not a valid Qdrant collection name/);
    expect(() => createQdrantRuleStore({ url: 'localhost:6333' }, { collection })).toThrow(/must start with http/);
  });
});
