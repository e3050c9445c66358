/**
 * Property-based fuzzing of every root field through the GraphQL layer, in process: the real
 * Apollo server, resolvers, access control, limits and services (search, product writer, event
 * log, evaluation jobs, search analytics, complete the look, rate limits) over fake encoders and an
 * in-memory store (test-api.ts). Arguments come from the schema (test/fuzz/graphql-input.arbitraries.ts):
 * well-typed and mistyped values, huge strings, NUL and control characters, deep nesting, extreme
 * numbers, empty and oversized lists, as variables or inline literals, with the admin key, with
 * none and with bad keys.
 *
 * Properties: every answer is data, or errors that each carry an `extensions.code` other than
 * INTERNAL_SERVER_ERROR and a message; every answer comes within 5 s; nothing is logged as an
 * unexpected error. Seeded (FUZZ_SEED); FUZZ_RUNS=1000 runs ten times as many cases.
 */
import fc from 'fast-check';
import { isInputObjectType, getNamedType, type GraphQLInputType } from 'graphql';
import { MemoryEvaluationRunStore } from '../../../src/evaluation/evaluation-run.store';
import { EvaluationService } from '../../../src/evaluation/evaluation.service';
import { SearchAnalyticsService } from '../../../src/evaluation/search-analytics';
import type { EventLog } from '../../../src/events/event-log';
import type { RateLimitedKind } from '../../../src/graphql/rate-limit.guard';
import type { Product } from '../../../src/domain/product';
import type { OutfitScorer } from '../../../src/outfits/outfit-scorer';
import { OutfitService } from '../../../src/outfits/outfit.service';
import { TokenBucketLimiter } from '../../../src/server/token-bucket.limiter';
import { answerProblems, callerArbitrary, FUZZ_SEED, fuzzRuns, inputTypeNames, knownSearchIds, operationFor, OUTFIT_PRODUCTS, rootFields, within } from '../../fuzz/graphql-input.arbitraries';
import { buildSet, buildVariant } from '../evaluation/fakes';
import type { MemoryStore } from '../fakes/memory.store';
import { createTestApi } from './test-api';

jest.setTimeout(120_000);

const scorer: OutfitScorer = {
  model: { name: 'fashion-outfit', version: '1.0.0' },
  score: async (outfits: Product[][]) => outfits.map((o) => o.filter((p) => p.attributes.color?.[0] === 'red').length / o.length),
};

function describeOperation(op: { query: string; variables: Record<string, unknown> }, key: string | null): string {
  const vars = JSON.stringify(op.variables, (_k, v) => (typeof v === 'string' && v.length > 120 ? `${v.slice(0, 120)}...(${v.length} chars)` : Array.isArray(v) && v.length > 10 ? [...v.slice(0, 3), `...(${v.length} items)`] : v));
  return `${op.query.slice(0, 600)} variables ${vars?.slice(0, 1500)} as ${key === null ? 'anonymous' : key.slice(0, 8)}`;
}

