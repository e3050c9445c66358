import { InvalidInputError } from '../../../src/domain/errors';
import type { EvalQuery, Variant } from '../../../src/evaluation/evaluation-run';
import { runEvaluation } from '../../../src/evaluation/evaluation-runner';
import type { VariantProvider } from '../../../src/evaluation/evaluation.service';
import { metricTables } from '../../../src/evaluation/models-readme';
import {
  CombinedVariants,
  SEARCH_VARIANTS,
  SearchServiceVariants,
  type QueryableSearch,
  type SearchServiceFactory,
} from '../../../src/evaluation/search-service-variants';
import type { SearchQuery, SearchResult } from '../../../src/search/search.types';

const MODELS = {
  text: { name: 'fashion-text', version: '2.0.0' },
  image: { name: 'fashion-image', version: '1.0.0' },
  fusion: { name: 'fashion-fusion', version: '1.1.0' },
};

/** A search service over a fixed ranking per query key, paged with positional cursors as the real one. */
class FakeSearch implements QueryableSearch {
  readonly calls: SearchQuery[] = [];
  constructor(private readonly ranking: (q: SearchQuery) => string[]) {}

  async search(query: SearchQuery): Promise<SearchResult> {
    this.calls.push(query);
    const all = this.ranking(query);
    const offset = query.after ? Number(query.after) : 0;
    const first = query.first ?? 20;
    const ids = all.slice(offset, offset + first);
    const hits = ids.map((id, i) => ({
      product: { id } as SearchResult['hits'][number]['product'],
      // Scores that disagree with the order, as after re-ranking.
      score: i % 2 ? 0.9 : 0.1,
      parts: [],
      matched: [],
      unmatched: [],
      rerankBoost: 0,
      rules: [],
      predictedMatches: [],
      positionWithoutRules: offset + i + 1,
      cursor: String(offset + i + 1),
    }));
    return {
      searchId: 's',
      mode: 'TEXT',
      hits,
      pageInfo: {
        hasNextPage: all.length > offset + first,
        hasPreviousPage: offset > 0,
        startCursor: hits[0]?.cursor ?? null,
        endCursor: hits.length ? hits[hits.length - 1].cursor : null,
      },
      totalCount: all.length,
      facets: [],
      queryAttributes: [],
      understanding: null,
    };
  }
}

