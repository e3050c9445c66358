/**
 * Server process for the shutdown and kill -9 tests: the real wiring (startApplication) with fake
 * encoders, and the same signal handling as `npm start` (exitOnTerminationSignals). Texts containing
 * "slowly" take 700 ms to encode, so a test can have a request in flight when it sends a signal.
 * Prints `ready <url>` on stdout once the catalogue is ingested; logs go to stderr.
 * Usage: node --import tsx app.child.ts <dataDir> <catalogDir> [shutdownTimeoutMs]
 */
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import type { TextEncoder } from '../../../src/encoders/encoder';
import { exitOnTerminationSignals, startApplication } from '../../../src/main';
import { fakeEncoders } from './api-fixtures';

/** Delays texts that ask for it, like a model that is busy. */
function slowWhenAsked(inner: TextEncoder): TextEncoder {
  return {
    dim: inner.dim,
    async encode(texts: string[]) {
      if (texts.some((t) => t.includes('slowly'))) await new Promise((r) => setTimeout(r, 700));
      return inner.encode(texts);
    },
  };
}

async function main(): Promise<void> {
  const [dataDir, catalogDir, timeout] = process.argv.slice(2);
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    CATALOG_DIR: catalogDir,
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: timeout ?? '10000',
    MICRO_BATCH: 'off',
    // The durability test writes as fast as it can; per-key write limits are tested elsewhere.
    RATE_LIMIT_CATALOG_WRITE: '0',
  });
  const logger = createLogger('info');
  const encoders = fakeEncoders();
  encoders.text = slowWhenAsked(encoders.text);
  const app = await startApplication(config, logger, { encoders });
  exitOnTerminationSignals(app, logger, config.shutdownTimeoutMs);
  await app.ready;
  process.stdout.write(`ready ${app.url}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
