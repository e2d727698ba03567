/**
 * A gate with words: the precompiled gate decides, and only a value it refuses loads the arktype schema
 * of the same name (detail.ts) to say what is wrong and where. The protocol's hot path — every message a
 * plugin or a host reads — thus runs without arktype, and its refusals read exactly as before.
 */
import type { PluginResult } from '../schemas/messages.js';
import type { Validation } from '../validation.js';
import { type Gate, type GateName, gates, pluginResultHolds } from './index.js';

/** A check of a wire value: synchronous when the gate accepts it, a promise of the issues otherwise. */
export type Check<T> = (raw: unknown) => Validation<T> | Promise<Validation<T>>;

async function describe<T>(name: GateName, raw: unknown): Promise<Validation<T>> {
  const { describeRefusal } = await import('./detail.js');
  return describeRefusal(name, raw) as Validation<T>;
}

/** The schema named `name` as a Check: its gate first, its arktype schema for a refused value. */
export function gated<T>(name: GateName, holds: (raw: unknown) => boolean = gates[name]): Check<T> {
  return (raw) => (holds(raw) ? { ok: true, value: raw as T } : describe<T>(name, raw));
}

type Checked<G> = G extends Gate<infer T> ? Check<T> : never;

export const messageChecks = Object.fromEntries(
  (Object.keys(gates) as GateName[]).map((name) => [name, gated(name)]),
) as { [N in GateName]: Checked<(typeof gates)[N]> };

/** A plugin/run result as checkPluginResult checks it: the schema, then well-known payloads and kinds. */
export const checkRunResult: Check<PluginResult> = gated<PluginResult>('PluginResult', pluginResultHolds);