const gallery = (n: number, prefix = 'p'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function setup(ranking: (q: SearchQuery) => string[] = () => gallery(10), pageSize = 3) {
  const built: { overrides: object; service: FakeSearch }[] = [];
  const factory: SearchServiceFactory = (overrides) => {
    const service = new FakeSearch(ranking);
    built.push({ overrides, service });
    return service;
  };
  const images = new Map([['/photos/a.jpg', Buffer.from('jpeg bytes')]]);
  const variants = new SearchServiceVariants({
    searchService: factory,
    models: MODELS,
    pageSize,
    readImage: async (file) => {
      const b = images.get(file);
      if (!b) throw new Error(`no file ${file}`);
      return b;
    },
  });
  return { variants, built };
}

async function one(variants: SearchServiceVariants, set: string, name: string): Promise<Variant> {
  const [v] = await variants.variants(set, [name]);
  return v;
}

describe('SearchServiceVariants', () => {
  it('offers the service configurations per set, the default configuration last', () => {
    const { variants } = setup();
    expect(variants.variantNames('text')).toEqual(['search-lexical-only', 'search-no-understanding', 'search-no-rerank', 'search']);
    expect(variants.variantNames('composed')).toEqual(['search-no-understanding', 'search']);
    expect(variants.variantNames('composed-meaning')).toEqual(['search-no-understanding', 'search']);
    expect(variants.variantNames('realshot')).toEqual(['search']);
    expect(variants.variantNames('realshot-indist')).toEqual(['search']);
    const withCategories = new SearchServiceVariants({ searchService: () => new FakeSearch(() => []), models: MODELS, categoryPrediction: true });
    expect(withCategories.variantNames('realshot')).toEqual(['search-no-category', 'search-category-boost', 'search-category-filter', 'search']);
    expect(variants.variantNames('outfits')).toEqual([]);
    expect(variants.variantNames('index')).toEqual([]);
  });

  it('refuses a variant that does not apply to the set, naming the choices', async () => {
    const { variants } = setup();
    await expect(variants.variants('composed', ['search-no-rerank'])).rejects.toThrow(/does not apply to set "composed": choose one of search/);
    await expect(variants.variants('outfits', ['search'])).rejects.toThrow(InvalidInputError);
  });

  it.each([
    ['search', {}, [MODELS.text, MODELS.image]],
    ['search-no-rerank', { reranker: null }, [MODELS.text, MODELS.image]],
    ['search-no-understanding', { understand: false }, [MODELS.text, MODELS.image]],
    ['search-lexical-only', { textSources: ['lexical'], reranker: null, understand: false }, []],
  ])('builds %s with the service options %j and records its models', async (name, overrides, models) => {
    const { variants, built } = setup();
    const v = await one(variants, 'text', name);
    expect(built.map((b) => b.overrides)).toEqual([overrides]);
    expect(v.models).toEqual(models);
    await v.rank({ id: 'q1', text: 'red dress' }, 2);
    expect(built[0].service.calls[0]).toMatchObject({ text: 'red dress', first: 2, after: null });
  });

  it('pages through the ranking with cursors to the depth asked, keeping the service order', async () => {
    const { variants, built } = setup(() => gallery(10), 3);
    const v = await one(variants, 'text', 'search');
    const docs = await v.rank({ id: 'q', text: 'shoes' }, 7);
    expect(docs.map((d) => d.id)).toEqual(gallery(7));
    // Scores follow the position, whatever the service's own scores say.
    for (let i = 1; i < docs.length; i++) expect(docs[i].score).toBeLessThan(docs[i - 1].score);
    expect(built[0].service.calls.map((c) => [c.first, c.after])).toEqual([
      [3, null],
      [3, '3'],
      [1, '6'],
    ]);
  });

  it('stops at the end of a short ranking', async () => {
    const { variants, built } = setup(() => gallery(4), 3);
    const v = await one(variants, 'text', 'search');
    expect((await v.rank({ id: 'q', text: 'hat' }, 100)).map((d) => d.id)).toEqual(gallery(4));
    expect(built[0].service.calls).toHaveLength(2);
  });

  it("leaves out the query's excluded products and fills the depth from later pages", async () => {
    const { variants } = setup(() => gallery(10), 3);
    const v = await one(variants, 'text', 'search');
    const docs = await v.rank({ id: 'q', text: 'coat', excludeIds: ['p1', 'p4'] }, 5);
    expect(docs.map((d) => d.id)).toEqual(['p0', 'p2', 'p3', 'p5', 'p6']);
  });

  it.each(['composed', 'composed-meaning'])('sends a %s query as the reference product plus the modifier', async (set) => {
    const { variants, built } = setup((q) => (q.image?.productId === 'ref' && q.modifier === 'in blue' ? ['t1', 't2'] : ['x']));
    const v = await one(variants, set, 'search');
    expect(v.models).toEqual([MODELS.image, MODELS.text, MODELS.fusion]);
    expect((await v.rank({ id: 'c', referenceId: 'ref', modifier: 'in blue', excludeIds: ['ref'] }, 10)).map((d) => d.id)).toEqual(['t1', 't2']);
    expect(built[0].service.calls[0]).toMatchObject({ image: { productId: 'ref' }, modifier: 'in blue' });
    await expect(v.rank({ id: 'c2', referenceId: 'ref' }, 10)).rejects.toThrow('query "c2" has no modifier');
  });

  it.each(['realshot', 'realshot-indist'])('sends a %s photo as base64 bytes, as a client uploads it', async (set) => {
    const expected = Buffer.from('jpeg bytes').toString('base64');
    const { variants, built } = setup((q) => (q.image?.base64 === expected ? ['match'] : ['other']));
    const v = await one(variants, set, 'search');
    expect(v.models).toEqual([MODELS.image]);
    expect((await v.rank({ id: 'r', imagePath: '/photos/a.jpg' }, 10)).map((d) => d.id)).toEqual(['match']);
    expect(built[0].service.calls[0].image).toEqual({ base64: expected });
    await expect(v.rank({ id: 'r2' }, 10)).rejects.toThrow('query "r2" has no image');
  });

  it.each([
    ['search-no-category', 'OFF'],
    ['search-category-boost', 'BOOST'],
    ['search-category-filter', 'FILTER'],
    ['search', undefined],
  ])('builds the realshot variant %s with category prediction %s', async (name, use) => {
    const built: { overrides: object }[] = [];
    const variants = new SearchServiceVariants({
      searchService: (overrides) => (built.push({ overrides }), new FakeSearch(() => [])),
      models: MODELS,
      categoryPrediction: true,
    });
    await one(variants, 'realshot', name);
    expect(built[0].overrides).toEqual(use === undefined ? {} : { categoryPrediction: use });
  });

  it('records no fusion model when the service fuses by mean', async () => {
    const variants = new SearchServiceVariants({ searchService: () => new FakeSearch(() => []), models: { ...MODELS, fusion: null } });
    expect((await one(variants, 'composed', 'search')).models).toEqual([MODELS.image, MODELS.text]);
  });
});

describe('CombinedVariants', () => {
  const tower = (name: string): Variant => ({ name, models: [], rank: async () => [] });
  const primary: VariantProvider = {
    variantNames: () => ['fashion-text-gru', 'fashion-text'],
    variants: async (_set, names) =>
      names.map((n) => {
        if (!['fashion-text-gru', 'fashion-text'].includes(n)) throw new InvalidInputError(`unknown tower ${n}`);
        return tower(n);
      }),
  };

  it('keeps the towers as the default comparison and serves service variants by name, in the order asked', async () => {
    const combined = new CombinedVariants(primary, setup().variants);
    expect(combined.variantNames('text')).toEqual(['fashion-text-gru', 'fashion-text']);
    expect(combined.serviceVariantNames('text')).toEqual(SEARCH_VARIANTS.text);
    const built = await combined.variants('text', ['search', 'fashion-text', 'search-no-rerank']);
    expect(built.map((v) => v.name)).toEqual(['search', 'fashion-text', 'search-no-rerank']);
    expect(built[0].description).toMatch(/^search service/);
  });

  it('passes names it does not know to the towers, whose error stands', async () => {
    const combined = new CombinedVariants(primary, setup().variants);
    await expect(combined.variants('text', ['bm25'])).rejects.toThrow('unknown tower bm25');
  });
});

describe('search-service runs in the models README', () => {
  it('adds a "Search service" section with the text comparison table, without relative gains, and the provenance of each run', async () => {
    const queries: EvalQuery[] = Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, text: `query ${i}` }));
    const qrels = new Map(queries.map((q, i) => [q.id, new Map([[`p${i}`, 2]])]));
    const set = { name: 'text', queries, qrels, dataHash: 'sha256:demo', segments: [{ name: 'colour+category', queryIds: ['q0', 'q1'] }] };
    // The target of query i is at rank i + 1 of every variant.
    const { variants } = setup((q) => {
      const i = Number(q.text!.split(' ')[1]);
      const rest = gallery(60).filter((id) => id !== `p${i}`);
      return [...rest.slice(0, i), `p${i}`, ...rest.slice(i)];
    }, 100);
    const run = await runEvaluation(set, await variants.variants('text', SEARCH_VARIANTS.text as string[]), {
      id: 'ev-search',
      createdAt: '2026-01-01T00:00:00.000Z',
      metrics: ['mrr', 'map', 'ndcg@10', 'p@50', 'r@50', 'p@10'],
      bootstrapSamples: 50,
      permutationSamples: 50,
    });
    const mrr = (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5 + 1 / 6) / 6;
    expect(run.variants.find((v) => v.name === 'search')!.aggregates.find((a) => a.metric === 'mrr')!.mean).toBeCloseTo(mrr, 10);

    const md = metricTables([], 'npm run eval -- --set all', [run]);
    expect(md).toContain('### Search service');
    expect(md).toContain('so their numbers are an upper bound; the held-out columns are phrased with the evaluation-only lexicon');
    expect(md).toContain('#### Text queries');
    expect(md).toContain('| Variant | MRR | MAP | NDCG@10 | P@50 | R@50 | P@10 (colour+category) | P@10 literal | P@10 paraphrased |');
    expect(md).toMatch(/\| search \| 0\.408 \[/);
    // the literal and paraphrased segments are absent from this run
    expect(md).toMatch(/\| search( \| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]){6} \| n\/a \| n\/a \|\n/);
    expect(md).not.toContain('Relative gain');
    expect(md).toContain('_Run ev-search (2026-01-01): 6 queries, data sha256:demo, models fashion-image@1.0.0, fashion-text@2.0.0;');
    expect(md).not.toContain('#### Composed queries');
    expect(metricTables([], 'cmd')).not.toContain('Search service');
  });

  it('shows the service on composed requests by kind, judged by meaning, and on both real-shot families', async () => {
    const composedQueries: EvalQuery[] = Array.from({ length: 4 }, (_, i) => ({ id: `c${i}`, referenceId: `ref${i}`, modifier: 'in blue', excludeIds: [`ref${i}`] }));
    const photos: EvalQuery[] = [{ id: 'r0', imagePath: '/photos/a.jpg' }];
    // every request finds t<i> first, then the gallery
    const { variants } = setup((q) => (q.image?.productId ? [`t${q.image.productId.slice(3)}`, ...gallery(60)] : ['match', ...gallery(60)]), 100);
    const options = { createdAt: '2026-01-01T00:00:00.000Z', bootstrapSamples: 20, permutationSamples: 20 };
    const byTarget = [
      { name: 'sibling', queryIds: ['c0', 'c1'] },
      { name: 'cross-style', queryIds: ['c2', 'c3'] },
    ];
    const composed = await runEvaluation(
      {
        name: 'composed',
        queries: composedQueries,
        qrels: new Map(composedQueries.map((q, i) => [q.id, new Map([[`t${i}`, 1]])])),
        split: 'test',
        segments: [...byTarget, { name: 'sibling: colour', queryIds: ['c0', 'c1'] }, { name: 'cross-style (two changes)', queryIds: ['c2', 'c3'] }],
      },
      await variants.variants('composed', ['search']),
      { ...options, id: 'ev-c', metrics: ['r@10', 'r@50', 'mrr'] },
    );
    const meaning = await runEvaluation(
      {
        name: 'composed-meaning',
        queries: composedQueries,
        qrels: new Map(composedQueries.map((q, i) => [q.id, new Map([[`t${i}`, 1], ['p0', 1]])])),
        split: 'test',
        segments: [{ name: 'colour', queryIds: ['c0', 'c1'] }, { name: 'two changes', queryIds: ['c2', 'c3'] }, ...byTarget],
      },
      await variants.variants('composed-meaning', ['search']),
      { ...options, id: 'ev-m', metrics: ['p@10', 'ndcg@10', 'r@50'] },
    );
    const indist = await runEvaluation(
      { name: 'realshot-indist', queries: photos, qrels: new Map([['r0', new Map([['match', 2]])]]), split: 'test' },
      await variants.variants('realshot-indist', ['search']),
      { ...options, id: 'ev-r', metrics: ['mrr', 'r@1', 'r@10', 'r@50'] },
    );
    const md = metricTables([], 'cmd', [composed, meaning, indist]);
    expect(md).toContain('#### Composed queries');
    expect(md).toContain('| search | 1.000 [1.000, 1.000] | 1.000 [1.000, 1.000] | 1.000 |');
    expect(md).toContain('| Requests | Queries | Distribution | search |');
    expect(md).toContain("| cross-style (two changes) | 2 | held out: targets outside the reference's style | 1.000 |");
    expect(md).toContain('| sibling: shade | 0 | in-distribution | n/a |');
    expect(md).toContain('##### Composed queries judged by meaning (P@10)');
    // two relevant products, both in the top 10: P@10 = 0.2
    expect(md).toContain('| search | 0.200 [0.200, 0.200] | 0.200 [0.200, 0.200] | n/a | n/a | n/a | 0.200 [0.200, 0.200] |');
    expect(md).toContain('#### Real-shot photos');
    expect(md).toContain('| in-distribution family | 1 | search | 1.000 [1.000, 1.000] |');
    expect(md).not.toContain('| held-out family |');
    expect(md).not.toContain('#### Text queries');
  });
});
