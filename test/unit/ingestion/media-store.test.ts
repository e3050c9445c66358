import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MediaStore, UPLOADS_URL_PREFIX } from '../../../src/ingestion/media-store';
import { fakeImage } from '../fakes/fake-encoders';

describe('MediaStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'media-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const nameOf = (bytes: Buffer) => `${createHash('sha256').update(bytes).digest('hex')}.png`;

  it('stores content-addressed and resolves the URL back to the file', async () => {
    const bytes = fakeImage('one');
    const url = await new MediaStore(dir).save(bytes, 'png');
    expect(url).toBe(`${UPLOADS_URL_PREFIX}${nameOf(bytes)}`);
    expect(readFileSync(new MediaStore(dir).resolve(url)!)).toEqual(bytes);
    expect(readdirSync(dir)).toEqual([nameOf(bytes)]);
  });

  it('saves the same image many times at once, in one store and across stores, leaving one complete file', async () => {
    const bytes = Buffer.concat([fakeImage('same'), Buffer.alloc(200_000, 7)]);
    const a = new MediaStore(dir);
    const b = new MediaStore(dir);
    const urls = await Promise.all([...Array.from({ length: 10 }, () => a.save(bytes, 'png')), ...Array.from({ length: 10 }, () => b.save(bytes, 'png'))]);
    expect(new Set(urls).size).toBe(1);
    expect(readdirSync(dir)).toEqual([nameOf(bytes)]);
    expect(readFileSync(path.join(dir, nameOf(bytes)))).toEqual(bytes);
  });

  it('is idempotent once written, and replaces a torn file of the wrong size', async () => {
    const bytes = fakeImage('torn');
    const store = new MediaStore(dir);
    writeFileSync(path.join(dir, nameOf(bytes)), bytes.subarray(0, 4));
    await store.save(bytes, 'png');
    expect(readFileSync(path.join(dir, nameOf(bytes)))).toEqual(bytes);
    await store.save(bytes, 'png');
    expect(readdirSync(dir)).toEqual([nameOf(bytes)]);
  });

  it('resolves only names it writes', () => {
    const store = new MediaStore(dir);
    expect(store.resolve('/media/uploads/../../etc/passwd')).toBeNull();
    expect(store.resolve('/media/other/x.png')).toBeNull();
    expect(store.resolve(`${UPLOADS_URL_PREFIX}${'a'.repeat(64)}.png`)).toBe(path.join(dir, `${'a'.repeat(64)}.png`));
  });
});
