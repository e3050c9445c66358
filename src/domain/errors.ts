/**
 * Domain errors. Services throw these; one place (src/graphql/errors.ts) maps them to GraphQL
 * errors with `extensions.code`. Messages say what to fix.
 */
export type DomainErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'OVERLOADED'
  | 'STALE_CURSOR'
  | 'MODELS_INCOMPATIBLE'
  | 'CONFLICT'
  | 'INTERNAL';

export class DomainError extends Error {
  constructor(
    message: string,
    readonly code: DomainErrorCode,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'BAD_USER_INPUT', details);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'NOT_FOUND', details);
  }
}

export class UnavailableError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'UNAVAILABLE', details);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'PAYLOAD_TOO_LARGE', details);
  }
}

/** No valid credentials were given for an operation that needs them. Says nothing about why. */
export class UnauthenticatedError extends DomainError {
  constructor(message = 'this operation needs an API key', details: Record<string, unknown> = {}) {
    super(message, 'UNAUTHENTICATED', details);
  }
}

/** The credentials are valid but their role does not allow the operation. */
export class ForbiddenError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'FORBIDDEN', details);
  }
}

/** A page was asked for with a cursor cut from a ranking the catalogue has changed since: restart the search. */
export class StaleCursorError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'STALE_CURSOR', details);
  }
}

/** The server is at capacity for this kind of work: retry later. */
export class OverloadedError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'OVERLOADED', details);
  }
}

/** Models that cannot serve the running index (they embed products differently). */
export class IncompatibleModelsError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'MODELS_INCOMPATIBLE', details);
  }
}

/** The thing changed since the caller read it (another writer): read it again and retry. */
export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'CONFLICT', details);
  }
}
