import type { Type } from 'arktype';
import { isArkErrors } from './ark-errors.js';
import type { Issue } from './errors.js';

/**
 * Checking a value against a schema and saying where it is wrong, without any schema of the SDK's own:
 * a module that needs only these (the plugin runtime) does not build the catalogue by importing them.
 */
export type Validation<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Validate a value against a schema; issues carry JSON Pointer paths relative to `base`. */
export function validate<T>(schema: Type<T>, value: unknown, base = ''): Validation<T> {
  const out = schema(value);
  if (isArkErrors(out)) {
    return {
      ok: false,
      issues: out.map((e) => ({ path: base + toPointer(e.path), message: e.message })),
    };
  }
  return { ok: true, value: out as T };
}

export function formatIssues(issues: Issue[]): string {
  return issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
}
