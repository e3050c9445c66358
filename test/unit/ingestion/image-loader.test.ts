import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InvalidInputError, PayloadTooLargeError } from '../../../src/domain/errors';
import { detectImageFormat, IMAGE_URL_REFUSED, ImageLoader, isPrivateAddress, MAX_IMAGE_URL_LENGTH } from '../../../src/ingestion/image-loader';
import { addressRefusal } from '../../../src/ingestion/network-address.policy';
import { fakeImage } from '../fakes/fake-encoders';

describe('detectImageFormat', () => {
  it.each([
    ['jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0])],
    ['png', fakeImage('x')],
    ['webp', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])],
    ['gif', Buffer.from('GIF89a....')],
    ['avif', Buffer.concat([Buffer.alloc(4), Buffer.from('ftypavif')])],
    ['tiff', Buffer.from('II*\u0000rest')],
  ])('%s', (format, bytes) => {
    expect(detectImageFormat(bytes)).toBe(format);
  });
  it('rejects text', () => {
    expect(detectImageFormat(Buffer.from('<svg></svg>'))).toBeNull();
  });
});

/** Expects the one generic refusal, with nothing about the network in the message or the details. */
async function expectRefused(load: Promise<unknown>, what = 'input.image') {
  const error = await load.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).message).toBe(`${what}.url: ${IMAGE_URL_REFUSED}`);
  expect((error as InvalidInputError).message).toMatch(/^input\.image\.url: the image could not be fetched from that URL; give a public http\(s\) URL that serves an image$/);
  expect((error as InvalidInputError).details).toEqual({ argument: `${what}.url` });
}

