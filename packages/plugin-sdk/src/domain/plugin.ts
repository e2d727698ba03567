import type { Type } from 'arktype';
import { parseDuration } from '../protocol/duration.js';
import type { ActionPlan } from '../protocol/schemas/resources.js';
import { definePlugin, type PluginDefinition } from '../server/define-plugin.js';
import type { ProviderAdapter } from './adapter.js';
import type { AddressClaimConfig, AuthConfig } from './config.js';
import { IdentitySource } from './discovery.js';
import { collectAddressChanges } from './observations.js';
import { planAddressChanges } from './plans.js';
import { captureScope, scopeProblems } from './scope.js';

/** Instance identity first; then what the operator configured, named but never carried. */
export function planAuth(instanceIdentity: string, auth: AuthConfig): ActionPlan['auth'] {
  const fallback = [...(auth.profile ? [`profile:${auth.profile}`] : []), ...(auth.env ? ['env'] : [])];
  return fallback.length ? { mode: instanceIdentity, fallback } : { mode: instanceIdentity };
}

/** The adapter's config schema, refusing at initialize a config identity that lacks a field the commands need. */
function configWithRequiredIdentity<C extends AddressClaimConfig>(adapter: ProviderAdapter<C>): Type<C> {
  // Generic arktype types do not expose a callable narrow; the runtime method is the same on every Type.
  const schema = adapter.configSchema as unknown as Type<AddressClaimConfig>;
  return schema.narrow((config, ctx) => {
    const identity = config.identity;
    if (!identity) return true;
    const missing = adapter.identity.requiredIdentity.find((f) => identity[f] === undefined);
    if (!missing) return true;
    return ctx.reject({
      path: ['identity', missing],
      expected: `${missing} (the ${adapter.provider} commands need it)`,
      actual: 'absent',
    });
  }) as unknown as Type<C>;
}

/**
 * An executable address-claim plugin from a provider adapter: `routerd.client.ipv4.observed/expired`
 * events in → `RemoteAddressClaim`s and dry-run action plans out, with capabilities
 * `propose.dynamicConfig` + `propose.providerAction`. Serve it with `serveStdio`.
 */
export function defineAddressClaimPlugin<C extends AddressClaimConfig>(
  adapter: ProviderAdapter<C>,
): PluginDefinition<C> {
  // One identity source per config (one per plugin process in practice; several under a test host).
  const sources = new WeakMap<object, IdentitySource<C>>();
  const sourceFor = (config: C) => {
    const known = sources.get(config);
    if (known) return known;
    const fresh = new IdentitySource(adapter, config);
    sources.set(config, fresh);
    return fresh;
  };

  return definePlugin<C>({
    name: `${adapter.provider}-address-claim`,
    version: adapter.version,
    capabilities: ['propose.dynamicConfig', 'propose.providerAction'],
    configSchema: configWithRequiredIdentity(adapter),
    async run(request, ctx) {
      const config = ctx.config;
      const base = { observedAt: request.spec.now, ttl: config.resultTtl };
      const { changes, diagnostics } = collectAddressChanges(request.spec.events);
      // Nothing to plan: leave the metadata service alone.
      if (changes.length === 0) return { ...base, diagnostics };

      const found = await sourceFor(config).resolve(ctx.signal);
      if ('diagnostics' in found) return { ...base, diagnostics: [...diagnostics, ...found.diagnostics] };

      const scope = captureScope(found.identity, config, adapter.reservedAddresses);
      const inScope = changes.filter((change) => {
        const problems = scopeProblems(change, scope);
        diagnostics.push(...problems);
        return problems.length === 0;
      });
      const planned = planAddressChanges(
        {
          provider: adapter.provider,
          cli: adapter.cli,
          identity: found.identity,
          scope,
          auth: planAuth(adapter.cli.instanceIdentity, config.auth),
          ...(config.teardownGrace ? { teardownGraceMs: parseDuration(config.teardownGrace) } : {}),
          planActions: ctx.planActions,
        },
        inScope,
        { forwarding: config.forwarding },
      );
      return { ...base, ...planned, diagnostics };
    },
  });
}
