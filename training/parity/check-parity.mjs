// Cross-checks a models directory written by training/ against the JavaScript runtime:
// transformers.js AutoTokenizer ids against each tokenizer folder's tokenizer-cases.json, and
// onnxruntime-node outputs against models/golden/golden.json (cosine >= 0.9999).
// Usage: node training/parity/check-parity.mjs [modelsDir]   (prints a JSON summary)
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { env, AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const root = resolve(process.argv[2] ?? 'models');
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
const golden = JSON.parse(readFileSync(join(root, 'golden', 'golden.json'), 'utf8'));
const byName = new Map(manifest.models.map((m) => [m.name, m]));
env.allowRemoteModels = false;
env.localModelPath = root + '/';

const cosine = (a, b) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
};
const sessions = new Map();
const session = async (name) => {
  if (!sessions.has(name)) sessions.set(name, await ort.InferenceSession.create(join(root, byName.get(name).file)));
  return sessions.get(name);
};
const summary = { tokenizer: { cases: 0, mismatches: [] }, text: [], image: [], fusion: [], minCosine: 1 };
const record = (kind, model, cos, extra = {}) => {
  summary[kind].push({ model, cosine: cos, ...extra });
  summary.minCosine = Math.min(summary.minCosine, cos);
};

const tokenizers = new Map();
for (const m of manifest.models.filter((e) => e.role === 'text')) {
  const dir = m.tokenizer.dir;
  if (!tokenizers.has(dir)) tokenizers.set(dir, await AutoTokenizer.from_pretrained(dir));
}
for (const [dir, tok] of tokenizers) {
  const casesFile = join(root, dir, 'tokenizer-cases.json');
  if (!existsSync(casesFile)) continue;
  for (const c of JSON.parse(readFileSync(casesFile, 'utf8'))) {
    const ids = Array.from(tok(c.text).input_ids.data, Number);
    summary.tokenizer.cases++;
    if (JSON.stringify(ids) !== JSON.stringify(c.ids)) summary.tokenizer.mismatches.push({ text: c.text, python: c.ids, js: ids });
  }
}

for (const g of golden.text) {
  const m = byName.get(g.model);
  const tok = tokenizers.get(m.tokenizer.dir);
  const ids = Array.from(tok(g.text, { truncation: true, max_length: m.tokenizer.maxLength }).input_ids.data, Number);
  const n = ids.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, n]),
  };
  const out = await (await session(g.model)).run(feeds);
  record('text', g.model, cosine(out.embedding.data, g.embedding), { idsMatch: JSON.stringify(ids) === JSON.stringify(g.input_ids) });
}

// the same texts once more as one padded batch per model (batched inference must agree too)
const textModels = [...new Set(golden.text.map((g) => g.model))];
for (const name of textModels) {
  const rows = golden.text.filter((g) => g.model === name);
  const n = Math.max(...rows.map((g) => g.input_ids.length));
  const ids = new BigInt64Array(rows.length * n);
  const mask = new BigInt64Array(rows.length * n);
  rows.forEach((g, r) => g.input_ids.forEach((id, j) => { ids[r * n + j] = BigInt(id); mask[r * n + j] = 1n; }));
  const out = await (await session(name)).run({
    input_ids: new ort.Tensor('int64', ids, [rows.length, n]),
    attention_mask: new ort.Tensor('int64', mask, [rows.length, n]),
  });
  const d = out.embedding.dims[1];
  rows.forEach((g, r) => record('text', name, cosine(out.embedding.data.slice(r * d, (r + 1) * d), g.embedding), { batched: true, idsMatch: true }));
}

for (const g of golden.image) {
  const m = byName.get(g.model);
  const p = m.preprocessing;
  const { data, info } = await sharp(join(root, g.file)).flatten({ background: { r: p.background[0], g: p.background[1], b: p.background[2] } })
    .resize(p.size, p.size, { fit: p.fit, background: { r: p.background[0], g: p.background[1], b: p.background[2] } })
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const hw = info.width * info.height;
  const x = new Float32Array(3 * hw);
  for (let i = 0; i < hw; i++) for (let c = 0; c < 3; c++) x[c * hw + i] = (data[i * 3 + c] / p.scale - p.mean[c]) / p.std[c];
  const out = await (await session(g.model)).run({ pixel_values: new ort.Tensor('float32', x, [1, 3, p.size, p.size]) });
  record('image', g.model, cosine(out.embedding.data, g.embedding));
}

for (const g of golden.fusion) {
  const out = await (await session(g.model)).run({
    image_embedding: new ort.Tensor('float32', Float32Array.from(g.image_embedding), [1, g.image_embedding.length]),
    text_embedding: new ort.Tensor('float32', Float32Array.from(g.text_embedding), [1, g.text_embedding.length]),
  });
  record('fusion', g.model, cosine(out.embedding.data, g.embedding));
}

const ok = summary.tokenizer.mismatches.length === 0 && summary.minCosine >= 0.9999
  && summary.text.every((t) => t.idsMatch);
console.log(JSON.stringify({ ok, ...summary }));
process.exit(ok ? 0 : 1);