describe('ImageLoader', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let port: number;
  const requests: { url: string; host: string | undefined }[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-loader-'));
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', host: req.headers.host });
      const png = { 'content-type': 'image/png' };
      if (req.url === '/ok.png') res.writeHead(200, png).end(fakeImage('ok'));
      else if (req.url === '/redirect.png') res.writeHead(302, { location: '/ok.png' }).end();
      else if (req.url?.startsWith('/hops/')) {
        const n = Number(req.url.slice('/hops/'.length));
        res.writeHead(n > 0 ? 307 : 200, n > 0 ? { location: `/hops/${n - 1}` } : png).end(n > 0 ? undefined : fakeImage('hops'));
      } else if (req.url === '/to-loopback') res.writeHead(301, { location: `http://[::ffff:7f00:1]:${port}/ok.png` }).end();
      else if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (req.url === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (req.url === '/no-location') res.writeHead(302).end();
      else if (req.url === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      else if (req.url === '/untyped') res.writeHead(200).end(fakeImage('untyped'));
      else if (req.url === '/gzip') res.writeHead(200, { ...png, 'content-encoding': 'gzip' }).end(fakeImage('z'));
      else if (req.url === '/big.png') res.writeHead(200, png).end(Buffer.concat([fakeImage('x'), Buffer.alloc(5000)]));
      else if (req.url === '/stream.png') {
        res.writeHead(200, png);
        res.write(fakeImage('x'));
        const t = setInterval(() => res.write(Buffer.alloc(1000)), 5);
        res.on('close', () => clearInterval(t));
      } else if (req.url === '/slow.png') {
        const t = setTimeout(() => res.writeHead(200, png).end(fakeImage('late')), 1500);
        res.on('close', () => clearTimeout(t));
      } else if (req.url === '/trickle.png') {
        res.writeHead(200, png);
        const t = setInterval(() => res.write(Buffer.alloc(1)), 50);
        res.on('close', () => clearInterval(t));
      } else res.writeHead(404).end('not here: /internal/admin');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    requests.length = 0;
  });
  const loader = (fetchTimeoutMs = 3000) => new ImageLoader({ maxBytes: 2000, fetchTimeoutMs, allowedDir: dir, allowPrivateNetworks: true });
  /** Strict policy, except that this test's server at 127.0.0.1 stands for a public host. */
  const asIfPublic = (logger?: { warn: jest.Mock }) =>
    new ImageLoader({
      maxBytes: 2000,
      fetchTimeoutMs: 3000,
      allowedDir: null,
      addressPolicy: (a) => (a === '127.0.0.1' ? null : addressRefusal(a)),
      logger,
    });

  it('fetches an http URL', async () => {
    expect(await loader().load({ url: `${base}/ok.png` })).toEqual(fakeImage('ok'));
  });

  it('resolves a name once and connects to the resolved address, keeping the host name', async () => {
    const resolve = jest.fn(async () => [{ address: '127.0.0.1', family: 4 as const }]);
    // .invalid never resolves through the system: the bytes can only come through the pinned address.
    const pinned = new ImageLoader({ maxBytes: 2000, fetchTimeoutMs: 3000, allowedDir: null, addressPolicy: () => null, resolve });
    expect(await pinned.load({ url: `http://images.shop.invalid:${port}/ok.png` })).toEqual(fakeImage('ok'));
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(resolve).toHaveBeenCalledWith('images.shop.invalid');
    expect(requests).toEqual([{ url: '/ok.png', host: `images.shop.invalid:${port}` }]);
  });

  it('over https, connects to the resolved address and still verifies the certificate for the host name', async () => {
    const fixtures = path.resolve(__dirname, '../../fixtures/tls');
    const cert = readFileSync(path.join(fixtures, 'images.shop.test.crt'));
    const tls = createHttpsServer({ key: readFileSync(path.join(fixtures, 'images.shop.test.key')), cert }, (req, res) => {
      const sni = (req.socket as TLSSocket).servername;
      res.writeHead(200, { 'content-type': 'image/png' }).end(fakeImage(`sni=${sni} host=${req.headers.host}`));
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const tlsPort = (tls.address() as AddressInfo).port;
    const via = (ca?: Buffer) =>
      new ImageLoader({ maxBytes: 2000, fetchTimeoutMs: 3000, allowedDir: null, addressPolicy: () => null, ca, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    try {
      expect(await via(cert).load({ url: `https://images.shop.test:${tlsPort}/x.png` })).toEqual(fakeImage(`sni=images.shop.test host=images.shop.test:${tlsPort}`));
      // Not trusted, and trusted but for another name: both refused.
      const warn = jest.fn();
      await expectRefused(new ImageLoader({ maxBytes: 2000, fetchTimeoutMs: 3000, allowedDir: null, addressPolicy: () => null, logger: { warn }, resolve: async () => [{ address: '127.0.0.1', family: 4 }] }).load({ url: `https://images.shop.test:${tlsPort}/x.png` }, 'input.image'));
      expect(warn.mock.calls[0][1].reason).toMatch(/self-signed certificate/);
      await expectRefused(via(cert).load({ url: `https://other.shop.test:${tlsPort}/x.png` }, 'input.image'));
    } finally {
      tls.closeAllConnections();
      await new Promise((r) => tls.close(r));
    }
  });

  it('refuses a name when any of its addresses is blocked, before connecting', async () => {
    const warn = jest.fn();
    const rebinding = new ImageLoader({
      maxBytes: 2000,
      fetchTimeoutMs: 3000,
      allowedDir: null,
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
      logger: { warn },
    });
    await expectRefused(rebinding.load({ url: `http://cdn.example.com:${port}/ok.png` }, 'input.image'));
    expect(requests).toEqual([]);
    expect(warn).toHaveBeenCalledWith('image URL refused', expect.objectContaining({ reason: expect.stringMatching(/127\.0\.0\.1: loopback/) }));
  });

  it('follows up to 3 redirects and refuses a fourth', async () => {
    expect(await loader().load({ url: `${base}/redirect.png` })).toEqual(fakeImage('ok'));
    expect(await loader().load({ url: `${base}/hops/3` })).toEqual(fakeImage('hops'));
    await expectRefused(loader().load({ url: `${base}/hops/4` }, 'input.image'));
  });

  it.each([
    ['to a loopback address', '/to-loopback', /resolves to ::ffff:7f00:1: IPv4-mapped/],
    ['to the metadata service', '/to-metadata', /resolves to 169\.254\.169\.254: cloud metadata/],
    ['to a file URL', '/to-file', /scheme file: is not http/],
    ['without a location', '/no-location', /without a location/],
  ])('refuses a redirect %s, checked like the first URL', async (_name, p, reason) => {
    const warn = jest.fn();
    await expectRefused(asIfPublic({ warn }).load({ url: `${base}${p}` }, 'input.image'));
    expect(requests.map((r) => r.url)).toEqual([p]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][1].reason).toMatch(reason);
  });

  it.each([
    ['a 404 (the body names an internal path)', '/missing.png'],
    ['an HTML page', '/html'],
    ['an answer without a content type', '/untyped'],
    ['a compressed answer', '/gzip'],
  ])('refuses %s with the generic message', async (_name, p) => {
    await expectRefused(loader().load({ url: `${base}${p}` }, 'input.image'));
  });

  it.each([
    ['a body over the limit', '/big.png'],
    ['an endless stream', '/stream.png'],
  ])('cuts off %s', async (_name, p) => {
    const load = loader().load({ url: `${base}${p}` }, 'input.image');
    await expect(load).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(loader().load({ url: `${base}${p}` }, 'input.image')).rejects.toThrow(/limit is 2000 bytes/);
  });

  it('gives up on a slow server and on a slow body, within the deadline', async () => {
    for (const p of ['/slow.png', '/trickle.png']) {
      const started = Date.now();
      await expectRefused(loader(300).load({ url: `${base}${p}` }, 'input.image'));
      expect(Date.now() - started).toBeLessThan(1200);
    }
  });

  it('refuses a closed port with the same message as everything else', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expectRefused(loader().load({ url: `http://127.0.0.1:${closedPort}/x.png` }, 'input.image'));
  });

  it('refuses private and loopback hosts unless allowed', async () => {
    const strict = new ImageLoader({ maxBytes: 2000, fetchTimeoutMs: 3000, allowedDir: null });
    await expectRefused(strict.load({ url: `${base}/ok.png` }, 'input.image'));
    await expectRefused(strict.load({ url: 'http://[::1]:9/x.png' }, 'input.image'));
    expect(requests).toEqual([]);
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/x.png',
    'data:image/png;base64,iVBORw0KGgo=',
    'javascript:alert(1)',
    'gopher://127.0.0.1:70/',
    'http://user:secret@example.com/x.png',
  ])('refuses %s', async (url) => {
    await expectRefused(loader().load({ url }, 'input.image'));
  });

  it('explains malformed and overlong URLs', async () => {
    await expect(loader().load({ url: 'not a url' }, 'input.image')).rejects.toThrow(/input\.image\.url is not a valid URL/);
    await expect(loader().load({ url: `https://example.com/${'a'.repeat(MAX_IMAGE_URL_LENGTH)}` }, 'input.image')).rejects.toThrow(
      /input\.image\.url is 2068 characters long; the limit is 2048/,
    );
  });

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['::ffff:7f00:1', true],
    ['64:ff9b::7f00:1', true],
    ['8.8.8.8', false],
  ])('isPrivateAddress(%s) = %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('decodes base64 and data URLs, and checks the format', async () => {
    const png = fakeImage('b64');
    expect(await loader().load({ base64: png.toString('base64') })).toEqual(png);
    expect(await loader().load({ base64: `data:image/png;base64,${png.toString('base64')}` })).toEqual(png);
    await expect(loader().load({ base64: Buffer.from('plain text').toString('base64') })).rejects.toThrow(/not a supported image/);
    await expect(loader().load({ base64: 'a!b' })).rejects.toThrow(/not valid base64/);
    await expect(loader().load({ base64: Buffer.alloc(3000).toString('base64') })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(loader().load({ base64: '' })).rejects.toThrow(/empty/);
  });

  it('reads paths only inside the allowed directory', async () => {
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'sub', 'a.png'), fakeImage('file'));
    writeFileSync(path.join(tmpdir(), `outside-${process.pid}.png`), fakeImage('outside'));
    symlinkSync(path.join(tmpdir(), `outside-${process.pid}.png`), path.join(dir, 'link.png'));
    try {
      expect(await loader().load({ path: 'sub/a.png' })).toEqual(fakeImage('file'));
      for (const p of ['../x.png', '/etc/passwd', 'link.png']) {
        const error = await loader().load({ path: p }).catch((e: Error) => e);
        expect((error as Error).message).toMatch(/inside the server's image directory/);
        // The server's directory layout is not the client's business.
        expect((error as Error).message).not.toContain(dir);
      }
      await expect(loader().load({ path: 'sub/a\u0000.png' })).rejects.toThrow(/control character/);
      await expect(loader().load({ path: 'x'.repeat(1025) })).rejects.toThrow(/1025 characters long; the limit is 1024/);
      await expect(loader().load({ path: 'sub' })).rejects.toThrow(/not a file/);
      await expect(loader().load({ path: 'nope.png' })).rejects.toThrow(/no such file/);
    } finally {
      rmSync(path.join(tmpdir(), `outside-${process.pid}.png`), { force: true });
    }
    const noPaths = new ImageLoader({ maxBytes: 2000, fetchTimeoutMs: 200, allowedDir: null });
    await expect(noPaths.load({ path: 'sub/a.png' })).rejects.toThrow(/path is not accepted here/);
  });

  it('wants exactly one source', async () => {
    await expect(loader().load({}, 'input.image')).rejects.toThrow(/input.image: give exactly one image source/);
    await expect(loader().load({ url: 'http://x', base64: 'AAAA' })).rejects.toThrow(/not url and base64/);
  });
});
