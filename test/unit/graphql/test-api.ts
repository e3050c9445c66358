/** An Apollo server over the real resolvers and services, with fake encoders and an in-memory store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventLog } from '../../../src/events/event-log';
import { createApolloServer } from '../../../src/graphql/apollo.server';
import { createContext, type ApiServices } from '../../../src/graphql/context';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import { MediaStore } from '../../../src/ingestion/media-store';
import { ProductWriterService } from '../../../src/ingestion/product-writer.service';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { SearchService } from '../../../src/search/search.service';
import { sampleCatalog } from '../fakes/catalog-builder';
import { FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';

export async function createTestApi(n = 30) {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphql-unit-'));
  const store = new MemoryStore();
  await store.upsert(sampleCatalog(n));
  const vocabulary = new CatalogVocabulary(store);
  await vocabulary.refresh();
  const text = new FakeTextEncoder();
  const image = new FakeImageEncoder();
  const events = new EventLog(':memory:');
  const images = new ImageLoader({ maxBytes: 100_000, fetchTimeoutMs: 1000, allowedDir: dir });
  const getProducts = jest.spyOn(store, 'getProducts');
  const errors: unknown[] = [];
  const services: ApiServices = {
    search: new SearchService({ store, textEncoder: text, imageEncoder: image, fusionEncoder: new FakeFusionEncoder(), images, vocabulary, log: events }),
    products: store,
    writer: new ProductWriterService({
      store,
      textEncoder: text,
      imageEncoder: image,
      images,
      media: new MediaStore(path.join(dir, 'media')),
      listener: {
        catalogChanged: async (names) => {
          vocabulary.observe(names);
          await vocabulary.refresh();
        },
      },
    }),
    events,
    ingest: { status: () => ({ state: 'COMPLETE', catalogHash: 'sha256:abc', processed: n, total: n, reused: false, error: null }) },
    info: async () => ({ index: 'test-space@1.0.0', models: [{ name: 'fake-text', version: '0', role: 'text' }], store: 'memory', productCount: store.items.size, ready: true }),
  };
  const server = createApolloServer({ error: (_m: string, f?: Record<string, unknown>) => errors.push(f) });
  await server.start();
  async function exec<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}) {
    const res = await server.executeOperation({ query, variables }, { contextValue: createContext(services) });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult as { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  }
  return {
    exec,
    store,
    events,
    errors,
    getProducts,
    dir,
    async close() {
      await server.stop();
      events.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
