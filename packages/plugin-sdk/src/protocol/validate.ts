import type { Type } from 'arktype';
import type { Issue } from './errors.js';
import { wellKnownPayloads } from './schemas/payloads.js';
import { wellKnownResources } from './schemas/resources.js';
import { validate } from './validation.js';

export { formatIssues, toPointer, type Validation, validate } from './validation.js';

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
