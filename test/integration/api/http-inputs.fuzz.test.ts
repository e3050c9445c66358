/**
 * Property-based fuzzing over HTTP against a server process: the real wiring of src/main.ts
 * (startApplication: HTTP front, admission, variables guard, Apollo, access control, limits,
 * services, embedded store) with fake encoders (app.child.ts), in a child process so that a crash
 * shows as an exit. Generated from the schema as in the in-process fuzzing
 * (test/fuzz/graphql-input.arbitraries.ts), sent as JSON POSTs (and small ones as GETs), with the
 * admin key, without a key and with bad keys; then raw requests: bodies that are not JSON or not an
 * operation, wrong content types and methods, odd paths and headers.
 *
 * Properties: no HTTP 500; every GraphQL answer is data or errors each with an `extensions.code`
 * other than INTERNAL_SERVER_ERROR; every answer within 10 s; the process never exits, still
 * answers /healthz and a search at the end, and logs no error-level line. Seeded (FUZZ_SEED);
 * FUZZ_RUNS scales the runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  answerProblems,
  callerArbitrary,
  FUZZ_SEED,
  fuzzRuns,
  jsonBytesAtMost,
  knownSearchIds,
  operationFor,
  OUTFIT_PRODUCTS,
  rootFields,
  within,
} from '../../fuzz/graphql-input.arbitraries';
import { createKey, writeCatalog } from './api-fixtures';
import { startAppProcess, type AppProcess } from './app-process';

jest.setTimeout(180_000);

/** Bodies above this are not sent (a 16 MiB body over MAX_BODY_BYTES is refused with 413; overload.test.ts covers big bodies). */
const MAX_SENT_BYTES = 4 * 1024 * 1024;

interface RawAnswer {
  status: number;
  body: string;
  contentType: string;
}

