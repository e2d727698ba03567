import type { ErrorCode } from '@routerd/host-wire';
import type { Issue } from '@routerd/plugin-sdk';

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

/** A write while the daemon stops: in-flight requests finish, new ones are told to come back. */
export function shuttingDown(): HttpError {
  return new HttpError(503, 'shutting_down', 'routerd-eventd is shutting down: retry once it is back');
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

/**
 * The state directory's filesystem is full (SQLITE_FULL, ENOSPC): nothing was written, and the daemon
 * goes on. 507 Insufficient Storage, so a caller can tell it from a bug (500) and retry later.
 */
export function storageFull(stateDir: string, code: string, what = 'nothing was written'): HttpError {
  return new HttpError(
    507,
    'storage_full',
    `the state directory ${stateDir} is full (${code}): ${what}. Free space on its filesystem ` +
      '(df -h shows it; `routerctl doctor federation` checks it as state-disk-space) — routerd-eventd resumes by itself',
  );
}

/**
 * A POST that takes no fields: one sent anyway is a mistake (a `dryRun` the route does not have), and is
 * refused rather than ignored while the request does what it does.
 */
export function refuseFields(body: unknown, what: string, instead: string): void {
  if (body === null || typeof body !== 'object') return;
  const fields = Object.keys(body);
  if (fields.length === 0) return;
  throw invalidRequest(
    fields.map((field) => ({ path: `/${field}`, message: `is not a known field here: ${instead}` })),
    what,
  );
}
