/**
 * `npm run ingest [-- --catalog DIR] [--limit N]`: loads a catalogue into the configured store
 * with the configured models (the same path the server takes at start), then exits.
 * Environment variables as for the server (see src/config/config.ts).
 */
import { ConfigError, loadConfig } from '../config/config';
import { createLogger } from '../config/logger';
import { CatalogIngestService } from '../ingestion/catalog-ingest.service';
import { buildEncoders, openStore } from '../main';

const USAGE = 'usage: npm run ingest -- [--catalog DIR] [--limit N]';

function parseArgs(argv: string[]): { catalog?: string; limit?: number } {
  const out: { catalog?: string; limit?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--catalog' && value) {
      out.catalog = value;
      i++;
    } else if (arg === '--limit' && value && /^\d+$/.test(value)) {
      out.limit = Number(value);
      i++;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    }
  }
  return out;
}

async function run(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'silent' ? 'silent' : 'info');
  const encoders = await buildEncoders(config);
  const store = await openStore(config, encoders.dim);
  try {
    const ingest = new CatalogIngestService({
      store,
      textEncoder: encoders.text,
      imageEncoder: encoders.image,
      logger,
      options: {
        catalogDir: args.catalog ?? config.catalogDir,
        stateDir: config.dataDir,
        indexKey: encoders.indexKey,
        batchSize: config.ingestBatchSize,
        limit: args.limit ?? config.catalogLimit,
      },
    });
    const status = await ingest.run();
    process.stdout.write(`${JSON.stringify(status)}\n`);
  } finally {
    await store.close();
  }
}

run().catch((error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : ((error as Error)?.message ?? String(error))}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
