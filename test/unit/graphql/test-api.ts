/**
 * An Apollo server over the real resolvers and services, with fake encoders and an in-memory store.
 * Access control is real: an in-memory key store holds an admin key, which `exec` sends by default
 * (`{ key: null }` runs anonymously, `{ key }` with another key from `keys.create`). Merchandising
 * rules live in an in-memory rule store; searches apply the published ones.
 */
import { ApiKeyStore } from '../../../src/auth/api-key.store';
import { Authorizer } from '../../../src/auth/authorizer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventLog } from '../../../src/events/event-log';
import { createApolloServer } from '../../../src/graphql/apollo.server';
import { createContext, type ApiServices } from '../../../src/graphql/context';
import type { GraphQLObserver } from '../../../src/graphql/metrics.plugin';
import { IDLE_REBUILD } from '../../../src/gallery/gallery-rebuild.service';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import { MediaStore } from '../../../src/ingestion/media-store';
import { ProductWriterService } from '../../../src/ingestion/product-writer.service';
import { FakeColourProfiler } from '../fakes/fake-colour.profiler';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { SearchService } from '../../../src/search/search.service';
import { sampleCatalog } from '../fakes/catalog-builder';
import { FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';
import { MemoryRuleStore } from '../fakes/memory-rule.store';
import { RuleBook } from '../../../src/rules/rule-book.service';
import { RulePreviewService } from '../../../src/rules/rule-preview.service';
import { predictingStore } from '../../../src/attributes/predicting.store';
import { CategoryPredictor } from '../../../src/attributes/category-prediction';
import { FakeAttributePredictor, FakePictureClassifier } from '../fakes/fake-attribute.predictor';

export async function createTestApi(n = 30, options: { observer?: GraphQLObserver; services?: Partial<ApiServices> } = {}) {
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
  const ruleErrors: { ruleId: string; error: unknown }[] = [];
  const rules = new RuleBook({ store: new MemoryRuleStore(), vocabulary, products: store, maxPosition: 6400, refreshIntervalMs: 0, onRuleError: (ruleId, error) => ruleErrors.push({ ruleId, error }) });
  await rules.open();
  // Products written through the API get attribute predictions (a fake attributes model), as in main.ts.
  const predictor = new FakeAttributePredictor();
  // The picture category model (a fake one reading `looks<category>` words), as in main.ts.
  const pictures = new FakePictureClassifier();
  const written = predictingStore(store, predictor, { pictureWeight: () => pictures.spec.fusion.pictureWeight });
  const categories = new CategoryPredictor({ predictor, store, picture: pictures.spec.fusion });
  // Colour profiles of pictures (a fake profiler reading `shade-<colour>` words), as in main.ts.
  const colours = new FakeColourProfiler();
  const search = new SearchService({ store: written, textEncoder: text, imageEncoder: image, fusionEncoder: new FakeFusionEncoder(), images, vocabulary, log: events, rules, categories, colours, pictures });
  const services: ApiServices = {
    search,
    rules: { book: rules, preview: new RulePreviewService({ rules, search, traffic: events }) },
    products: store,
    writer: new ProductWriterService({
      store: written,
      textEncoder: text,
      imageEncoder: image,
      images,
      media: new MediaStore(path.join(dir, 'media')),
      pictures: { colours, categories: pictures },
      listener: {
        catalogChanged: (change) => {
          vocabulary.apply(change);
          vocabulary.settle();
        },
      },
    }),
    events,
    ingest: { status: () => ({ state: 'COMPLETE', catalogHash: 'sha256:abc', processed: n, total: n, reused: false, error: null }) },
    rebuild: { status: () => IDLE_REBUILD },
    info: async () => ({ index: 'test-space@1.0.0', models: [{ name: 'fake-text', version: '0', role: 'text' }], store: 'memory', productCount: store.items.size, ready: true }),
    ...options.services,
  };
  const server = createApolloServer({ error: (_m: string, f?: Record<string, unknown>) => errors.push(f) }, { observer: options.observer });
  await server.start();
  const keys = new ApiKeyStore(':memory:');
  const adminKey = keys.create({ roles: ['admin'], name: 'test-admin' }).key;
  const authorizer = new Authorizer(keys, { searchRequiresKey: false });
  async function exec<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, as: { key?: string | null; clientAddress?: string } = {}) {
    const key = as.key === undefined ? adminKey : as.key;
    const access = authorizer.forRequest(key === null ? {} : { authorization: `Bearer ${key}` });
    const res = await server.executeOperation({ query, variables }, { contextValue: createContext(services, { access, clientAddress: as.clientAddress }) });
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
    keys,
    rules,
    ruleErrors,
    async close() {
      await server.stop();
      await rules.close();
      events.close();
      keys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