function send(url: string, method: string, pathAndQuery: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${pathAndQuery}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The problems of one answer to a /graphql request. */
function graphqlAnswerProblems(a: RawAnswer): string[] {
  if (a.status === 500) return [`HTTP 500: ${a.body.slice(0, 300)}`];
  let json: unknown;
  try {
    json = JSON.parse(a.body);
  } catch {
    // Node answers a request it cannot parse as HTTP with a bare 400 (no JSON); anything else must be JSON.
    return a.status === 400 && a.body === '' ? [] : [`HTTP ${a.status} with a body that is not JSON: ${a.body.slice(0, 200)}`];
  }
  return answerProblems(json as Parameters<typeof answerProblems>[0]).map((p) => `HTTP ${a.status}: ${p}`);
}

describe('fuzzing the GraphQL API over HTTP (server process, fake encoders)', () => {
  let dir: string;
  let app: AppProcess;
  let adminKey: string;
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'http-fuzz-'));
    writeCatalog(path.join(dir, 'catalog'), 12);
    app = await startAppProcess(path.join(dir, 'data'), path.join(dir, 'catalog'));
    adminKey = createKey(path.join(dir, 'data'), ['admin'], 'fuzz-admin');
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` };
    const upserted = await send(app.url, 'POST', '/graphql', JSON.stringify({ query: 'mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { upserted } }', variables: { p: OUTFIT_PRODUCTS } }), auth);
    expect(JSON.parse(upserted.body)).toEqual({ data: { upsertProducts: { upserted: OUTFIT_PRODUCTS.length } } });
    const ids: string[] = [];
    for (const text of ['red shirt', 'navy dress']) {
      const r = await send(app.url, 'POST', '/graphql', JSON.stringify({ query: `{ search(input: { text: "${text}" }) { searchId } }` }), auth);
      ids.push(JSON.parse(r.body).data.search.searchId);
    }
    knownSearchIds(ids);
  });

  afterAll(async () => {
    process.stdout.write(`http fuzz (seed ${FUZZ_SEED}): ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    if (app && app.child.exitCode === null) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers generated operations on every root field with data or coded errors, never HTTP 500, promptly', async () => {
    const fields = rootFields();
    const opArb = fc.oneof(...fields.map(({ operation, field }) => operationFor(operation, field)));
    await fc.assert(
      fc.asyncProperty(opArb, callerArbitrary(adminKey), fc.boolean(), async (op, key, preferGet) => {
        const body = { query: op.query, variables: op.variables };
        if (jsonBytesAtMost(body, MAX_SENT_BYTES) > MAX_SENT_BYTES) {
          count('not sent (over 4 MiB)');
          return;
        }
        const text = JSON.stringify(body);
        const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
        const get = preferGet && op.query.startsWith('query') && text.length < 4000;
        const answer = await within(
          get
            ? send(app.url, 'GET', `/graphql?query=${encodeURIComponent(op.query)}&variables=${encodeURIComponent(JSON.stringify(op.variables))}`, undefined, { ...headers, 'apollo-require-preflight': 'true' })
            : send(app.url, 'POST', '/graphql', text, { ...headers, 'content-type': 'application/json' }),
          10_000,
          op.query,
        );
        let code = 'data';
        try {
          const errors = JSON.parse(answer.body).errors;
          if (errors?.length) code = String(errors[0].extensions?.code);
        } catch {
          code = 'not JSON';
        }
        count(`${answer.status} ${code}`);
        const problems = graphqlAnswerProblems(answer);
        if (problems.length) throw new Error(`${problems.join('; ')}\n  for ${get ? 'GET' : 'POST'} ${text.slice(0, 1500)}`);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(1200) },
    );
  });

  it('answers raw requests (not JSON, not an operation, wrong content types, methods and paths) without HTTP 500', async () => {
    const bodies = fc.oneof(
      fc.constantFrom('', '{', 'null', '[]', '[1]', '"query"', '{"query": 1}', '{"query": null}', '{"query": "{ serviceInfo { index } }", "variables": "x"}', '{"query": "{ serviceInfo { index } }", "variables": [1]}', '{"query": "{ serviceInfo { index } }", "operationName": 5}', '{"query": "{ serviceInfo { index } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}', '{"query":"{ __schema { types { name } } }"}', '{"query":"subscription { x }"}', '\u0000', '{"query":"{ serviceInfo { index } }"}'.repeat(3)),
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/graphql', '', 'application/json, text/plain');
    const targets = fc.constantFrom('/graphql', '/graphql?query=%7B%20serviceInfo%20%7B%20index%20%7D%20%7D', '/graphql?query=%E0%A4%A', '/graphql?variables=%7B', '/graphql/', '//graphql', '/graphql?%00', '/media/../../etc/passwd', '/media/%2e%2e/%2e%2e/etc/passwd', '/metrics', '/healthz', '/readyz', '/lab', '/nope', '/media/images/p-1.png');
    const methods = fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    const extraHeaders = fc.constantFrom<Record<string, string>>(
      {},
      { 'apollo-require-preflight': 'true' },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${'x'.repeat(5000)}` },
      { 'x-api-key': 'fsk_' },
      { 'x-request-id': 'a'.repeat(500) },
      { 'x-request-id': 'ok-id-1' },
      { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      { 'content-encoding': 'gzip' },
    );
    await fc.assert(
      fc.asyncProperty(methods, targets, contentTypes, bodies, extraHeaders, async (method, target, contentType, body, headers) => {
        const sendsBody = method !== 'GET' && method !== 'HEAD';
        const h: Record<string, string> = { ...headers };
        if (contentType) h['content-type'] = contentType;
        const answer = await within(send(app.url, method, target, sendsBody ? body : undefined, h), 10_000, `${method} ${target}`);
        count(`raw ${answer.status}`);
        if (answer.status === 500) throw new Error(`HTTP 500 for ${method} ${target} ${contentType} ${JSON.stringify(body).slice(0, 300)}: ${answer.body.slice(0, 300)}`);
        // GraphQL's errors (of /graphql itself) carry codes too.
        let json: { errors?: unknown } | null = null;
        try {
          json = JSON.parse(answer.body);
        } catch {
          json = null;
        }
        if (new URL(target, 'http://x').pathname === '/graphql' && json && Array.isArray(json.errors)) {
          const problems = answerProblems(json as Parameters<typeof answerProblems>[0]);
          if (problems.length) throw new Error(`${problems.join('; ')} for ${method} ${target} ${contentType} ${JSON.stringify(body).slice(0, 300)}`);
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(400) },
    );
  });

  // Found by this fuzzing: Apollo refuses a persisted-query hash that does not match its query with
  // HTTP 400 and no code, which was answered INTERNAL_SERVER_ERROR and logged as an unexpected error.
  it('answers a persisted-query hash that does not match its query with BAD_REQUEST', async () => {
    const r = await send(app.url, 'POST', '/graphql', JSON.stringify({ query: '{ serviceInfo { index } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }), { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ errors: [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('is still alive afterwards: /healthz and a search answer, and nothing was logged at error level', async () => {
    expect(app.child.exitCode).toBeNull();
    expect((await send(app.url, 'GET', '/healthz', undefined, {})).status).toBe(200);
    const search = await send(app.url, 'POST', '/graphql', JSON.stringify({ query: '{ search(input: { text: "red shirt", first: 2 }) { totalCount } }' }), { 'content-type': 'application/json' });
    expect(JSON.parse(search.body).data.search.totalCount).toBeGreaterThan(0);
    const errorLines = app
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"level":"error"'));
    expect(errorLines).toEqual([]);
  });
});
