import { definePlugin } from '@routerd/plugin-sdk/server';
import type { Type } from 'arktype';
import { ArpObserverConfig, toSettings } from './config.js';
import { ArpObserver } from './observer.js';
import { PLUGIN_VERSION } from './version.js';

export interface ArpObserverPluginOptions {
  /** Called once per watch, when the observer is armed and its first observations have been answered. */
  onStarted?: () => void;
}

/**
 * The ARP/DHCP observer: a long-lived `observe.events` plugin that publishes
 * `routerd.client.ipv4.observed` / `.expired` for the clients present on the on-prem LAN. Each call makes
 * an independent plugin (its own observer), so several can run in one process, as tests do.
 */
export function createArpObserverPlugin(options: ArpObserverPluginOptions = {}) {
  let observer: ArpObserver | undefined;
  return definePlugin<ArpObserverConfig>({
    name: 'arp-observer',
    version: PLUGIN_VERSION,
    capabilities: ['observe.events'],
    // The schema's output (defaults filled in) is what the plugin receives.
    configSchema: ArpObserverConfig as unknown as Type<ArpObserverConfig>,
    async watch(ctx) {
      observer = new ArpObserver({
        settings: toSettings(ctx.config),
        log: ctx.log,
        publish: (drafts) => ctx.publish(drafts),
        signal: ctx.signal,
        onStarted: options.onStarted,
      });
      await observer.run();
    },
    // A sweep (`routerctl plugin run`, an interval trigger): the observations currently held, unchanged.
    run(_request, ctx) {
      const current = observer?.currentObservations() ?? { armed: false, drafts: [] };
      return {
        ttl: ctx.config.ttl,
        events: current.drafts,
        diagnostics: current.armed
          ? []
          : [
              {
                severity: 'info',
                summary: 'the first neighbour snapshot and lease read have not completed yet',
              },
            ],
      };
    },
  });
}

export const arpObserverPlugin = createArpObserverPlugin();
