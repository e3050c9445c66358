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
