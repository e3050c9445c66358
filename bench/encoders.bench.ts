/**
 * Encoder benchmark: CPU cost and latency of one text query and one image (decode, resize, model run),
 * batched throughput per tower, and throughput of many concurrent single-item callers through the
 * micro-batcher.
 *
 *   npm run bench:encoders -- [--models-dir models] [--runs 300] [--warmup 30] [--threads 2]
 *   npm run bench:encoders -- --adapter clip-hf --clip-model-dir path/to/clip
 *
 * Writes bench/results/encoders.json (with the model versions) and prints a markdown table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { batchTextEncoder } from '../src/encoders/batched.encoder';
import { createEncoders, type EncoderAdapter, type EncoderSet } from '../src/encoders/encoders.factory';

interface Args {
  adapter: EncoderAdapter;
  modelsDir: string;
  clipModelDir?: string;
  runs: number;
  warmup: number;
  threads: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { adapter: 'manifest', modelsDir: 'models', runs: 300, warmup: 30, threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const num = () => {
      const x = Number(value);
      if (!Number.isInteger(x) || x < 1) throw new Error(`${flag} needs a positive integer, got ${JSON.stringify(value)}`);
      return x;
    };
    if (flag === '--models-dir') args.modelsDir = value;
    else if (flag === '--clip-model-dir') args.clipModelDir = value;
    else if (flag === '--adapter') {
      if (value !== 'manifest' && value !== 'clip-hf') throw new Error(`--adapter is "manifest" or "clip-hf", got ${JSON.stringify(value)}`);
      args.adapter = value;
    } else if (flag === '--runs') args.runs = num();
    else if (flag === '--warmup') args.warmup = num();
    else if (flag === '--threads') args.threads = num();
    else throw new Error(`unknown flag ${flag}; known: --adapter --models-dir --clip-model-dir --runs --warmup --threads`);
  }
  return args;
}

interface Row {
  case: string;
  items: number;
  p50Ms: number;
  p95Ms: number;
  cpuMsPerItem: number;
  itemsPerSecond: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Times `runs` sequential calls of `fn` (each handling `items` items) after `warmup` untimed ones. */
async function measure(name: string, items: number, runs: number, warmup: number, fn: (i: number) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return {
    case: name,
    items,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    cpuMsPerItem: (cpu.user + cpu.system) / 1000 / (runs * items),
    itemsPerSecond: (runs * items) / (wall / 1000),
  };
}

/** Catalogue-like photos: a garment-shaped blob on a light background with some texture, as JPEG. */
async function photos(count: number, width: number, height: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const raw = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = Math.abs(x - width / 2) < width * (0.2 + 0.05 * Math.sin(y / 17 + k)) && y > height * 0.1 && y < height * 0.9;
        const o = (y * width + x) * 3;
        const t = ((x * 7 + y * 13 + k * 31) % 23) - 11;
        raw[o] = inside ? 120 + 40 * Math.sin(k) + t : 245;
        raw[o + 1] = inside ? 60 + 5 * k + t : 245;
        raw[o + 2] = inside ? 90 + t : 245;
      }
    }
    out.push(await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer());
  }
  return out;
}

const QUERIES = [
  'red summer dress',
  'black leather ankle boots',
  'striped cotton t-shirt for men',
  'navy wool coat with hood',
  'white sneakers',
  'floral blouse with long sleeves',
  'grey pullover',
  'denim shorts',
];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let encoders: EncoderSet;
  try {
    encoders = await createEncoders({
      adapter: args.adapter,
      modelsDir: args.modelsDir,
      clipModelDir: args.clipModelDir,
      intraOpThreads: args.threads,
      // Raw encoders: one model run per call. The micro-batcher is measured separately below.
      batching: false,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(for a run on the committed tiny models: --models-dir test/fixtures/tiny-manifest)`);
  }
  await encoders.warmUp();
  const text = encoders.textEncoder(encoders.versions.models.find((m) => m.role === 'text')!.name);
  const images = await photos(16, 400, 533);
  const { runs, warmup } = args;
  const batchRuns = Math.max(5, Math.round(runs / 10));

  const batched = batchTextEncoder(text, { maxBatchSize: 64, maxDelayMs: 3 });
  const rows: Row[] = [];
  rows.push(await measure('text, 1 query', 1, runs, warmup, (i) => text.encode([QUERIES[i % QUERIES.length]])));
  rows.push(await measure('image, 1 photo (400x533 JPEG)', 1, runs, warmup, (i) => encoders.image.encode([images[i % images.length]])));
  const textBatch = Array.from({ length: 64 }, (_, i) => `${QUERIES[i % QUERIES.length]} ${i}`);
  rows.push(await measure('text, batch of 64', 64, batchRuns, 3, () => text.encode(textBatch)));
  const imageBatch = Array.from({ length: 32 }, (_, i) => images[i % images.length]);
  rows.push(await measure('image, batch of 32', 32, batchRuns, 3, () => encoders.image.encode(imageBatch)));
  if (encoders.fusion) {
    const [iv] = await encoders.image.encode([images[0]]);
    const [tv] = await text.encode(['in blue']);
    rows.push(await measure('fusion, 1 pair', 1, runs, warmup, () => encoders.fusion!.fuse([{ image: iv, text: tv }])));
  }
  rows.push(
    await measure('text, 64 concurrent callers via micro-batcher', 64, batchRuns, 3, () =>
      Promise.all(textBatch.map((t) => batched.encode([t]))),
    ),
  );

  const result = {
    benchmark: 'encoders',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    adapter: encoders.adapter,
    intraOpThreads: args.threads,
    runs,
    warmup,
    models: encoders.versions,
    rows,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'encoders.json'), `${JSON.stringify(result, null, 2)}\n`);

  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  const models = encoders.versions.models.map((m) => `${m.role} ${m.name}@${m.version}`).join(', ');
  console.log(`Encoders (${encoders.adapter}; ${models}; index ${encoders.versions.index.key}); ${result.machine.cpus} CPUs, ${args.threads} intra-op threads, ${runs} runs after ${warmup} warm-up\n`);
  console.log('| case | items/call | p50 ms | p95 ms | CPU ms/item | items/s |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.case} | ${r.items} | ${f(r.p50Ms)} | ${f(r.p95Ms)} | ${f(r.cpuMsPerItem)} | ${f(r.itemsPerSecond)} |`);
  console.log(`\nWrote ${join(dir, 'encoders.json')}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
