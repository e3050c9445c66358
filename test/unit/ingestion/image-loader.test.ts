import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InvalidInputError, PayloadTooLargeError, UnavailableError } from '../../../src/domain/errors';
import { detectImageFormat, ImageLoader, isPrivateAddress } from '../../../src/ingestion/image-loader';
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

describe('ImageLoader', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-loader-'));
    server = createServer((req, res) => {
      if (req.url === '/ok.png') res.writeHead(200, { 'content-type': 'image/png' }).end(fakeImage('ok'));
      else if (req.url === '/redirect.png') res.writeHead(302, { location: '/ok.png' }).end();
      else if (req.url === '/big.png') res.writeHead(200).end(Buffer.concat([fakeImage('x'), Buffer.alloc(5000)]));
      else if (req.url === '/stream.png') {
        res.writeHead(200);
        res.write(fakeImage('x'));
        const t = setInterval(() => res.write(Buffer.alloc(1000)), 5);
        res.on('close', () => clearInterval(t));
      } else if (req.url === '/slow.png') {
        const t = setTimeout(() => res.writeHead(200).end(fakeImage('late')), 1500);
        res.on('close', () => clearTimeout(t));
      }
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const loader = (fetchTimeoutMs = 3000) => new ImageLoader({ maxBytes: 2000, fetchTimeoutMs, allowedDir: dir, allowPrivateNetworks: true });

  it('fetches an http URL', async () => {
    expect(await loader().load({ url: `${base}/ok.png` })).toEqual(fakeImage('ok'));
  });

  it.each([
    ['a 404', '/missing.png', InvalidInputError, /answered HTTP 404/],
    ['a body over the limit', '/big.png', PayloadTooLargeError, /limit is 2000 bytes/],
    ['an endless stream', '/stream.png', PayloadTooLargeError, /limit is 2000 bytes/],
  ])('reports %s', async (_name, p, type, message) => {
    const load = loader().load({ url: `${base}${p}` });
    await expect(load).rejects.toBeInstanceOf(type);
    await expect(loader().load({ url: `${base}${p}` })).rejects.toThrow(message);
  });

  it('gives up on a slow server', async () => {
    const load = loader(300).load({ url: `${base}/slow.png` });
    await expect(load).rejects.toBeInstanceOf(UnavailableError);
    await expect(load).rejects.toThrow(/did not answer within 300 ms/);
  });

  it('refuses private and loopback hosts unless allowed, and redirects', async () => {
    const strict = new ImageLoader({ maxBytes: 2000, fetchTimeoutMs: 3000, allowedDir: null });
    await expect(strict.load({ url: `${base}/ok.png` })).rejects.toThrow(/private or loopback address/);
    await expect(strict.load({ url: 'http://[::1]:9/x.png' })).rejects.toThrow(/private or loopback address/);
    await expect(loader().load({ url: `${base}/redirect.png` })).rejects.toThrow(/redirects \(HTTP 302\)/);
  });

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['2001:db8::1', false],
  ])('isPrivateAddress(%s) = %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('refuses other schemes and malformed URLs', async () => {
    await expect(loader().load({ url: 'file:///etc/passwd' })).rejects.toThrow(/must use http or https, not file/);
    await expect(loader().load({ url: 'not a url' })).rejects.toThrow(/not a valid URL/);
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
      await expect(loader().load({ path: '../x.png' })).rejects.toThrow(/inside the image directory/);
      await expect(loader().load({ path: '/etc/passwd' })).rejects.toThrow(/inside the image directory/);
      await expect(loader().load({ path: 'link.png' })).rejects.toThrow(/inside the image directory/);
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
