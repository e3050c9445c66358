/**
 * Domain errors. Services throw these; one place (src/graphql/errors.ts) maps them to GraphQL
 * errors with `extensions.code`. Messages say what to fix.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'UNAVAILABLE' | 'PAYLOAD_TOO_LARGE' | 'INTERNAL',
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
