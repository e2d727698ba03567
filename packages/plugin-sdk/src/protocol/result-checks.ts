import type { Issue } from './errors.js';
import type { PluginResult } from './schemas/messages.js';
import { PluginResult as PluginResultSchema } from './schemas/messages.js';
import { validate, validateEventPayload, validateWellKnownResource } from './validate.js';

export {
  type CapabilityViolation,
  capabilityViolations,
  RESULT_FIELD_CAPABILITY,
} from './result-capabilities.js';

/** Full structural check of a result: schema, then well-known payloads and resource kinds. */
export function checkPluginResult(
  value: unknown,
): { ok: true; value: PluginResult } | { ok: false; issues: Issue[] } {
  const r = validate(PluginResultSchema, value);
  if (!r.ok) return r;
  const issues: Issue[] = [];
  r.value.status.events?.forEach((ev, i) => {
    issues.push(...validateEventPayload(ev.type, ev.payload, `/status/events/${i}/payload`));
  });
  r.value.status.resources?.forEach((res, i) => {
    issues.push(...validateWellKnownResource(res, `/status/resources/${i}`));
  });
  return issues.length ? { ok: false, issues } : r;
}
