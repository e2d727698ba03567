/**
 * Where a plugin's result goes. Every result becomes dynamic config through the one entry point
 * (DynamicConfig.applyResult, which runs every invariant): event-triggered runs are applied by the
 * subscription engine, which records the outcome in its ledger; manual and interval runs are applied here
 * as the plugin host reports them. A dry run is never applied (the plugin host does not report it).
 */
import type { DynamicConfig } from '../dynamic/service.js';
import type { PluginHost } from '../plugins/plugin-host.js';
import type { SubscriptionEngineOptions } from '../subscriptions/engine.js';

/** What the subscription engine does with a successful run's result and with a TTL refresh. */
export function subscriptionResults(
  dynamic: DynamicConfig,
): Pick<SubscriptionEngineOptions, 'apply' | 'onRefresh'> {
  return {
    apply: (sub, events, result) => dynamic.applyResult({ subscription: sub }, events, result),
    onRefresh: (sub, event) => dynamic.noteRefresh(sub, event),
  };
}

/** Manual and interval runs become parts too, through the same checks. */
export function routeOtherRunResults(plugins: PluginHost, dynamic: DynamicConfig): void {
  plugins.onResult((name, outcome, input) => {
    if (input.trigger.type !== 'event' && outcome.result)
      dynamic.applyResult({ plugin: name, trigger: input.trigger.type }, input.events, outcome.result);
  });
}
