/**
 * Draining the HTTP server before a shutdown: stop accepting connections, let the requests in flight
 * finish within a bounded time, then close whatever is left.
 *
 * `server.close()` stops listening and closes idle keep-alive connections, but a connection that is
 * busy when it is called becomes idle again after its response and would then keep the server (and
 * the shutdown) waiting until the client hangs up; so idle connections are closed again every
 * `pollMs` until none is left. After `timeoutMs` every remaining connection is closed, even with a
 * request still running (its client gets a dropped connection rather than a process that never exits).
 */
import type { Server } from 'node:http';

export interface DrainResult {
  /** Whether connections with requests still running had to be closed when the time was up. */
  forced: boolean;
  /** How long the drain took, in ms. */
  ms: number;
}

export function drainServer(server: Server, timeoutMs: number, pollMs = 50): Promise<DrainResult> {
  const started = Date.now();
  return new Promise<DrainResult>((resolve) => {
    let forced = false;
    const poll = setInterval(() => server.closeIdleConnections(), pollMs);
    const force = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, timeoutMs);
    const done = () => {
      clearInterval(poll);
      clearTimeout(force);
      resolve({ forced, ms: Date.now() - started });
    };
    if (!server.listening) {
      // Never started or already closed: close what connections remain and finish.
      server.closeAllConnections();
      done();
      return;
    }
    server.close(() => done());
    server.closeIdleConnections();
  });
}
