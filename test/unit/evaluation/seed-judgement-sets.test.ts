import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COMPOSED_MEANING_KIND_SEGMENTS,
  COMPOSED_SEGMENTS,
  HELD_OUT_TEXT_KINDS,
  namesWordForWord,
  SeedJudgementSets,
  TEXT_SEGMENTS,
  type EvaluationSplit,
} from '../../../src/evaluation/seed-judgement-sets';

type Row = Record<string, unknown>;

/** The files of a small catalogue in the seed format, one split; each test replaces what it needs. */
interface CatalogFixture {
  split: EvaluationSplit;
  manifest: Row | null;
  products: Row[];
  text: Row[];
  textQrels: string;
  composed: Row[];
  composedMeaningQrels: string;
  realshot: Row[];
  realshotQrels: string;
  realshotIndist: Row[];
  realshotIndistQrels: string;
  fitb: Row[];
}

const product = (split: string, style: number, variant: number): Row => ({
  id: `p-${split}-${style}-${variant}`,
  styleId: `s-${split}-${style}`,
  split,
  variant,
  image: `images/p-${split}-${style}-${variant}.webp`,
});

/** An in-distribution text query as generator 2.0.0 writes it. */
const textRow = (id: string, text: string, stated: Record<string, string>, kind: string): Row => ({ id, split: 'test', text, stated, kind, vocabulary: 'seen', distribution: 'in' });

/** A held-out text query of `kind` (vocabulary as the seed README lists it). */
const heldOutRow = (id: string, kind: string, text: string, vocabulary: 'seen' | 'unseen' = 'seen'): Row => ({
  id,
  split: 'test',
  text,
  stated: { category: 'coat', color: 'red' },
  kind,
  vocabulary,
  distribution: 'held-out',
});

const composedRow = (id: string, referenceId: string, targetIds: string[], kind: string, target: string): Row => ({
  id,
  split: 'test',
  referenceId,
  modifier: `change ${id}`,
  targetIds,
  changes: [],
  kind,
  target,
});

function fixture(overrides: Partial<CatalogFixture> = {}): CatalogFixture {
  const split = overrides.split ?? 'test';
  const products = [0, 1, 2].flatMap((style) => [0, 1, 2].map((v) => product(split, style, v)));
  return {
    split,
    manifest: { dataHash: { [split]: 'abc123', train: 'def' } },
    products: [product('train', 0, 0), ...products],
    text: [
      textRow('tq-0', 'red coat', { category: 'coat', color: 'red' }, 'color-category'),
      textRow('tq-1', 'linen coat', { category: 'coat', material: 'linen' }, 'material'),
      textRow('tq-2', 'warm coat', { category: 'coat', colorFamily: 'warm' }, 'family-category'),
      textRow('tq-3', 'navy tee', { category: 't-shirt', color: 'navy' }, 'color-category'),
      heldOutRow('tq-4', 'literal', 'red coat'),
      heldOutRow('tq-5', 'unseen-color', 'oxblood coat', 'unseen'),
      heldOutRow('tq-6', 'typo', 'rde caot', 'unseen'),
      heldOutRow('tq-7', 'price', 'red coat under 90'),
      heldOutRow('tq-8', 'typo', 'red cota', 'unseen'),
    ],
    textQrels: 'tq-0 0 p-test-0-0 2\ntq-0 0 p-test-0-1 1\ntq-1 0 p-test-1-0 1\ntq-2 0 p-test-1-1 2\ntq-4 0 p-test-0-0 2\n',
    composed: [
      { ...composedRow('cq-0', `p-${split}-0-0`, [`p-${split}-0-1`], 'color', 'sibling'), targetId: `p-${split}-0-1` },
      composedRow('cq-1', `p-${split}-0-1`, [`p-${split}-0-2`], 'shade', 'sibling'),
      composedRow('cq-2', `p-${split}-1-0`, [`p-${split}-1-2`], 'material', 'sibling'),
      composedRow('cq-3', `p-${split}-1-1`, [`p-${split}-2-0`, `p-${split}-2-2`], 'pattern', 'cross-style'),
      composedRow('cq-4', `p-${split}-2-1`, [`p-${split}-0-2`], 'two-attribute', 'cross-style'),
    ],
    composedMeaningQrels: [
      `cq-0 0 p-${split}-0-1 1`,
      `cq-0 0 p-${split}-2-1 1`,
      `cq-1 0 p-${split}-0-2 1`,
      `cq-2 0 p-${split}-1-2 1`,
      `cq-3 0 p-${split}-2-0 1`,
      `cq-3 0 p-${split}-2-2 1`,
      `cq-3 0 p-${split}-1-2 1`,
      `cq-4 0 p-${split}-0-2 1`,
    ].join('\n'),
    realshot: [{ id: 'rq-0', split, productId: `p-${split}-1-2`, image: 'queries/realshot/rq-0.jpg', family: 'held-out', degradations: [] }],
    realshotQrels: `rq-0 0 p-${split}-1-2 2\n`,
    realshotIndist: [
      { id: 'rqi-0', split, productId: `p-${split}-2-0`, image: 'queries/realshot-indist/rqi-0.jpg', family: 'in-distribution', degradations: [] },
      { id: 'rqi-1', split, productId: `p-${split}-0-0`, image: 'queries/realshot-indist/rqi-1.jpg', family: 'in-distribution', degradations: [] },
    ],
    realshotIndistQrels: `rqi-0 0 p-${split}-2-0 2\nrqi-1 0 p-${split}-0-0 2\n`,
    fitb: [
      { id: 'of-0', split, items: [`p-${split}-0-0`], candidates: [`p-${split}-1-0`, `p-${split}-1-1`], answer: `p-${split}-1-1` },
      { id: 'of-train', split: 'train', items: ['p-train-0-0'], candidates: ['p-train-0-0'], answer: 'p-train-0-0' },
    ],
    ...overrides,
  };
}

