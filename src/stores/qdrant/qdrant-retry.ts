/**
 * Retry with exponential backoff for calls to Qdrant, and the mapping of client failures to domain
 * errors. Transient failures (5xx answers, timeouts, refused or dropped connections) are retried;
 * 4xx answers are not, since sending the same request again cannot help.
 */
import { DomainError, UnavailableError } from '../../domain/errors';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** HTTP status of a failed client call, when the server answered. */
export function failureStatus(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'status' in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isTransient(error: unknown): boolean {
  const status = failureStatus(error);
  if (status !== undefined) return status >= 500;
  // Duck-typed: errors may come from another realm (e.g. DOMException from fetch).
  if (!error || typeof error !== 'object') return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (name === 'QdrantClientTimeoutError' || name === 'AbortError' || name === 'TimeoutError') return true;
  const code = errorCode(error);
  if (code && TRANSIENT_CODES.has(code)) return true;
  return name === 'TypeError' && message === 'fetch failed';
}

/** Delay before retry number `retry` (1-based): base * 2^(retry-1), capped, with +-20 % jitter. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

function serverMessage(error: unknown): string {
  const data = (error as { data?: unknown }).data;
  if (data && typeof data === 'object') {
    const status = (data as { status?: unknown }).status;
    if (status && typeof status === 'object' && typeof (status as { error?: unknown }).error === 'string') {
      return (status as { error: string }).error;
    }
  }
  const text = (error as { message?: unknown })?.message;
  const name = (error as { name?: unknown })?.name;
  return typeof text === 'string' ? `${typeof name === 'string' ? `${name}: ` : ''}${text}` : String(error);
}

/** The domain error for a failed call to Qdrant. */
export function toStoreError(operation: string, error: unknown, attempts: number): DomainError {
  if (error instanceof DomainError) return error;
  const status = failureStatus(error);
  const message = serverMessage(error);
  if (status === 401 || status === 403) {
    return new UnavailableError(`Qdrant refused ${operation} (HTTP ${status}): check QDRANT_API_KEY`, { status });
  }
  if (status !== undefined && status < 500) {
    return new DomainError(`Qdrant rejected ${operation} (HTTP ${status}): ${message}`, 'INTERNAL', { status });
  }
  const what = status !== undefined ? `HTTP ${status}: ${message}` : message;
  return new UnavailableError(`Qdrant is unavailable for ${operation} after ${attempts} attempt(s) (${what}); check QDRANT_URL and the server`, {
    ...(status !== undefined ? { status } : {}),
  });
}

/** Runs `call`, retrying transient failures; failures end as domain errors. */
export async function withRetry<T>(operation: string, call: () => Promise<T>, policy: RetryPolicy, sleep: Sleep = realSleep): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.attempts) throw toStoreError(operation, error, attempt);
      await sleep(backoffDelay(attempt, policy));
    }
  }
}
