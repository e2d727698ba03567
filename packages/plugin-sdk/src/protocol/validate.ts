import type { Type } from 'arktype';
import { isArkErrors } from './ark-errors.js';
import type { Issue } from './errors.js';
import { wellKnownPayloads } from './schemas/payloads.js';
import { wellKnownResources } from './schemas/resources.js';

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

/** Second pass for a well-known event type: its payload must match the type's schema. */
export function validateEventPayload(eventType: string, payload: unknown, base = '/payload'): Issue[] {
  const schema = (wellKnownPayloads as Record<string, Type<unknown>>)[eventType];
  if (!schema) return [];
  const r = validate(schema, payload, base);
  return r.ok ? [] : r.issues;
}

/** Second pass for a well-known resource kind (e.g. RemoteAddressClaim). */
export function validateWellKnownResource(resource: { kind: string }, base = ''): Issue[] {
  const schema = (wellKnownResources as Record<string, Type<unknown>>)[resource.kind];
  if (!schema) return [];
  const r = validate(schema, resource, base);
  return r.ok ? [] : r.issues;
}

export function formatIssues(issues: Issue[]): string {
  return issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ');
}
