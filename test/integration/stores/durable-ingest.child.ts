/**
 * Writer process for the durability test: ingests batches into an embedded store forever and
 * prints `ack <id>` for every product once its upsert has resolved. The test kills it with SIGKILL.
 * Usage: node --import tsx durable-ingest.child.ts <directory> <batchSize>
 */
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { durableItem, DURABLE_DIMS } from './durable-ingest.fixture';

async function main(): Promise<void> {
  const [directory, batchSizeArg] = process.argv.slice(2);
  const batchSize = Number(batchSizeArg);
  const store = new EmbeddedStore({ directory, checkpointDelayMs: 30, indexSliceMs: 5 });
  await store.open(DURABLE_DIMS);
  process.stdout.write('ready\n');
  for (let batch = 0; ; batch++) {
    const items = Array.from({ length: batchSize }, (_, i) => durableItem(batch * batchSize + i));
    // Every fifth batch also rewrites products of an earlier batch, so replacements are covered.
    if (batch % 5 === 4) items.push(durableItem(batch - 2, 'v2'));
    await store.upsert(items);
    process.stdout.write(items.map((it) => `ack ${it.product.id} ${it.product.title}\n`).join(''));
    await new Promise((r) => setImmediate(r));
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
