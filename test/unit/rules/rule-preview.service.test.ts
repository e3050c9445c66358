import type { JudgementSet } from '../../../src/evaluation/evaluation-run';
import { ImageLoader } from '../../../src/ingestion/image-loader';
import type { RuleDefinition } from '../../../src/rules/rule';
import { RulePreviewService } from '../../../src/rules/rule-preview.service';
import { RuleSet } from '../../../src/rules/rule-set';
import { CatalogVocabulary } from '../../../src/search/catalog-vocabulary';
import { SearchService } from '../../../src/search/search.service';
import { sampleCatalog } from '../fakes/catalog-builder';
import { FakeFusionEncoder, FakeImageEncoder, FakeTextEncoder } from '../fakes/fake-encoders';
import { MemoryStore } from '../fakes/memory.store';
import { rule } from './rule-builders';

const COLORS = ['red', 'navy', 'black', 'white', 'green'];
const CATEGORIES = ['shirt', 'dress', 'sneaker', 'bag'];

async function setup(live: RuleDefinition[] = []) {
  const store = new MemoryStore();
  const catalogue = sampleCatalog(80);
  await store.upsert(catalogue);
  const vocabulary = new CatalogVocabulary(store);
  await vocabulary.refresh();
  const current = new RuleSet(live, 1, { knownAttributes: vocabulary.knownAttributes });
  const search = new SearchService({
    store,
    textEncoder: new FakeTextEncoder(),
    imageEncoder: new FakeImageEncoder(),
    fusionEncoder: new FakeFusionEncoder(),
    images: new ImageLoader({ maxBytes: 10_000, fetchTimeoutMs: 1000, allowedDir: null }),
    vocabulary,
    rules: { current: () => current },
    options: { textSources: ['image', 'lexical'] },
  });
  // "colour category" queries; relevant: the products of that colour and category
  const queries = COLORS.flatMap((c) => CATEGORIES.map((k) => ({ id: `${c}-${k}`, text: `${c} ${k}` })));
  const qrels = new Map(
    queries.map((q) => {
      const [c, k] = q.text.split(' ');
      const relevant = catalogue.filter((p) => p.product.attributes.color[0] === c && p.product.attributes.category[0] === k);
      return [q.id, new Map(relevant.map((p) => [p.product.id, 1]))];
    }),
  );
  const set: JudgementSet = { name: 'text', queries, qrels };
  const image: JudgementSet = { name: 'image', queries: [{ id: 'i', imagePath: 'x.png' }], qrels: new Map() };
  const preview = new RulePreviewService({
    rules: { check: async (r) => r, current: () => current },
    search,
    judgements: { setNames: () => ['text', 'image'], load: async (n) => (n === 'text' ? set : image) },
  });
  return { preview, catalogue };
}

describe('RulePreviewService on judgement sets', () => {
  it('flags a rule that pins an irrelevant product on every query, with the metric losses and their intervals', async () => {
    const { preview, catalogue } = await setup();
    const irrelevant = catalogue.find((p) => p.product.attributes.color[0] === 'white' && p.product.attributes.category[0] === 'bag')!.product.id;
    const p = await preview.preview({ rule: rule({ id: 'pin', actions: { pins: [{ productId: irrelevant, position: 1 }] } }), depth: 10 });
    expect(p.judgementSets).toEqual(['text']);
    expect(p.queries).toHaveLength(20);
    expect(p.queries.every((q) => q.sources.includes('JUDGEMENT_SET') && q.fired)).toBe(true);
    const mrr = p.judgements.find((m) => m.metric === 'mrr@10')!;
    expect(mrr.after).toBeLessThan(mrr.before);
    expect(mrr.upper).toBeLessThan(0);
    expect(mrr.significantLoss).toBe(true);
    expect(p.judgements.map((m) => m.metric)).toEqual(['ndcg@10', 'mrr@10', 'p@10']);
    expect(p.judgements.every((m) => m.queries === 20 && m.lower <= m.difference && m.difference <= m.upper)).toBe(true);
    expect(p.flagged).toBe(true);
  });

  it('previews only the judged queries a rule matches, and does not flag a rule that helps', async () => {
    const { preview } = await setup();
    const p = await preview.preview({ rule: rule({ id: 'bags', conditions: { query: { contains: ['bag'] } }, actions: { filter: { attributes: [{ attribute: 'category', anyOf: ['bag'] }] } } }) });
    expect(p.queries.map((q) => q.text).sort()).toEqual(COLORS.map((c) => `${c} bag`).sort());
    expect(p.judgements.every((m) => !m.significantLoss && m.difference >= 0)).toBe(true);
    expect(p.flagged).toBe(false);
  });

  it('compares with the live rules: "before" keeps them, a rule of the same id is replaced', async () => {
    const live = rule({ id: 'same', conditions: { query: { is: ['red shirt'] } }, actions: { hide: ['p-0000'] } });
    const { preview } = await setup([live]);
    const p = await preview.preview({ rule: { ...live, enabled: false }, queries: ['red shirt'] });
    expect(p.queries[0].before).not.toContain('p-0000');
    expect(p.queries[0].after).toContain('p-0000');
    expect(p.queries[0].fired).toBe(false);
    // an edit of a live rule fires on both sides: it still counts as firing
    const edited = await preview.preview({ rule: { ...live, actions: { hide: ['p-0001'] } }, queries: ['red shirt'] });
    expect(edited.queries[0]).toMatchObject({ fired: true, changed: true });
    expect(p.warnings.join(' ')).toMatch(/disabled/);
  });

  it('says when nothing matches', async () => {
    const { preview } = await setup();
    const p = await preview.preview({ rule: rule({ id: 'none', conditions: { query: { is: ['gift card'] } } }) });
    expect(p.queries).toEqual([]);
    expect(p.judgements).toEqual([]);
    expect(p.clickReplay).toMatchObject({ searches: 0, reciprocalRank: null });
    expect(p.warnings.join(' ')).toMatch(/no judgement-set or recorded query matches/);
  });
});
