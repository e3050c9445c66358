/**
 * The request id: taken from a client's `x-request-id` when it is a sensible token (1 to 128
 * letters, digits and `-_.:`; anything else could forge or garble log lines), otherwise a fresh
 * random UUID. The server returns it in the `x-request-id` response header and writes it on every
 * log line of the request, so a client's report can be found in the logs.
 */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined, generate: () => string = randomUUID): string {
  return typeof header === 'string' && VALID.test(header) ? header : generate();
}
