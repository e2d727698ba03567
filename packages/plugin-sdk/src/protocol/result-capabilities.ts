import type { Capability, PluginResult } from './schemas/messages.js';

/** Which capability each part of a result needs. One table, read by the SDK, the host and the conformance suite. */
export const RESULT_FIELD_CAPABILITY = {
  events: 'observe.events',
  resources: 'propose.dynamicConfig',
  directives: 'propose.dynamicConfig',
  actionPlans: 'propose.providerAction',
} as const satisfies Record<string, Capability>;

export interface CapabilityViolation {
  field: keyof typeof RESULT_FIELD_CAPABILITY;
  capability: Capability;
}

// Listed once: this runs on both sides of every plugin/run.
const FIELD_CAPABILITIES = Object.entries(RESULT_FIELD_CAPABILITY) as [
  CapabilityViolation['field'],
  Capability,
][];

/** Non-empty result fields whose capability is not in `held`. */
export function capabilityViolations(
  status: PluginResult['status'],
  held: readonly Capability[],
): CapabilityViolation[] {
  const out: CapabilityViolation[] = [];
  for (const [field, capability] of FIELD_CAPABILITIES) {
    const value = status[field];
    if (Array.isArray(value) && value.length > 0 && !held.includes(capability))
      out.push({ field, capability });
  }
  return out;
}
