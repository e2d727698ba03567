import type { Type } from 'arktype';
import type { EventDraft } from '../protocol/schemas/event.js';
import type {
  Capability,
  InitializeParams,
  PluginRequest,
  PluginResult,
  PublishResult,
} from '../protocol/schemas/messages.js';
import type { PlanAction } from '../protocol/schemas/resources.js';
import type { Logger } from './logger.js';

/** What a run handler returns: the result status without the boilerplate the SDK fills in. */
export type RunOutput = Omit<PluginResult['status'], 'observedAt'> & { observedAt?: string };

export interface PluginContext<Config> {
  config: Config;
  granted: readonly Capability[];
  host: InitializeParams['host'];
  /** The plan actions the host accepts (its `initialize`; PLAN_ACTIONS_UNSAID when it did not say). */
  planActions: readonly PlanAction[];
  log: Logger;
  /** Publish observed events to the host (`observe.events`). Resolves with the host's per-event verdicts. */
  publish(events: EventDraft[]): Promise<PublishResult>;
}

export interface RunContext<Config> extends PluginContext<Config> {
  requestId: string;
  /** Aborted when the host cancels the request or its deadline passes. */
  signal: AbortSignal;
  deadline: Date;
  /** Report progress; the host may use it to show liveness. Values must not decrease. */
  progress(progress: number, total?: number, message?: string): void;
}

export interface WatchContext<Config> extends PluginContext<Config> {
  /** Aborted at shutdown or when stdin closes: stop watching and return. */
  signal: AbortSignal;
}

export interface PluginDefinition<Config = Record<string, unknown>> {
  name: string;
  version: string;
  /** The capabilities this plugin uses. The host refuses to start it if any is not granted. */
  capabilities: readonly Capability[];
  /**
   * Schema for `spec.config`; a config that fails it is refused at `initialize` (-32602) with the field
   * path. Fields it does not declare are refused too, at any depth (a typo must not fall back to a
   * default in silence), unless `acceptUnknownConfigFields` is set.
   */
  configSchema?: Type<Config>;
  /** Open config: fields `configSchema` does not declare are passed through instead of refused. */
  acceptUnknownConfigFields?: boolean;
  /** Handles `plugin/run`. */
  run?: (request: PluginRequest, ctx: RunContext<Config>) => RunOutput | Promise<RunOutput>;
  /** Long-lived observers: started after `notifications/initialized`, stopped at shutdown. */
  watch?: (ctx: WatchContext<Config>) => void | Promise<void>;
}

/** Identity function that gives a plugin definition its types. */
export function definePlugin<Config = Record<string, unknown>>(
  definition: PluginDefinition<Config>,
): PluginDefinition<Config> {
  return definition;
}
