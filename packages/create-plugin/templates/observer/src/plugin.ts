import { hostname, loadavg } from 'node:os';
import { definePlugin } from '@routerd/plugin-sdk/server';
import { type } from 'arktype';
import manifest from '../package.json' with { type: 'json' };

// The event type this plugin publishes: dotted and lowercase, and yours (routerd.* is routerd's).
export const LOAD_OBSERVED = '{{eventPrefix}}.load.observed';

// What the operator may write in the Plugin resource's spec.config. A field this schema does not
// declare is refused when the plugin starts, so a typo cannot leave a default silently in force.
export const Config = type({
  // What the events are about; this machine's host name when absent.
  'subject?': '0 < string <= 256',
});

// On each run (the Plugin resource's interval trigger, or `routerctl plugin run`) it observes this
// machine's load average and publishes it to the host as one event, valid for 5 minutes; the host
// stores it and pushes it to the peers that want it.
export const plugin = definePlugin({
  name: manifest.name,
  version: manifest.version,
  capabilities: ['{{capabilities}}'],
  configSchema: Config,
  async run(_request, ctx) {
    const [load1, load5, load15] = loadavg();
    const subject = ctx.config.subject ?? hostname();
    const verdict = await ctx.publish([
      { type: LOAD_OBSERVED, subject, payload: { load1, load5, load15 }, ttl: '5m' },
    ]);
    ctx.log.info('run', { subject, load1, accepted: verdict.accepted.length });
    // The host judges each event on its own; a refusal is reported, not thrown, so the run still ends.
    return {
      diagnostics: verdict.rejected.map((r) => ({
        severity: 'warning' as const,
        summary: `event refused: ${r.reason}`,
      })),
    };
  },
});