describe('fuzzing every GraphQL root field in process (fake encoders, memory store)', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let evaluation: EvaluationService;
  let events: EventLog | null = null;
  let store: MemoryStore | null = null;
  let adminKey = '';
  const counts = new Map<string, { runs: number; codes: Map<string, number> }>();

  beforeAll(async () => {
    evaluation = new EvaluationService(
      new MemoryEvaluationRunStore(),
      { setNames: () => ['fake'], load: async (name: string) => buildSet(12, name) },
      { variantNames: () => ['weak', 'strong'], variants: async (_s, names) => names.map((n, i) => buildVariant(n, n === 'strong' ? 0.9 : 0.3, i + 1)) },
      { defaultMetrics: { fake: ['mrr', 'ndcg@10'] } },
    );
    api = await createTestApi(40, {
      services: {
        evaluation,
        // as src/evaluation/evaluation.factory.ts wires them: over the API's own event log
        analytics: new SearchAnalyticsService({ searchAnalytics: (q) => events!.searchAnalytics(q) }),
        // the outfit service over the API's store (known once the API exists)
        outfits: { completeTheLook: (id: string, first?: number) => new OutfitService(store!, scorer).completeTheLook(id, first) } as unknown as OutfitService,
        rateLimiter: new TokenBucketLimiter<RateLimitedKind>({ imageSearch: { perMinute: 100_000 }, catalogWrite: { perMinute: 100_000 }, evaluation: { perMinute: 100_000 } }),
      },
    });
    events = api.events;
    store = api.store;
    adminKey = api.keys.create({ roles: ['admin'], name: 'fuzz-admin' }).key;
    // An outfit's worth of products (completeTheLook) and a few searches (events refer to them).
    const upserted = await api.exec('mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }', { p: OUTFIT_PRODUCTS }, { key: adminKey });
    expect(upserted.errors).toBeUndefined();
    const ids: string[] = [];
    for (const text of ['red shirt', 'navy dress', 'black bag']) {
      const r = await api.exec('query($t: String) { search(input: { text: $t }) { searchId } }', { t: text }, { key: null });
      ids.push(r.data!.search.searchId);
    }
    knownSearchIds(ids);
  });

  afterAll(async () => {
    await evaluation?.close();
    await api?.close();
    const summary = [...counts].map(([f, c]) => `${f}: ${c.runs} (${[...c.codes].map(([k, n]) => `${k} ${n}`).join(', ')})`);
    // The spread of answers shows the fuzzing reaches past GraphQL's coercion into the services.
    process.stdout.write(`graphql fuzz (seed ${FUZZ_SEED}):\n  ${summary.join('\n  ')}\n`);
  });

  afterEach(() => {
    // formatError logs every unexpected error; none may occur (cleared so one failure does not fail the next test).
    const logged = api.errors.splice(0);
    expect(logged).toEqual([]);
  });

  // Found by this fuzzing: graphql-js's own "Too many errors processing variables" error (after 50)
  // carried no code, so it was logged as an unexpected internal error on every such request.
  it('answers more than 50 invalid variable values with BAD_USER_INPUT only, and logs nothing', async () => {
    const answer = await api.exec('query($ids: [ID!]!) { products(ids: $ids) { id } }', { ids: new Array(60).fill(null) });
    expect(answerProblems(answer)).toEqual([]);
    expect(new Set(answer.errors!.map((e) => e.extensions!.code))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(answer.errors!.at(-1)).toEqual({
      message: '31 more errors were left out (51 in all): fix the errors above and send the request again',
      extensions: { code: 'BAD_USER_INPUT', omittedErrors: 31 },
    });
  });

  // Found by the HTTP fuzzing: the schema has no Subscription type, and graphql-js's refusal of a
  // subscription came without a code.
  it('answers a subscription with GRAPHQL_VALIDATION_FAILED, and logs nothing', async () => {
    const answer = await api.exec('subscription { search { searchId } }');
    expect(answer.errors).toEqual([
      { message: 'this API has no subscription operations: send a query or a mutation', locations: [{ line: 1, column: 1 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
  });

  it('reaches every input object type of the schema from some root field argument', () => {
    const reached = new Set<string>();
    const visit = (type: GraphQLInputType) => {
      const named = getNamedType(type);
      if (reached.has(named.name)) return;
      reached.add(named.name);
      if (isInputObjectType(named)) for (const f of Object.values(named.getFields())) visit(f.type);
    };
    for (const { field } of rootFields()) for (const a of field.args) visit(a.type);
    expect(inputTypeNames().filter((n) => !reached.has(n))).toEqual([]);
    expect(inputTypeNames().length).toBeGreaterThanOrEqual(10);
    // and the enums and scalars inside them
    expect([...reached].filter((n) => !inputTypeNames().includes(n)).sort()).toEqual(['Boolean', 'CategoryPredictionUse', 'DateTime', 'Float', 'ID', 'Int', 'RuleStatus', 'SearchEventType', 'SearchMode', 'String']);
  });

  it.each(rootFields().map(({ operation, field }) => [`${operation} ${field.name}`, operation, field] as const))(
    '%s: every answer is data or coded errors, promptly',
    async (_name, operation, field) => {
      const seen = { runs: 0, codes: new Map<string, number>() };
      counts.set(field.name, seen);
      await fc.assert(
        fc.asyncProperty(operationFor(operation, field), callerArbitrary(adminKey), async (op, key) => {
          if (op.refusedAtFront) {
            // the HTTP front answers these (test/integration/api/http-inputs.fuzz.test.ts sends them)
            seen.runs++;
            seen.codes.set(`front:${op.refusedAtFront.code}`, (seen.codes.get(`front:${op.refusedAtFront.code}`) ?? 0) + 1);
            return;
          }
          const t = Date.now();
          const answer = await within(api.exec(op.query, op.variables, { key }), 5000, op.query);
          if (process.env.FUZZ_DEBUG && answer.errors?.length) process.stdout.write(`ERR ${field.name}: ${answer.errors[0].extensions?.code} ${answer.errors[0].message.slice(0, 200)}\n`);
          if (process.env.FUZZ_SLOW && Date.now() - t > 300) process.stdout.write(`SLOW ${Date.now() - t} ms ${describeOperation(op, key).slice(0, 1500)} -> ${JSON.stringify(answer.errors?.[0])?.slice(0, 300)}\n`);
          seen.runs++;
          const codes = answer.errors?.length ? [...new Set(answer.errors.map((e) => String(e.extensions?.code)))] : ['data'];
          for (const c of codes) seen.codes.set(c, (seen.codes.get(c) ?? 0) + 1);
          const problems = answerProblems(answer);
          if (problems.length) throw new Error(`${problems.join('; ')}\n  for ${describeOperation(op, key)}`);
          if (api.errors.length) throw new Error(`logged as unexpected: ${JSON.stringify(api.errors).slice(0, 500)}\n  for ${describeOperation(op, key)}`);
        }),
        { seed: FUZZ_SEED, numRuns: fuzzRuns(field.args.length ? 150 : 20) },
      );
    },
  );

  it('answers random token soup with coded errors', async () => {
    const tokens = ['{', '}', '(', ')', '[', ']', ':', '$v', '...', '!', '=', '@skip(if: true)', '@include', 'query', 'mutation', 'subscription', 'fragment F on Query', '...F', 'search', 'input', 'text', 'filter', 'not', 'upsertProducts', 'products', '__schema', '__typename', '"x"', '"""', '1', '-1', '1e999', 'null', 'true', 'Int', 'String!', '#', ',', '\u0000', 'é'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...tokens), { maxLength: 40 }), async (parts) => {
        const query = parts.join(' ');
        const answer = await within(api.exec(query), 5000, query);
        const problems = answerProblems(answer);
        if (problems.length) throw new Error(`${problems.join('; ')} for ${JSON.stringify(query)}`);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  });
});