const jsonl = (rows: Row[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function writeCatalog(dir: string, f: CatalogFixture): void {
  const q = (name: string) => join(dir, 'queries', name);
  mkdirSync(join(dir, 'queries'), { recursive: true });
  mkdirSync(join(dir, 'outfits'), { recursive: true });
  writeFileSync(join(dir, 'products.jsonl'), jsonl(f.products));
  if (f.manifest) writeFileSync(join(dir, 'manifest.json'), JSON.stringify(f.manifest));
  writeFileSync(q(`text-${f.split}.jsonl`), jsonl(f.text));
  writeFileSync(q(`text-${f.split}.qrels`), f.textQrels);
  writeFileSync(q(`composed-${f.split}.jsonl`), jsonl(f.composed));
  writeFileSync(q(`composed-${f.split}-meaning.qrels`), f.composedMeaningQrels);
  writeFileSync(q(`realshot-${f.split}.jsonl`), jsonl(f.realshot));
  writeFileSync(q(`realshot-${f.split}.qrels`), f.realshotQrels);
  writeFileSync(q(`realshot-indist-${f.split}.jsonl`), jsonl(f.realshotIndist));
  writeFileSync(q(`realshot-indist-${f.split}.qrels`), f.realshotIndistQrels);
  writeFileSync(join(dir, 'outfits', 'fitb.jsonl'), jsonl(f.fitb));
}

const segmentOf = (kind: string): string => HELD_OUT_TEXT_KINDS.find((k) => k.kind === kind)!.segment;

describe('SeedJudgementSets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eval-seed-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (name: string, split: EvaluationSplit = 'test') => new SeedJudgementSets({ catalogDir: dir, split }).load(name);

  it('reads every text query with graded qrels, and records the split and data hash', async () => {
    writeCatalog(dir, fixture());
    const set = await load('text');
    expect(set.queries.map((q) => q.id)).toEqual(['tq-0', 'tq-1', 'tq-2', 'tq-3', 'tq-4', 'tq-5', 'tq-6', 'tq-7', 'tq-8']);
    expect(set.queries[0]).toEqual({ id: 'tq-0', text: 'red coat' });
    expect(set.qrels.get('tq-0')).toEqual(new Map([['p-test-0-0', 2], ['p-test-0-1', 1]]));
    expect(set.dataHash).toBe('sha256:abc123');
    expect(set.split).toBe('test');
  });

  it('segments text queries: colour+category among in-distribution rows only, vocabulary, distribution and each held-out kind present', async () => {
    writeCatalog(dir, fixture());
    const segments = Object.fromEntries((await load('text')).segments!.map((s) => [s.name, s.queryIds]));
    expect(segments).toEqual({
      // tq-4 and tq-7 state exactly a colour and a category too, but they are held out
      'colour+category': ['tq-0', 'tq-2', 'tq-3'],
      'colour+category, literal': ['tq-0', 'tq-2'],
      'colour+category, paraphrased': ['tq-3'],
      [TEXT_SEGMENTS.seenVocabulary]: ['tq-0', 'tq-1', 'tq-2', 'tq-3', 'tq-4', 'tq-7'],
      [TEXT_SEGMENTS.unseenVocabulary]: ['tq-5', 'tq-6', 'tq-8'],
      [TEXT_SEGMENTS.inDistribution]: ['tq-0', 'tq-1', 'tq-2', 'tq-3'],
      [TEXT_SEGMENTS.heldOut]: ['tq-4', 'tq-5', 'tq-6', 'tq-7', 'tq-8'],
      [segmentOf('literal')]: ['tq-4'],
      [segmentOf('unseen-color')]: ['tq-5'],
      [segmentOf('typo')]: ['tq-6', 'tq-8'],
      [segmentOf('price')]: ['tq-7'],
    });
    // kinds without a query (unseen-category, unseen-both, sentence, exclusion) have no segment
    expect(Object.keys(segments)).not.toContain(segmentOf('exclusion'));
  });

  it('counts a text row without vocabulary and distribution as seen and in-distribution', async () => {
    writeCatalog(dir, fixture({ text: [{ id: 'tq-0', text: 'red coat', stated: { category: 'coat', color: 'red' } }], textQrels: 'tq-0 0 p-test-0-0 2\n' }));
    const names = (await load('text')).segments!.map((s) => s.name);
    expect(names).toEqual(['colour+category', 'colour+category, literal', TEXT_SEGMENTS.seenVocabulary, TEXT_SEGMENTS.inDistribution]);
  });

  it('names the segments of the held-out kinds once, each distinct', () => {
    const names = HELD_OUT_TEXT_KINDS.map((k) => k.segment);
    expect(new Set([...names, ...Object.values(TEXT_SEGMENTS)]).size).toBe(names.length + 4);
    expect(HELD_OUT_TEXT_KINDS.map((k) => k.kind)).toEqual(['literal', 'unseen-color', 'unseen-category', 'unseen-both', 'typo', 'sentence', 'exclusion', 'price']);
  });

  it.each([
    ['vocabulary', { vocabulary: 'rare' }, /text-test\.jsonl:3: field "vocabulary" must be one of "seen", "unseen"/],
    ['distribution', { distribution: 'out' }, /text-test\.jsonl:3: field "distribution" must be one of "in", "held-out"/],
    ['kind of a held-out row', { distribution: 'held-out', kind: 'rhyme' }, /text-test\.jsonl:3: field "kind" must be one of "literal", "unseen-color"/],
    ['stated', { stated: ['coat'] }, /text-test\.jsonl:3: field "stated" must be an object/],
    ['text', { text: '' }, /text-test\.jsonl:3: field "text" must be a non-empty string/],
  ])('refuses a text row with a malformed %s, naming file, line and field', async (_what, change, message) => {
    const f = fixture();
    writeCatalog(dir, f);
    // a blank line before the bad row: the line number counts it
    writeFileSync(join(dir, 'queries', 'text-test.jsonl'), `${JSON.stringify(f.text[0])}\n\n${JSON.stringify({ ...f.text[1], ...change })}\n`);
    await expect(load('text')).rejects.toThrow(message);
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

  it('composed queries judge every target of targetIds and exclude the reference', async () => {
    writeCatalog(dir, fixture());
    const set = await load('composed');
    expect(set.queries[0]).toEqual({ id: 'cq-0', referenceId: 'p-test-0-0', modifier: 'change cq-0', excludeIds: ['p-test-0-0'] });
    expect(set.qrels.get('cq-0')).toEqual(new Map([['p-test-0-1', 1]]));
    expect(set.qrels.get('cq-3')).toEqual(new Map([['p-test-2-0', 1], ['p-test-2-2', 1]]));
    expect(set.split).toBe('test');
  });

  it('segments composed queries by target, then by target and kind, leaving out empty segments', async () => {
    writeCatalog(dir, fixture());
    const segments = (await load('composed')).segments!;
    expect(segments).toEqual([
      { name: 'sibling', queryIds: ['cq-0', 'cq-1', 'cq-2'] },
      { name: 'cross-style', queryIds: ['cq-3', 'cq-4'] },
      { name: 'sibling: colour', queryIds: ['cq-0'] },
      { name: 'sibling: shade', queryIds: ['cq-1'] },
      { name: 'sibling: material', queryIds: ['cq-2'] },
      { name: 'cross-style (one change)', queryIds: ['cq-3'] },
      { name: 'cross-style (two changes)', queryIds: ['cq-4'] },
    ]);
    expect(COMPOSED_SEGMENTS.filter((s) => s.heldOut).map((s) => s.segment)).toEqual(['cross-style (one change)', 'cross-style (two changes)']);
  });

  it.each([
    ['only a targetId (no targetIds)', { targetIds: undefined, targetId: 'p-test-0-1' }, /composed-test\.jsonl:1: field "targetIds" must be a non-empty array of product ids/],
    ['an empty targetIds', { targetIds: [] }, /field "targetIds" must be a non-empty array/],
    ['the reference among its targets', { targetIds: ['p-test-0-0'] }, /field "targetIds" must be products other than the reference "p-test-0-0"/],
    ['an unknown kind', { kind: 'size' }, /composed-test\.jsonl:1: field "kind" must be one of "color", "shade", "pattern", "material", "two-attribute"/],
    ['an unknown target', { target: 'outfit' }, /field "target" must be one of "sibling", "cross-style"/],
    ['no modifier', { modifier: undefined }, /field "modifier" must be a non-empty string/],
  ])('refuses a composed row with %s', async (_what, change, message) => {
    const f = fixture();
    writeCatalog(dir, fixture({ composed: [{ ...f.composed[0], ...change }] }));
    await expect(load('composed')).rejects.toThrow(message);
    await expect(load('composed-meaning')).rejects.toThrow(message);
  });

  it('composed-meaning judges the same queries by the meaning qrels, segmented by kind and by target', async () => {
    writeCatalog(dir, fixture());
    const [composed, meaning] = [await load('composed'), await load('composed-meaning')];
    expect(meaning.name).toBe('composed-meaning');
    expect(meaning.queries).toEqual(composed.queries);
    // a product of another style with the asked values counts, and so does every exact target
    expect(meaning.qrels.get('cq-0')).toEqual(new Map([['p-test-0-1', 1], ['p-test-2-1', 1]]));
    expect([...meaning.qrels.get('cq-3')!.keys()].sort()).toEqual(['p-test-1-2', 'p-test-2-0', 'p-test-2-2']);
    expect(meaning.segments).toEqual([
      { name: 'colour', queryIds: ['cq-0'] },
      { name: 'shade', queryIds: ['cq-1'] },
      { name: 'pattern', queryIds: ['cq-3'] },
      { name: 'material', queryIds: ['cq-2'] },
      { name: 'two changes', queryIds: ['cq-4'] },
      { name: 'sibling', queryIds: ['cq-0', 'cq-1', 'cq-2'] },
      { name: 'cross-style', queryIds: ['cq-3', 'cq-4'] },
    ]);
    expect(COMPOSED_MEANING_KIND_SEGMENTS.map((s) => s.segment)).toEqual(['colour', 'shade', 'pattern', 'material', 'two changes']);
  });

  it('composed-meaning refuses qrels that judge a reference, and names a malformed or missing qrels file', async () => {
    writeCatalog(dir, fixture({ composedMeaningQrels: 'cq-0 0 p-test-0-0 1\ncq-0 0 p-test-0-1 1\n' }));
    await expect(load('composed-meaning')).rejects.toThrow(/composed-test-meaning\.qrels: query "cq-0" judges its own reference product "p-test-0-0"/);
    writeCatalog(dir, fixture({ composedMeaningQrels: 'cq-0 0 p-test-0-1\n' }));
    await expect(load('composed-meaning')).rejects.toThrow(/composed-test-meaning\.qrels: qrels line 1: expected 4 fields/);
    rmSync(join(dir, 'queries', 'composed-test-meaning.qrels'));
    await expect(load('composed-meaning')).rejects.toThrow(/composed qrels by meaning not found/);
  });

  it('realshot reads the held-out photo family and realshot-indist the in-distribution one', async () => {
    writeCatalog(dir, fixture());
    const [heldOut, indist] = [await load('realshot'), await load('realshot-indist')];
    expect(heldOut.queries).toEqual([{ id: 'rq-0', imagePath: join(dir, 'queries/realshot/rq-0.jpg') }]);
    expect(heldOut.qrels.get('rq-0')).toEqual(new Map([['p-test-1-2', 2]]));
    expect(indist.name).toBe('realshot-indist');
    expect(indist.queries.map((q) => q.imagePath)).toEqual([join(dir, 'queries/realshot-indist/rqi-0.jpg'), join(dir, 'queries/realshot-indist/rqi-1.jpg')]);
    expect(indist.qrels.get('rqi-1')).toEqual(new Map([['p-test-0-0', 2]]));
  });

  it('refuses a real-shot file holding the other family', async () => {
    const f = fixture();
    writeCatalog(dir, fixture({ realshot: f.realshotIndist }));
    await expect(load('realshot')).rejects.toThrow(/realshot-test\.jsonl:1: field "family" must be one of "held-out"/);
  });

  it('image queries are the base variants of the split styles, judged by the style', async () => {
    writeCatalog(dir, fixture());
    const set = await load('image');
    expect(set.queries.map((q) => q.id)).toEqual(['iq-p-test-0-0', 'iq-p-test-1-0', 'iq-p-test-2-0']);
    expect(set.queries[0].imagePath).toBe(join(dir, 'images/p-test-0-0.webp'));
    expect(set.queries[0].excludeIds).toEqual(['p-test-0-0']);
    expect([...set.qrels.get('iq-p-test-0-0')!.keys()]).toEqual(['p-test-0-1', 'p-test-0-2']);
  });

  it('outfit questions of the split', async () => {
    writeCatalog(dir, fixture());
    const outfits = await load('outfits');
    expect(outfits.queries).toEqual([{ id: 'of-0', items: ['p-test-0-0'], candidates: ['p-test-1-0', 'p-test-1-1'] }]);
    expect(outfits.qrels.get('of-0')).toEqual(new Map([['p-test-1-1', 1]]));
  });

  it('reads the validation split from its own files, products and data hash', async () => {
    writeCatalog(dir, fixture({ split: 'validation' }));
    const sets = new SeedJudgementSets({ catalogDir: dir, split: 'validation' });
    expect(sets.split).toBe('validation');
    expect(await sets.dataHash()).toBe('sha256:abc123');
    for (const name of ['text', 'composed', 'composed-meaning', 'realshot', 'realshot-indist', 'image', 'outfits']) {
      const set = await sets.load(name);
      expect(set.split).toBe('validation');
      expect(set.queries.length).toBeGreaterThan(0);
    }
    expect((await sets.load('image')).queries[0].id).toBe('iq-p-validation-0-0');
    expect((await sets.load('outfits')).queries.map((q) => q.id)).toEqual(['of-0']);
    // the test split's files are absent from this catalogue
    await expect(load('text', 'test')).rejects.toThrow(/text-test\.jsonl does not exist/);
  });

  it('refuses the train split, which has no evaluation sets', () => {
    expect(() => new SeedJudgementSets({ catalogDir: dir, split: 'train' as EvaluationSplit })).toThrow(/split "train" cannot be evaluated: the train split has no evaluation sets/);
  });

  it('the index set needs an exact judge and uses the text queries', async () => {
    writeCatalog(dir, fixture());
    expect(new SeedJudgementSets({ catalogDir: dir }).setNames()).toEqual(['text', 'image', 'composed', 'composed-meaning', 'realshot', 'realshot-indist', 'outfits']);
    const sets = new SeedJudgementSets({ catalogDir: dir, indexQueries: 2, exactJudge: async (qs, k) => new Map(qs.map((q) => [q.id, new Map([[`top-${k}`, 1]])])) });
    const set = await sets.load('index');
    expect(set.queries.map((q) => q.id)).toEqual(['tq-0', 'tq-1']);
    expect(set.qrels.get('tq-1')).toEqual(new Map([['top-10', 1]]));
  });

  it('hashes the split products when the manifest is absent', async () => {
    writeCatalog(dir, fixture({ manifest: null }));
    expect(await new SeedJudgementSets({ catalogDir: dir }).dataHash()).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('explains missing files and unknown sets', async () => {
    const sets = new SeedJudgementSets({ catalogDir: join(dir, 'nowhere') });
    await expect(sets.load('text')).rejects.toThrow(/text queries not found/);
    expect(() => sets.load('nope')).toThrow(/unknown judgement set "nope"/);
  });

  it('refuses image paths outside the catalogue', async () => {
    writeCatalog(dir, fixture({ realshot: [{ id: 'rq-0', image: '../../etc/passwd' }] }));
    await expect(load('realshot')).rejects.toThrow(/realshot-test\.jsonl:1: field "image" must be a path inside the catalogue directory/);
  });
});
