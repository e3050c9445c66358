/**
 * Merchandising rules through the search service on every store: the embedded store, the Qdrant
 * adapter over the specification-checked fake server and, when QDRANT_URL is set, a real Qdrant.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/stores/embedded/embedded.store';
import { createQdrantStore } from '../../src/stores/qdrant/qdrant.store';
import { FakeQdrant, serveFake } from '../unit/stores/qdrant/support/fake-qdrant';
import { describeMerchandisingRulesContract } from './merchandising-rules.contract';

const collection = (tag: string) => `rules-${tag}-${process.pid}-${Date.now().toString(36)}`;

describeMerchandisingRulesContract('the embedded store', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rules-contract-'));
  return { store: new EmbeddedStore({ directory }), cleanup: async () => rmSync(directory, { recursive: true, force: true }) };
});

describeMerchandisingRulesContract('the Qdrant adapter over a specification-checked fake server', async () => {
  const fake = new FakeQdrant();
  const server = await serveFake(fake);
  return {
    store: createQdrantStore({ url: server.url }, { collection: collection('fake') }),
    cleanup: async () => {
      await server.close();
      if (fake.violations.length > 0) throw new Error(`outside Qdrant's OpenAPI 1.19 specification:\n${fake.violations.join('\n')}`);
    },
  };
});

const url = process.env.QDRANT_URL;
if (url) {
  describeMerchandisingRulesContract('qdrant', async () => {
    const name = collection('real');
    const apiKey = process.env.QDRANT_API_KEY || undefined;
    return {
      store: createQdrantStore({ url, apiKey }, { collection: name }),
      cleanup: async () => {
        await new QdrantClient({ url, apiKey, checkCompatibility: false }).deleteCollection(name);
      },
    };
  });
}
