/**
 * What a run is asked to work on: the protocol's `spec.trigger` and `spec.events`. The host's API to
 * its plugin host, not a wire type; the run outcome, the run records and the plugin status, which the
 * control API serves, are in @routerd/host-wire.
 */
import { Event, Trigger } from '@routerd/plugin-sdk';
import { type } from 'arktype';

export const PluginRunInput = type({ trigger: Trigger, events: Event.array() });
export type PluginRunInput = typeof PluginRunInput.infer;
