/**
 * Start-up refuses unsafe fallbacks unless they are asked for: without a fusion model, composed
 * searches would average vectors, so the server does not start unless ALLOW_MEAN_FUSION=true.
 * Also the shutdown bound SHUTDOWN_TIMEOUT_MS.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { buildEncoders, checkFusion, startApplication } from '../../../src/main';
import { fakeEncoders } from '../../integration/api/api-fixtures';

const TINY = path.resolve(__dirname, '../../fixtures/tiny-manifest');

describe('ALLOW_MEAN_FUSION and SHUTDOWN_TIMEOUT_MS', () => {
  it('default to refusing the mean fallback and a 10 s drain', () => {
    expect(loadConfig({})).toMatchObject({ allowMeanFusion: false, shutdownTimeoutMs: 10_000 });
    expect(loadConfig({ ALLOW_MEAN_FUSION: 'true', SHUTDOWN_TIMEOUT_MS: '2500' })).toMatchObject({ allowMeanFusion: true, shutdownTimeoutMs: 2500 });
  });

  it.each([
    ['ALLOW_MEAN_FUSION', 'maybe', /ALLOW_MEAN_FUSION="maybe": expected true or false/],
    ['SHUTDOWN_TIMEOUT_MS', '-1', /SHUTDOWN_TIMEOUT_MS="-1": expected an integer from 0 to 600000/],
    ['SHUTDOWN_TIMEOUT_MS', '10s', /SHUTDOWN_TIMEOUT_MS="10s"/],
  ])('reports %s=%s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('a models directory without a fusion model', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'no-fusion-'));
    const manifest = JSON.parse(readFileSync(path.join(TINY, 'manifest.json'), 'utf8'));
    manifest.defaults.fusion = null;
    manifest.models = manifest.models.filter((m: { role: string }) => m.role !== 'fusion');
    // The model files are not copied: encoders load them lazily, which these tests never do.
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is flagged by buildEncoders, and the fixture with one is not', async () => {
    const without = await buildEncoders(loadConfig({ MODELS_DIR: dir }));
    expect(without.meanFusion?.reason).toMatch(/names no fusion model/);
    const withFusion = await buildEncoders(loadConfig({ MODELS_DIR: TINY }));
    expect(withFusion.meanFusion).toBeUndefined();
  });

  it('refuses to start with a message naming the switch, unless ALLOW_MEAN_FUSION=true', async () => {
    const encoders = await buildEncoders(loadConfig({ MODELS_DIR: dir }));
    const refused = (() => {
      try {
        checkFusion(encoders, loadConfig({}));
        return null;
      } catch (e) {
        return e as Error;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused!.message).toMatch(/image \+ modifier searches would average the image and text vectors/);
    expect(refused!.message).toMatch(/ALLOW_MEAN_FUSION=true/);
    expect(() => checkFusion(encoders, loadConfig({ ALLOW_MEAN_FUSION: 'true' }))).not.toThrow();
  });

  it('startApplication refuses before it opens a store or a port', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'no-fusion-data-'));
    try {
      const encoders = { ...fakeEncoders(), meanFusion: { reason: 'MODEL_ADAPTER=clip-hf has no fusion model' } };
      await expect(startApplication(loadConfig({ PORT: '0', DATA_DIR: data, LOG_LEVEL: 'silent' }), createLogger('silent'), { encoders })).rejects.toThrow(
        /MODEL_ADAPTER=clip-hf has no fusion model.*ALLOW_MEAN_FUSION=true/s,
      );
      expect(existsSync(path.join(data, 'catalog.sqlite'))).toBe(false);
      const allowed = await startApplication(loadConfig({ PORT: '0', DATA_DIR: data, CATALOG_DIR: data, LOG_LEVEL: 'silent', ALLOW_MEAN_FUSION: 'true' }), createLogger('silent'), { encoders });
      await allowed.close();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
