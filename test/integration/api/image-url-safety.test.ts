/**
 * Image URLs cannot be turned against the server's network: over HTTP, through the whole wiring of
 * src/main.ts (real embedded store, fake encoders), with a real image server on this machine that
 * listens on IPv4 and IPv6 loopback. Strictly configured, every spelling of loopback is refused
 * before a connection is made, with one generic message; with IMAGE_URL_ALLOW_PRIVATE the same
 * URLs work, and the other guards (content type, byte cap, redirects) still hold. Redirects to
 * blocked addresses are checked with the real fetcher against the same server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/config/logger';
import { IMAGE_URL_REFUSED, ImageLoader } from '../../../src/ingestion/image-loader';
import { addressRefusal } from '../../../src/ingestion/network-address.policy';
import { startApplication, type Application } from '../../../src/main';
import { fakeImage } from '../../unit/fakes/fake-encoders';
import { fakeEncoders, gql, writeCatalog } from './api-fixtures';

const SEARCH = `query($url: String!) { search(input: { image: { url: $url }, first: 2 }) { mode totalCount } }`;
const GENERIC = `input.image.url: ${IMAGE_URL_REFUSED}`;

describe('image URLs over HTTP', () => {
  let dir: string;
  let images: Server;
  let port: number;
  const seen: string[] = [];
  let strict: Application;
  let open: Application;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-image-urls-'));
    writeCatalog(path.join(dir, 'catalog'), 6);
    images = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/ok.png') res.writeHead(200, { 'content-type': 'image/png' }).end(fakeImage('red shirt'));
      else if (req.url === '/page.html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>internal admin</html>');
      else if (req.url === '/big.png') res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([fakeImage('big'), Buffer.alloc(10_000)]));
      else if (req.url === '/endless.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(fakeImage('endless'));
        const t = setInterval(() => res.write(Buffer.alloc(2048)), 2);
        res.on('close', () => clearInterval(t));
      } else if (req.url === '/hop') res.writeHead(302, { location: '/ok.png' }).end();
      else if (req.url === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (req.url === '/to-loopback') res.writeHead(302, { location: `http://[::ffff:7f00:1]:${port}/ok.png` }).end();
      else if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
      else if (req.url === '/to-nat64') res.writeHead(302, { location: `http://[64:ff9b::7f00:1]:${port}/ok.png` }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => images.listen(0, '::', r));
    port = (images.address() as AddressInfo).port;
    const start = (name: string, env: Record<string, string>) =>
      startApplication(
        loadConfig({
          PORT: '0',
          DATA_DIR: path.join(dir, name),
          CATALOG_DIR: path.join(dir, 'catalog'),
          MAX_IMAGE_BYTES: '4096',
          MAX_BODY_BYTES: '65536',
          IMAGE_FETCH_TIMEOUT_MS: '2000',
          LOG_LEVEL: 'silent',
          ...env,
        }),
        createLogger('silent'),
        { encoders: fakeEncoders() },
      );
    strict = await start('strict', {});
    open = await start('open', { IMAGE_URL_ALLOW_PRIVATE: 'true' });
    await Promise.all([strict.ready, open.ready]);
  });

  afterAll(async () => {
    await strict?.close();
    await open?.close();
    images.closeAllConnections();
    await new Promise((r) => images.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen.length = 0;
  });

  const spellings = () => [
    `http://127.0.0.1:${port}/ok.png`,
    `http://[::1]:${port}/ok.png`,
    `http://[::ffff:127.0.0.1]:${port}/ok.png`,
    `http://[::ffff:7f00:1]:${port}/ok.png`,
    `http://2130706433:${port}/ok.png`,
    `http://0x7f000001:${port}/ok.png`,
    `http://127.1:${port}/ok.png`,
    `http://0177.0.0.1:${port}/ok.png`,
    `http://localhost:${port}/ok.png`,
    `http://LOCALHOST.:${port}/ok.png`,
    `http://[0:0:0:0:0:0:0:1]:${port}/ok.png`,
    `http://[::127.0.0.1]:${port}/ok.png`,
    `http://[64:ff9b::7f00:1]:${port}/ok.png`,
  ];

  it('refuses loopback in every spelling with one generic message, without connecting', async () => {
    for (const url of spellings()) {
      const r = await gql(strict, SEARCH, { url });
      expect({ url, error: r.json.errors?.[0] }).toEqual({ url, error: expect.objectContaining({ message: GENERIC, extensions: { argument: 'input.image.url', code: 'BAD_USER_INPUT' } }) });
    }
    expect(seen).toEqual([]);
  });

  it('refuses other internal targets the same way', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://10.0.0.1/', 'http://0.0.0.0:22/', 'file:///etc/passwd', 'gopher://localhost:25/']) {
      const r = await gql(strict, SEARCH, { url });
      expect(r.json.errors?.[0].message).toBe(GENERIC);
    }
  });

  it('fetches the same URLs when private networks are allowed (IMAGE_URL_ALLOW_PRIVATE)', async () => {
    // IPv4-compatible and NAT64 forms have no route here, and resolvers differ on "localhost.".
    const reachable = spellings().filter((u) => !u.includes('::127.0.0.1]') && !u.includes('64:ff9b') && !u.includes('LOCALHOST.'));
    for (const url of reachable) {
      const r = await gql(open, SEARCH, { url });
      expect({ url, errors: r.json.errors }).toEqual({ url, errors: undefined });
      expect(r.json.data.search.mode).toBe('IMAGE');
    }
    expect(seen).toHaveLength(reachable.length);
  });

  it('still refuses a non-image content type and cuts off a body over MAX_IMAGE_BYTES', async () => {
    const html = await gql(open, SEARCH, { url: `http://127.0.0.1:${port}/page.html` });
    expect(html.json.errors[0]).toMatchObject({ message: GENERIC, extensions: { code: 'BAD_USER_INPUT' } });
    expect(JSON.stringify(html.json)).not.toContain('internal admin');
    for (const p of ['/big.png', '/endless.png']) {
      const big = await gql(open, SEARCH, { url: `http://127.0.0.1:${port}${p}` });
      expect(big.json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
      expect(big.json.errors[0].message).toMatch(/^input\.image is \d+ bytes; the limit is 4096 bytes \(MAX_IMAGE_BYTES\)$/);
    }
  });

  it('follows a redirect and refuses one to another scheme', async () => {
    expect((await gql(open, SEARCH, { url: `http://127.0.0.1:${port}/hop` })).json.errors).toBeUndefined();
    expect((await gql(open, SEARCH, { url: `http://127.0.0.1:${port}/to-file` })).json.errors[0].message).toBe(GENERIC);
  });

  it('refuses redirects to blocked addresses, checked like the first URL', async () => {
    const reasons: string[] = [];
    // The image server at 127.0.0.1 stands for a public host; every other address follows the policy.
    const loader = new ImageLoader({
      maxBytes: 4096,
      fetchTimeoutMs: 2000,
      allowedDir: null,
      addressPolicy: (a) => (a === '127.0.0.1' ? null : addressRefusal(a)),
      logger: { warn: (_m, f) => reasons.push(String(f?.reason)) },
    });
    expect(await loader.load({ url: `http://127.0.0.1:${port}/hop` })).toEqual(fakeImage('red shirt'));
    for (const p of ['/to-loopback', '/to-metadata', '/to-nat64']) {
      await expect(loader.load({ url: `http://127.0.0.1:${port}${p}` }, 'input.image')).rejects.toThrow(GENERIC);
    }
    expect(reasons).toEqual([
      expect.stringMatching(/::ffff:7f00:1: IPv4-mapped/),
      expect.stringMatching(/169\.254\.169\.254: cloud metadata/),
      expect.stringMatching(/64:ff9b::7f00:1: NAT64 address embedding 127\.0\.0\.1/),
    ]);
    expect(seen.filter((u) => u === '/ok.png')).toHaveLength(1);
  });
});
