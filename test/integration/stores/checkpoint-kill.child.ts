/**
 * Writer process for the checkpoint kill test: fills an embedded store once, then rewrites a few
 * products and checkpoints the graph (flushIndex) in a loop, printing `checkpoint <n>` after each.
 * The test SIGKILLs it at random moments, most of them inside a checkpoint.
 * Usage: node --import tsx checkpoint-kill.child.ts <directory>
 */
import { EmbeddedStore } from '../../../src/stores/embedded/embedded.store';
import { checkpointItem, CHECKPOINT_DIMS, CHECKPOINT_PRODUCTS } from './checkpoint-kill.fixture';

async function main(): Promise<void> {
  const [directory] = process.argv.slice(2);
  const store = new EmbeddedStore({ directory, checkpointDelayMs: 60_000 });
  await store.open(CHECKPOINT_DIMS);
  if ((await store.count()) === 0) {
    for (let i = 0; i < CHECKPOINT_PRODUCTS; i += 500) await store.upsert(Array.from({ length: 500 }, (_, k) => checkpointItem(i + k, 0)));
    await store.flushIndex();
  }
  process.stdout.write('ready\n');
  for (let round = 1; ; round++) {
    await store.upsert(Array.from({ length: 20 }, (_, k) => checkpointItem((round * 37 + k * 101) % CHECKPOINT_PRODUCTS, round)));
    await store.flushIndex();
    process.stdout.write(`checkpoint ${round}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
