import { ClientIpv4Payload, EventTypes, formatIssues, validate } from '@routerd/plugin-sdk';
import { claimName } from '@routerd/plugin-sdk/domain';
import { definePlugin } from '@routerd/plugin-sdk/server';
import { type } from 'arktype';
import manifest from '../package.json' with { type: 'json' };

// What the operator may write in the Plugin resource's spec.config. A field this schema does not
// declare is refused when the plugin starts, so a typo cannot leave a default silently in force.
export const Config = type({
  // Only addresses observed in this domain (the events' payload.domain); every domain when absent.
  'domain?': 'string',
});

// For each on-prem client address observed in the events it is given, proposes a RemoteAddressClaim
// named after the address (10.88.60.9/32 → onprem-10-88-60-9).
export const plugin = definePlugin({
  name: manifest.name,
  version: manifest.version,
  capabilities: ['{{capabilities}}'],
  configSchema: Config,
  async run(request, ctx) {
    const claims = [];
    const diagnostics = [];
    for (const [i, event] of request.spec.events.entries()) {
      if (event.type !== EventTypes.clientIpv4Observed) continue;
      // Check a payload before trusting it: a malformed event costs only itself, and says why.
      const path = `/spec/events/${i}/payload`;
      const payload = validate(ClientIpv4Payload, event.payload, path);
      if (!payload.ok) {
        diagnostics.push({ severity: 'warning' as const, summary: formatIssues(payload.issues), path });
        continue;
      }
      const { address, domain } = payload.value;
      if (ctx.config.domain && domain !== ctx.config.domain) continue;
      claims.push({
        apiVersion: 'net.routerd.net/v1alpha1',
        kind: 'RemoteAddressClaim',
        metadata: { name: claimName(address) },
        spec: { address, domain, ownerNode: event.sourceNode },
      });
    }
    ctx.log.info('run', { events: request.spec.events.length, claims: claims.length });
    return { ttl: '30m', resources: claims, diagnostics };
  },
});
