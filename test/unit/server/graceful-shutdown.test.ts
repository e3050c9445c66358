/** Draining the HTTP server: requests in flight finish, new connections are refused, the wait is bounded. */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainServer } from '../../../src/server/graceful-shutdown';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serve(handlerMs: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const wait = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? handlerMs);
    setTimeout(() => res.end('done'), wait).unref();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function get(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('drainServer', () => {
  it('lets a request in flight finish, refuses new connections, and does not wait for idle keep-alive connections', async () => {
    const { server, port } = await serve(0);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    // An idle keep-alive connection, and a request that takes 300 ms.
    expect((await get(port, '/?ms=0', agent)).body).toBe('done');
    const slow = get(port, '/?ms=300', agent);
    await sleep(50);
    const started = Date.now();
    const drained = drainServer(server, 5000, 20);
    await expect(get(port, '/?ms=0')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await slow).toEqual({ status: 200, body: 'done' });
    const result = await drained;
    expect(result.forced).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    agent.destroy();
  });

  it('closes connections still busy when the time is up', async () => {
    const { server, port } = await serve(10_000);
    const hung = get(port, '/').then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    await sleep(50);
    const started = Date.now();
    const result = await drainServer(server, 200, 20);
    expect(result.forced).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await hung).toMatch(/ECONNRESET|socket hang up/);
  });

  it('finishes at once for a server that is not listening', async () => {
    const server = createServer();
    expect(await drainServer(server, 1000)).toMatchObject({ forced: false });
  });
});
