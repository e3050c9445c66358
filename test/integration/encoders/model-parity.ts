import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { dot } from '../../../src/domain/embedding';
import type { TextModelEntry } from '../../../src/encoders/manifest';
import { ModelRegistry } from '../../../src/encoders/model-registry';
import { loadTokenizer, type Tokenize } from '../../../src/encoders/onnx/onnx-text.encoder';

interface Golden {
  text: { model: string; text: string; input_ids: number[]; embedding: number[] }[];
  image: { model: string; file: string; embedding: number[] }[];
  fusion: { model: string; image_embedding: number[]; text_embedding: number[]; embedding: number[] }[];
}

const MIN_COSINE = 0.9999;
const cosine = (a: Float32Array, b: number[]) => {
  const v = Float32Array.from(b);
  return dot(a, v) / Math.sqrt(dot(a, a) * dot(v, v));
};
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

/**
 * Checks a models folder (manifest.json, ONNX towers, golden/golden.json and the tokenizer cases written by
 * training) through the TypeScript encoders: identical token ids, and embeddings within cosine 0.9999 of PyTorch.
 * A missing or broken folder fails every test.
 */
export function describeModelParity(label: string, modelsDir: string, options: { minTokenizerCases: number }): void {
  describe(label, () => {
    let registry: ModelRegistry;
    let golden: Golden;

    beforeAll(async () => {
      registry = await ModelRegistry.open(modelsDir, { intraOpThreads: 1 });
      golden = JSON.parse(await fs.readFile(path.join(modelsDir, 'golden', 'golden.json'), 'utf8'));
    });

    const textEntries = () => registry.manifest.models.filter((m): m is TextModelEntry => m.role === 'text');

    it('has a tokenizer-cases.json for the default text model, and transformers.js gives identical ids for every case', async () => {
      const defaultEntry = registry.entry(registry.manifest.defaults.text) as TextModelEntry;
      const dirs = [...new Set([defaultEntry.tokenizer.dir, ...textEntries().map((m) => m.tokenizer.dir)])];
      let checked = 0;
      for (const dir of dirs) {
        const file = path.join(modelsDir, dir, 'tokenizer-cases.json');
        const exists = await fs.access(file).then(() => true, () => false);
        if (!exists && dir !== defaultEntry.tokenizer.dir) continue;
        const cases: { text: string; ids: number[] }[] = JSON.parse(await fs.readFile(file, 'utf8'));
        if (dir === defaultEntry.tokenizer.dir) expect(cases.length).toBeGreaterThanOrEqual(options.minTokenizerCases);
        const maxLength = Math.max(...textEntries().filter((m) => m.tokenizer.dir === dir).map((m) => m.tokenizer.maxLength));
        const tokenize: Tokenize = await loadTokenizer(path.join(modelsDir, dir), dir);
        const mismatches: string[] = [];
        for (const c of cases) {
          let ids = Array.from(tokenize([c.text], { padding: false, truncation: false, max_length: maxLength }).input_ids.data, Number);
          if (ids.length > c.ids.length && c.ids.length === maxLength) {
            ids = Array.from(tokenize([c.text], { padding: false, truncation: true, max_length: maxLength }).input_ids.data, Number);
          }
          if (JSON.stringify(ids) !== JSON.stringify(c.ids)) mismatches.push(`${JSON.stringify(c.text)}: expected [${c.ids}] got [${ids}]`);
          checked++;
        }
        expect(mismatches).toEqual([]);
      }
      expect(checked).toBeGreaterThanOrEqual(options.minTokenizerCases);
    });

    it('text towers match PyTorch (ids identical, cosine >= 0.9999)', async () => {
      expect(golden.text.length).toBeGreaterThan(0);
      expect(golden.text.some((g) => g.model === registry.manifest.defaults.text)).toBe(true);
      const failures: string[] = [];
      for (const g of golden.text) {
        const encoder = registry.textEncoder(g.model);
        const ids = await encoder.tokenize(g.text);
        if (JSON.stringify(ids) !== JSON.stringify(g.input_ids)) failures.push(`${g.model} ${JSON.stringify(g.text)}: ids [${ids}] vs [${g.input_ids}]`);
        const [v] = await encoder.encode([g.text]);
        expect(v).toHaveLength(registry.entry(g.model).dim);
        const c = cosine(v, g.embedding);
        if (!(c >= MIN_COSINE)) failures.push(`${g.model} ${JSON.stringify(g.text)}: cosine ${c}`);
      }
      expect(failures).toEqual([]);
    });

    it('image tower matches PyTorch (cosine >= 0.9999)', async () => {
      expect(golden.image.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const g of golden.image) {
        const [v] = await registry.imageEncoder(g.model).encode([await fs.readFile(path.join(modelsDir, g.file))]);
        const c = cosine(v, g.embedding);
        if (!(c >= MIN_COSINE)) failures.push(`${g.model} ${g.file}: cosine ${c}`);
      }
      expect(failures).toEqual([]);
    });

    it('fusion tower matches PyTorch (cosine >= 0.9999)', async () => {
      if (registry.manifest.defaults.fusion === null) {
        expect(golden.fusion ?? []).toEqual([]);
        return;
      }
      expect(golden.fusion.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const g of golden.fusion) {
        const [v] = await registry.fusionEncoder(g.model)!.fuse([{ image: Float32Array.from(g.image_embedding), text: Float32Array.from(g.text_embedding) }]);
        const c = cosine(v, g.embedding);
        if (!(c >= MIN_COSINE)) failures.push(`${g.model}: cosine ${c}`);
      }
      expect(failures).toEqual([]);
    });

    it('batched and single runs agree, outputs are unit length and of the index dimension', async () => {
      const texts = ['red dress', 'black leather ankle boots with a long description of the heel and the sole', 'T-shirt', 'Naïve café pullover'];
      const text = registry.textEncoder();
      const batch = await text.encode(texts);
      for (let i = 0; i < texts.length; i++) {
        const [single] = await text.encode([texts[i]]);
        expect(batch[i]).toHaveLength(registry.index.dim);
        expect(norm(batch[i])).toBeCloseTo(1, 4);
        expect(cosine(batch[i], Array.from(single))).toBeGreaterThanOrEqual(MIN_COSINE);
      }
      const files = await Promise.all(golden.image.slice(0, 3).map((g) => fs.readFile(path.join(modelsDir, g.file))));
      const images = await registry.imageEncoder().encode(files);
      for (let i = 0; i < files.length; i++) {
        const [single] = await registry.imageEncoder().encode([files[i]]);
        expect(norm(images[i])).toBeCloseTo(1, 4);
        expect(cosine(images[i], Array.from(single))).toBeGreaterThanOrEqual(MIN_COSINE);
      }
    });
  });
}
