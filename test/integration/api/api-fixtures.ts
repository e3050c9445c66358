/** Helpers of the API integration tests: a small catalogue, fake encoders and HTTP calls. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import * as path from 'node:path';
import sharp from 'sharp';
import { ApiKeyStore } from '../../../src/auth/api-key.store';
import type { Role } from '../../../src/auth/roles';
import type { Application, Encoders } from '../../../src/main';
import { DIM, fakeImage, FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../../unit/fakes/fake-encoders';

const COLORS = ['red', 'navy', 'green'];
const CATS = ['shirt', 'dress'];

export function writeCatalog(dir: string, n: number) {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `p-${i}`;
    const color = COLORS[i % 3];
    const cat = CATS[i % 2];
    lines.push(
      JSON.stringify({
        id,
        title: `${color} ${cat}`,
        description: `A ${color} ${cat}. Art. no. XY${1000 + i}`,
        brand: i % 2 ? 'Fennel' : 'Corvo',
        price: 10 + i,
        currency: 'EUR',
        inStock: i % 4 !== 0,
        attributes: { color: [color], category: [cat], brand: [i % 2 ? 'Fennel' : 'Corvo'] },
        image: `images/${id}.png`,
      }),
    );
    writeFileSync(path.join(dir, 'images', `${id}.png`), fakeImage(`${color} ${cat}`));
  }
  writeFileSync(path.join(dir, 'products.jsonl'), lines.join('\n'));
}

export function fakeEncoders(indexKey = 'fake-space@1.0.0'): Encoders {
  return {
    text: new FakeTextEncoder(),
    image: new FakeImageEncoder(),
    fusion: new FakeFusionEncoder(),
    dim: DIM,
    indexKey,
    models: [{ name: 'fake', version: '1', role: 'text' }],
    warmUp: async () => undefined,
    registry: null,
  };
}

export function http(app: Application, method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request(`${app.url}${p}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const gql = async (app: Application, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  const r = await http(app, 'POST', '/graphql', JSON.stringify({ query, variables }), { 'content-type': 'application/json', ...headers });
  return { status: r.status, json: JSON.parse(r.body.toString()), headers: r.headers };
};

/** Creates an API key in a data directory, as `npm run keys -- create` does; returns the key. */
export function createKey(dataDir: string, roles: Role[], name?: string): string {
  const store = new ApiKeyStore(ApiKeyStore.fileIn(dataDir));
  try {
    return store.create({ roles, name }).key;
  } finally {
    store.close();
  }
}

/** The header that sends a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const COLOURS: Record<string, [number, number, number]> = { red: [200, 30, 30], navy: [20, 30, 110], green: [30, 150, 60] };

/** A catalogue of `n` products with real (solid-colour PNG) images, which the ONNX image tower can read. */
export async function writeImageCatalog(dir: string, n: number): Promise<void> {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const lines: string[] = [];
  const names = Object.keys(COLOURS);
  for (let i = 0; i < n; i++) {
    const color = names[i % 3];
    const category = i % 2 ? 'shirt' : 'dress';
    const [r, g, b] = COLOURS[color];
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g, b } } }).png().toFile(path.join(dir, 'images', `p-${i}.png`));
    lines.push(JSON.stringify({ id: `p-${i}`, title: `${color} ${category}`, description: `A ${color} ${category}.`, brand: 'Fennel', price: 10 + i, currency: 'EUR', inStock: true, attributes: { color: [color], category: [category] }, image: `images/p-${i}.png` }));
  }
  writeFileSync(path.join(dir, 'products.jsonl'), lines.join('\n'));
}
