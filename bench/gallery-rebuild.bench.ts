/**
 * Gallery rebuild under load: the real server (src/main.ts) on the demo catalogue is given new
 * gallery models while clients search, and re-embeds every product into a new store in the
 * background (src/gallery/). Measures how long the rebuild takes, and the searches answered and
 * failed, with their latency, before, during and after it.
 *
 *   npm run bench:gallery-rebuild -- [--catalog-dir seed/demo] [--data-dir data/bench-scale/demo]
 *       [--models-dir models] [--gallery-text fashion-text-pretriplet] [--concurrency 4] [--requests 200]
 *
 * The server runs on copies: the models folder (whose manifest then names `--gallery-text` as the
 * tower that embeds products, a real trained tower other than the running one) and the data
 * folder (a store that already holds the catalogue, e.g. the one `npm run bench:scale` keeps; the
 * server ingests into an empty copy first when there is none). The new models are loaded the way an
 * operator does it, with SIGHUP. Searches alternate text queries of the demo (`queries/text-test.jsonl`)
 * and image searches by product; every answer must hold results.
 *
 * Writes bench/results/gallery-rebuild.json and .md and prints the table.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RebuildStatus } from '../src/gallery/gallery-rebuild.service';
import { graphqlQuery, residentMemoryMb, runLoad, ROOT, startServer, type LoadResult } from './http-load';
import { argumentReaders, benchCommand, markdownTable, readJsonl, writeResults } from './support';

interface Args {
  catalogDir: string;
  dataDir: string;
  modelsDir: string;
  galleryText: string;
  concurrency: number;
  requests: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { catalogDir: 'seed/demo', dataDir: 'data/bench-scale/demo', modelsDir: 'models', galleryText: 'fashion-text-pretriplet', concurrency: 4, requests: 200 };
  const problems: string[] = [];
  const read = argumentReaders(problems);
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--catalog-dir') args.catalogDir = value;
    else if (flag === '--data-dir') args.dataDir = value;
    else if (flag === '--models-dir') args.modelsDir = value;
    else if (flag === '--gallery-text') args.galleryText = value;
    else if (flag === '--concurrency') args.concurrency = read.int(flag, value, 1, 256);
    else if (flag === '--requests') args.requests = read.int(flag, value, 1, 1_000_000);
    else problems.push(`unknown argument ${flag}`);
  }
  if (problems.length) throw new Error(`${problems.join('\n')}\nusage: see the header of bench/gallery-rebuild.bench.ts`);
  return args;
}


async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-gallery-rebuild-'));
  try {
    const models = path.join(work, 'models');
    cpSync(path.resolve(ROOT, args.modelsDir), models, { recursive: true });
    const manifestFile = path.join(models, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (!manifest.models.some((m: { name: string; role: string }) => m.name === args.galleryText && m.role === 'text')) {
      throw new Error(`${args.modelsDir}/manifest.json has no text model named ${args.galleryText}`);
    }
    const data = path.join(work, 'data');
    const source = path.resolve(ROOT, args.dataDir);
    if (existsSync(source)) cpSync(source, data, { recursive: true });
    const server = await startServer({
      env: { DATA_DIR: data, CATALOG_DIR: path.resolve(ROOT, args.catalogDir), MODELS_DIR: models, RATE_LIMIT_IMAGE_SEARCH: '0', LOG_LEVEL: 'info' },
      readyTimeoutMs: 3_600_000,
    });
    try {
      const texts = readJsonl<{ text: string }>(path.resolve(ROOT, args.catalogDir, 'queries', 'text-test.jsonl')).map((q) => q.text);
      const ids = readJsonl<{ id: string }>(path.resolve(ROOT, args.catalogDir, 'products.jsonl'))
        .slice(0, 200)
        .map((p) => p.id);
      const body = (i: number) =>
        JSON.stringify(
          i % 2
            ? { query: 'query($t: String!) { search(input: { text: $t, first: 20 }) { edges { node { id } } } }', variables: { t: texts[i % texts.length] } }
            : { query: 'query($p: ID!) { search(input: { image: { productId: $p }, first: 20 }) { edges { node { id } } } }', variables: { p: ids[i % ids.length] } },
        );
      const status = async (): Promise<RebuildStatus> =>
        (await graphqlQuery(server.port, '{ ingestStatus { rebuild { state from to location processed total caughtUp failed error startedAt finishedAt } } }')).ingestStatus.rebuild;
      const info = async () => (await graphqlQuery(server.port, '{ serviceInfo { productCount models { role name version } } }')).serviceInfo;
      const before = await runLoad(server.port, args.concurrency, args.requests, body);
      const infoBefore = await info();

      manifest.gallery = { image: manifest.defaults.image, text: args.galleryText };
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
      const t0 = performance.now();
      process.kill(server.pid, 'SIGHUP');
      let last: RebuildStatus = await status();
      let finished = false;
      const watch = (async () => {
        for (;;) {
          await new Promise((r) => setTimeout(r, 250));
          last = await status();
          if (last.state === 'COMPLETE' || last.state === 'FAILED') {
            finished = true;
            return;
          }
        }
      })();
      const during = await runLoad(server.port, args.concurrency, { until: () => finished }, body);
      await watch;
      const seconds = (performance.now() - t0) / 1000;
      const after = await runLoad(server.port, args.concurrency, args.requests, body);
      const infoAfter = await info();
      const memory = residentMemoryMb(server.pid);
      if (last.state !== 'COMPLETE') throw new Error(`the rebuild ended ${last.state}: ${last.error}`);

      const report = {
        name: 'gallery-rebuild',
        started: started.toISOString(),
        command: benchCommand('bench:gallery-rebuild'),
        args,
        environment: { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverage: os.loadavg() },
        rebuild: { ...last, seconds },
        productCount: { before: infoBefore.productCount, after: infoAfter.productCount },
        models: { before: infoBefore.models, after: infoAfter.models },
        load: { before, during, after },
        memory,
      };
      const row = (name: string, r: LoadResult) => [name, String(r.requests), String(r.errors), r.p50Ms.toFixed(1), r.p95Ms.toFixed(1), r.throughputRps.toFixed(1)];
      const markdown = [
        `Command: \`${report.command}\` (${started.toISOString().slice(0, 16).replace('T', ' ')} UTC).  `,
        `Catalogue \`${args.catalogDir}\` (${infoBefore.productCount} products); gallery text tower ${infoBefore.models.find((m: { role: string }) => m.role === 'gallery-text')?.name ?? manifest.defaults.text} -> ${args.galleryText}; ` +
          `${args.concurrency} clients alternating text and image-by-product searches; ${os.cpus().length} CPUs, Node ${process.version}.`,
        '',
        `Rebuild: ${last.total} products re-embedded in ${seconds.toFixed(1)} s (${(last.total / seconds).toFixed(0)} products/s), ${last.caughtUp} writes carried over, ${last.failed} failed; ` +
          `products after: ${infoAfter.productCount}.`,
        '',
        markdownTable(
          ['searches', 'answered', 'failed', 'p50 ms', 'p95 ms', 'req/s'],
          ['l', 'r', 'r', 'r', 'r', 'r'],
          [row('before the rebuild', before), row('during the rebuild', during), row('after the switch', after)],
        ),
      ].join('\n');
      writeResults('gallery-rebuild', report, markdown);
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
