import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore, type EmbeddedStoreOptions } from '../../src/stores/embedded/embedded.store';
import { describeVectorStoreContract } from './vector-store.contract';

function factory(options: Omit<EmbeddedStoreOptions, 'directory'> = {}) {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'embedded-store-contract-'));
    return { store: new EmbeddedStore({ directory, ...options }), cleanup: async () => rmSync(directory, { recursive: true, force: true }) };
  };
}

describeVectorStoreContract('embedded', factory());
/** Every search walks the HNSW graph (no exact shortcut for small candidate sets). */
describeVectorStoreContract('embedded, graph search only', factory({ exactBudget: 0 }));
