/**
 * The space record of a set of gallery models (src/stores/vector-store.ts `SpaceRecord`): the
 * gallery key and, per gallery model, its name, version and the SHA-256 of its ONNX file, so a
 * model re-exported under the same version is still told apart.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import type { ModelRegistry } from '../encoders/model-registry';
import type { SpaceRecord } from '../stores/vector-store';

async function sha256(file: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

/** The record of one model file: its role, name, version and SHA-256 (null when unreadable). */
export async function modelRecord(role: string, name: string, version: string, file: string): Promise<SpaceRecord['models'][number]> {
  return { role, name, version, sha256: await sha256(file) };
}

/** The gallery models of a registry with their file hashes; without a registry (another model adapter), the models as named, no hash. */
export async function spaceModels(registry: ModelRegistry | null, models: { role: string; name: string; version: string }[]): Promise<SpaceRecord['models']> {
  if (!registry) return models.filter((m) => m.role === 'image' || m.role === 'text').map((m) => ({ role: m.role, name: m.name, version: m.version, sha256: null }));
  return Promise.all(
    registry.galleryModels().map(async (m) => ({
      role: m.role,
      name: m.name,
      version: m.version,
      sha256: await sha256(path.join(registry.modelsDir, registry.entry(m.name).file)),
    })),
  );
}

/**
 * Whether vectors recorded as embedded by `stored` were embedded by other weights than `running`
 * has: a gallery model of the same role whose file hash differs (a model retrained or re-exported
 * under the same name and version). Hashes unknown on either side do not count.
 */
export function otherWeights(stored: SpaceRecord['models'], running: SpaceRecord['models']): boolean {
  return running.some((r) => {
    const s = stored.find((m) => m.role === r.role);
    return s !== undefined && s.sha256 !== null && r.sha256 !== null && s.sha256 !== r.sha256;
  });
}

/** What names a gallery (its folder or collection): the key and the weights' hashes, so a retrained model under the same version gets a place of its own. */
export function spaceIdentity(key: string, models: SpaceRecord['models']): string {
  return [key, ...models.map((m) => `${m.role}:${m.sha256 ?? '-'}`)].join(' ');
}
