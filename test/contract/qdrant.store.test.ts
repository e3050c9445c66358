/**
 * The store contract for the Qdrant adapter.
 *
 * Always: over an in-memory fake Qdrant served on 127.0.0.1 that checks every request and answer
 * against Qdrant's OpenAPI 1.19 specification (this exercises the adapter's requests and its reading
 * of the answers; it does not stand in for Qdrant's own behaviour).
 *
 * Whenever QDRANT_URL is set, also against that real server, e.g.
 *   docker run -p 6333:6333 qdrant/qdrant:v1.19.0
 *   QDRANT_URL=http://localhost:6333 npx jest test/contract
 * Each store of the suite gets its own collection, deleted when the store's block ends.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { resolveQdrantStoreOptions } from '../../src/stores/qdrant/qdrant-options';
import { createQdrantStore, QdrantStore } from '../../src/stores/qdrant/qdrant.store';
import { FakeQdrant, serveFake } from '../unit/stores/qdrant/support/fake-qdrant';
import { describeVectorStoreContract, type StoreFactory } from './vector-store.contract';

const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY || undefined;

let created = 0;
/** A collection name unique to this run and store. */
function contractCollection(): string {
  created += 1;
  return `contract-${process.pid}-${Date.now().toString(36)}-${created}`;
}

function qdrantFactory(qdrantUrl: string, settings: Parameters<typeof createQdrantStore>[1] = {}): StoreFactory {
  return async () => {
    const collection = contractCollection();
    const store = createQdrantStore({ url: qdrantUrl, apiKey }, { ...settings, collection });
    const admin = new QdrantClient({ url: qdrantUrl, apiKey, checkCompatibility: false });
    return {
      store,
      cleanup: async () => {
        await admin.deleteCollection(collection);
      },
    };
  };
}

function fakeFactory(): StoreFactory {
  return async () => {
    const fake = new FakeQdrant();
    const server = await serveFake(fake);
    const store = createQdrantStore({ url: server.url }, { collection: contractCollection() });
    return {
      store,
      cleanup: async () => {
        await server.close();
        if (fake.violations.length > 0) {
          throw new Error(`requests or answers outside Qdrant's OpenAPI 1.19 specification:\n${fake.violations.join('\n')}`);
        }
      },
    };
  };
}

describe('Qdrant contract setup', () => {
  it('gives every store of the run its own valid collection', () => {
    const first = contractCollection();
    const second = contractCollection();
    expect(first).not.toBe(second);
    expect(resolveQdrantStoreOptions({ collection: first }).collection).toBe(first);
    const store = createQdrantStore({ url: url ?? 'http://127.0.0.1:6333', apiKey }, { collection: second });
    expect(store).toBeInstanceOf(QdrantStore);
    expect(store.collection).toBe(second);
  });
});

describeVectorStoreContract('qdrant adapter over a specification-checked fake server', fakeFactory());

if (url) {
  describeVectorStoreContract('qdrant', qdrantFactory(url));
  describeVectorStoreContract('qdrant, scalar quantization with rescoring', qdrantFactory(url, { quantization: { kind: "scalar", oversampling: 2, rescore: true, pinned: true } }));
}
