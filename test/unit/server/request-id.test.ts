/**
 * The request id: accepted from a sane x-request-id or generated, returned in the response header,
 * and written on every log line of the request (including lines written after awaits).
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import { createLogger } from '../../../src/config/logger';
import { withLogContext } from '../../../src/config/log-context';
import type { GraphQLContext } from '../../../src/graphql/context';
import { createHttpServer, listen, type HttpObserver } from '../../../src/server/http.server';
import { requestIdFrom } from '../../../src/server/request-id';

describe('requestIdFrom', () => {
  const table: [string, string | string[] | undefined, string][] = [
    ['absent', undefined, 'generated'],
    ['a uuid', '0b5c2f9e-3e43-4c1f-9d38-1a0c1f6f5e11', '0b5c2f9e-3e43-4c1f-9d38-1a0c1f6f5e11'],
    ['a token with . _ :', 'shop.web_1:req-42', 'shop.web_1:req-42'],
    ['empty', '', 'generated'],
    ['with a space', 'a b', 'generated'],
    ['with a newline (log forging)', 'abc\n{"level":"error"}', 'generated'],
    ['with quotes', 'a"b', 'generated'],
    ['too long', 'x'.repeat(129), 'generated'],
    ['128 characters', 'x'.repeat(128), 'x'.repeat(128)],
    ['repeated header', ['a', 'b'], 'generated'],
  ];
  it.each(table)('%s', (_name, header, expected) => expect(requestIdFrom(header, () => 'generated')).toBe(expected));

  it('generates random UUIDs by default', () => {
    const a = requestIdFrom(undefined);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFrom(undefined)).not.toBe(a);
  });
});

describe('log context', () => {
  it('adds the context fields to every line written inside it, nested contexts included', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    logger.info('outside');
    await withLogContext({ requestId: 'r1' }, async () => {
      logger.info('first');
      await new Promise((r) => setTimeout(r, 5));
      logger.warn('after a timer', { extra: 1 });
      withLogContext({ job: 'j' }, () => logger.error('nested'));
    });
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed[0].requestId).toBeUndefined();
    expect(parsed.slice(1).map((p) => p.requestId)).toEqual(['r1', 'r1', 'r1']);
    expect(parsed[2]).toMatchObject({ msg: 'after a timer', extra: 1, level: 'warn' });
    expect(parsed[3]).toMatchObject({ msg: 'nested', job: 'j' });
  });
});

describe('HTTP server: request ids and request accounting', () => {
  const lines: string[] = [];
  const finished: Parameters<HttpObserver['requestFinished']>[0][] = [];
  const logger = createLogger('info', (l) => lines.push(l));
  const server = createHttpServer({
    apollo: {} as ApolloServer<GraphQLContext>,
    context: () => ({}) as GraphQLContext,
    readiness: () => ({ ready: true, checks: {}, versions: { index: 'space@1', models: [{ role: 'text', name: 't', version: '2' }] } }),
    routes: [
      async (_req, res, pathname) => {
        if (pathname !== '/work') return false;
        logger.info('working');
        await new Promise((r) => setTimeout(r, 5));
        logger.info('still working');
        res.end('done');
        return true;
      },
      (_req, _res, pathname) => {
        if (pathname === '/boom') throw new Error('kaput');
        return false;
      },
    ],
    maxBodyBytes: 1024,
    logger,
    observer: { requestFinished: (r) => finished.push(r) },
  });
  let base: string;
  beforeAll(async () => {
    const address: AddressInfo = await listen(server, 0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    lines.length = 0;
    finished.length = 0;
  });

  function get(p: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${base}${p}`, { headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('returns the client id and puts it on every log line of the request', async () => {
    const r = await get('/work', { 'x-request-id': 'client-42' });
    await settle();
    expect(r.headers['x-request-id']).toBe('client-42');
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((p) => p.msg)).toEqual(['working', 'still working', 'request']);
    expect(parsed.every((p) => p.requestId === 'client-42')).toBe(true);
    expect(parsed[2]).toMatchObject({ route: 'other', status: 200, method: 'GET' });
  });

  it('generates an id when the client sends none or a bad one, also for errors', async () => {
    const a = await get('/work');
    const b = await get('/work', { 'x-request-id': 'bad id' });
    const c = await get('/boom');
    await settle();
    for (const r of [a, b, c]) expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.status).toBe(500);
    const failure = lines.map((l) => JSON.parse(l)).find((p) => p.msg === 'request failed');
    expect(failure.requestId).toBe(c.headers['x-request-id']);
  });

  it('reports each request to the observer with a bounded route label', async () => {
    await get('/healthz');
    await get('/media/p-1.png');
    await get('/no/such/thing/123');
    await settle();
    expect(finished.map((f) => [f.route, f.status])).toEqual([
      ['/healthz', 200],
      ['/media/*', 404],
      ['other', 404],
    ]);
    expect(finished.every((f) => f.method === 'GET' && f.seconds >= 0 && f.seconds < 5)).toBe(true);
    // probes are not logged line by line
    expect(lines.map((l) => JSON.parse(l).route)).not.toContain('/healthz');
  });

  it('survives a request target that is no URL, counting it as route other', async () => {
    const port = Number(new URL(base).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nhost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (c) => (text += c));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 \d{3}/);
    await settle();
    expect(finished.map((f) => f.route)).toEqual(['other']);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('shows model and index versions in /readyz', async () => {
    const r = await get('/readyz');
    expect(JSON.parse(r.body)).toEqual({ status: 'ready', checks: {}, versions: { index: 'space@1', models: [{ role: 'text', name: 't', version: '2' }] } });
  });
});
