// onnxruntime-node for the Python side (training/attributes.py), which has no ONNX runtime of its own.
//
//   node training/parity/onnx-runtime.mjs run MODEL.onnx INPUT_NAME IN.bin D1,D2,... OUT_PREFIX
//     runs MODEL on one float32 input (little-endian, shape D1,D2,...) and writes every output to
//     OUT_PREFIX.<output name>.bin (float32); prints {"outputs": {name: shape}}.
//   node training/parity/onnx-runtime.mjs embed-images MODELS_DIR MODEL_NAME LIST.txt OUT.bin
//     decodes each image path of LIST.txt (one per line) exactly as the server does
//     (src/encoders/image/image-decoder.ts: rotate, flatten on the background, resize with the
//     manifest's fit, sRGB, no alpha), normalises as the manifest's preprocessing says and writes
//     the model's embeddings to OUT.bin (float32 [n, dim]); prints {"count", "dim"}.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const floats = (file) => {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const write = (file, data) => writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));

const [mode, ...args] = process.argv.slice(2);
if (mode === 'run') {
  const [model, input, inFile, dims, prefix] = args;
  const shape = dims.split(',').map(Number);
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ [input]: new ort.Tensor('float32', floats(inFile), shape) });
  const shapes = {};
  for (const [name, t] of Object.entries(out)) {
    write(`${prefix}.${name}.bin`, t.data);
    shapes[name] = t.dims;
  }
  console.log(JSON.stringify({ outputs: shapes }));
} else if (mode === 'embed-images') {
  const [modelsDir, name, listFile, outFile] = args;
  const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8'));
  const m = manifest.models.find((e) => e.name === name);
  const p = m.preprocessing;
  const bg = { r: p.background[0], g: p.background[1], b: p.background[2] };
  const scale = p.scale ?? 255;
  const session = await ort.InferenceSession.create(join(modelsDir, m.file));
  const paths = readFileSync(listFile, 'utf8').split('\n').filter((l) => l.length > 0);
  const hw = p.size * p.size;
  const out = new Float32Array(paths.length * m.dim);
  const batch = 64;
  for (let s = 0; s < paths.length; s += batch) {
    const part = paths.slice(s, s + batch);
    const x = new Float32Array(part.length * 3 * hw);
    await Promise.all(part.map(async (file, k) => {
      const { data } = await sharp(readFileSync(file), { failOn: 'error', animated: false }).rotate().flatten({ background: bg })
        .resize(p.size, p.size, { fit: p.fit ?? 'contain', position: 'centre', background: { ...bg, alpha: 1 } })
        .toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
      for (let i = 0; i < hw; i++) for (let c = 0; c < 3; c++) x[k * 3 * hw + c * hw + i] = (data[i * 3 + c] / scale - p.mean[c]) / p.std[c];
    }));
    const r = await session.run({ [m.inputs[0].name]: new ort.Tensor('float32', x, [part.length, 3, p.size, p.size]) });
    out.set(r[m.outputs[0].name].data, s * m.dim);
  }
  write(outFile, out);
  console.log(JSON.stringify({ count: paths.length, dim: m.dim }));
} else {
  console.error('usage: onnx-runtime.mjs run MODEL INPUT IN.bin DIMS OUT_PREFIX | embed-images MODELS_DIR NAME LIST OUT.bin');
  process.exit(2);
}
