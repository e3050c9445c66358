import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namesWordForWord, SeedJudgementSets } from '../../../src/evaluation/seed-judgement-sets';

/** Builds a tiny catalogue directory in the seed format. */
function buildCatalog(dir: string, withManifest = true): void {
  const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const products = [];
  for (const style of [0, 1]) {
    for (let v = 0; v < 3; v++) products.push({ id: `p-test-${style}-${v}`, styleId: `s-test-${style}`, split: 'test', variant: v, image: `images/p-test-${style}-${v}.webp` });
  }
  products.push({ id: 'p-train-0-0', styleId: 's-train-0', split: 'train', variant: 0, image: 'images/p-train-0-0.webp' });
  mkdirSync(join(dir, 'queries'), { recursive: true });
  mkdirSync(join(dir, 'outfits'), { recursive: true });
  writeFileSync(join(dir, 'products.jsonl'), lines(products));
  if (withManifest) writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ dataHash: { test: 'abc123', train: 'def' } }));
  writeFileSync(
    join(dir, 'queries', 'text-test.jsonl'),
    lines([
      { id: 'tq-0', split: 'test', text: 'red coat', stated: { category: 'coat', color: 'red' } },
      { id: 'tq-1', split: 'test', text: 'linen coat', stated: { category: 'coat', material: 'linen' } },
      { id: 'tq-2', split: 'test', text: 'warm coat', stated: { category: 'coat', colorFamily: 'warm' } },
      { id: 'tq-3', split: 'test', text: 'navy tee', stated: { category: 't-shirt', color: 'navy' } },
    ]),
  );
  writeFileSync(join(dir, 'queries', 'text-test.qrels'), 'tq-0 0 p-test-0-0 2\ntq-0 0 p-test-0-1 1\ntq-1 0 p-test-1-0 1\ntq-2 0 p-test-1-1 2\n');
  writeFileSync(join(dir, 'queries', 'composed-test.jsonl'), lines([{ id: 'cq-0', split: 'test', referenceId: 'p-test-0-0', modifier: 'in blue', targetId: 'p-test-0-1' }]));
  writeFileSync(join(dir, 'queries', 'realshot-test.jsonl'), lines([{ id: 'rq-0', split: 'test', productId: 'p-test-1-2', image: 'queries/realshot/rq-0.jpg' }]));
  writeFileSync(join(dir, 'queries', 'realshot-test.qrels'), 'rq-0 0 p-test-1-2 1\n');
  writeFileSync(join(dir, 'outfits', 'fitb.jsonl'), lines([{ id: 'of-0', split: 'test', items: ['p-test-0-0'], candidates: ['p-test-1-0', 'p-test-1-1'], answer: 'p-test-1-1' }]));
}

describe('SeedJudgementSets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eval-seed-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads text queries, graded qrels and the colour+category segments, literal and paraphrased', async () => {
    buildCatalog(dir);
    const set = await new SeedJudgementSets({ catalogDir: dir }).load('text');
    expect(set.queries).toEqual([
      { id: 'tq-0', text: 'red coat' },
      { id: 'tq-1', text: 'linen coat' },
      { id: 'tq-2', text: 'warm coat' },
      { id: 'tq-3', text: 'navy tee' },
    ]);
    expect(set.qrels.get('tq-0')).toEqual(new Map([['p-test-0-0', 2], ['p-test-0-1', 1]]));
    expect(set.segments).toEqual([
      { name: 'colour+category', queryIds: ['tq-0', 'tq-2', 'tq-3'] },
      { name: 'colour+category, literal', queryIds: ['tq-0', 'tq-2'] },
      { name: 'colour+category, paraphrased', queryIds: ['tq-3'] },
    ]);
    expect(set.dataHash).toBe('sha256:abc123');
  });

  it.each([
    ['blue ankle boots', 'ankle-boot', true],
    ['t shirt navy', 't-shirt', true],
    ['want charcoal t-shirt', 'charcoal', true],
    ['floral dresses', 'dress', true],
    ['light grey coat', 'light grey', true],
    ['navy tee', 't-shirt', false],
    ['long jackket', 'coat', false],
    ['redcoat', 'red', false],
    ['grey light coat', 'light grey', false],
    ['pale grey coat', 'light grey', false],
    ['coat', '', false],
  ])('%p names %p word for word: %p', (text, value, expected) => {
    expect(namesWordForWord(text, value)).toBe(expected);
  });

  it('composed queries judge the target and exclude the reference', async () => {
    buildCatalog(dir);
    const set = await new SeedJudgementSets({ catalogDir: dir }).load('composed');
    expect(set.queries).toEqual([{ id: 'cq-0', referenceId: 'p-test-0-0', modifier: 'in blue', excludeIds: ['p-test-0-0'] }]);
    expect(set.qrels.get('cq-0')).toEqual(new Map([['p-test-0-1', 1]]));
  });

  it('image queries are the base variants of test styles, judged by the style', async () => {
    buildCatalog(dir);
    const set = await new SeedJudgementSets({ catalogDir: dir }).load('image');
    expect(set.queries.map((q) => q.id)).toEqual(['iq-p-test-0-0', 'iq-p-test-1-0']);
    expect(set.queries[0].imagePath).toBe(join(dir, 'images/p-test-0-0.webp'));
    expect(set.queries[0].excludeIds).toEqual(['p-test-0-0']);
    expect([...set.qrels.get('iq-p-test-0-0')!.keys()]).toEqual(['p-test-0-1', 'p-test-0-2']);
  });

  it('realshot and outfit sets', async () => {
    buildCatalog(dir);
    const sets = new SeedJudgementSets({ catalogDir: dir });
    const realshot = await sets.load('realshot');
    expect(realshot.queries).toEqual([{ id: 'rq-0', imagePath: join(dir, 'queries/realshot/rq-0.jpg') }]);
    const outfits = await sets.load('outfits');
    expect(outfits.queries[0]).toMatchObject({ id: 'of-0', candidates: ['p-test-1-0', 'p-test-1-1'] });
    expect(outfits.qrels.get('of-0')).toEqual(new Map([['p-test-1-1', 1]]));
  });

  it('the index set needs an exact judge and uses the text queries', async () => {
    buildCatalog(dir);
    expect(new SeedJudgementSets({ catalogDir: dir }).setNames()).not.toContain('index');
    const sets = new SeedJudgementSets({ catalogDir: dir, indexQueries: 2, exactJudge: async (qs, k) => new Map(qs.map((q) => [q.id, new Map([[`top-${k}`, 1]])])) });
    const set = await sets.load('index');
    expect(set.queries.map((q) => q.id)).toEqual(['tq-0', 'tq-1']);
    expect(set.qrels.get('tq-1')).toEqual(new Map([['top-10', 1]]));
  });

  it('hashes the split products when the manifest is absent', async () => {
    buildCatalog(dir, false);
    expect(await new SeedJudgementSets({ catalogDir: dir }).dataHash()).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('explains missing files and unknown sets', async () => {
    const sets = new SeedJudgementSets({ catalogDir: join(dir, 'nowhere') });
    await expect(sets.load('text')).rejects.toThrow(/text queries not found/);
    expect(() => sets.load('nope')).toThrow(/unknown judgement set "nope"/);
  });

  it('refuses image paths outside the catalogue', async () => {
    buildCatalog(dir);
    writeFileSync(join(dir, 'queries', 'realshot-test.jsonl'), JSON.stringify({ id: 'rq-0', image: '../../etc/passwd' }) + '\n');
    await expect(new SeedJudgementSets({ catalogDir: dir }).load('realshot')).rejects.toThrow(/inside the catalogue/);
  });
});
