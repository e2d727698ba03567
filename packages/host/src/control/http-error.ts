import type { Issue } from '@routerd/plugin-sdk';
import type { ErrorCode } from './api.js';

/** An error that is the caller's to fix, with the HTTP status that says so. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

export function invalidRequest(issues: Issue[], what: string): HttpError {
  const first = issues[0]!;
  return new HttpError(
    400,
    'invalid_request',
    `invalid ${what}: ${first.path || '/'} ${first.message}`,
    issues,
  );
}
