import { isArkErrors } from '../protocol/ark-errors.js';
import { parseDuration } from '../protocol/duration.js';
import type { Diagnostic } from '../protocol/schemas/common.js';
import type { ProviderAdapter } from './adapter.js';
import type { AddressClaimConfig } from './config.js';
import { RouterIdentity } from './identity.js';
import { MetadataClient, MetadataProblem } from './metadata.js';

export type IdentityAnswer = { identity: RouterIdentity } | { diagnostics: Diagnostic[] };

interface CachedIdentity {
  identity: RouterIdentity;
  until: number;
}

/**
 * The router's identity: from config when given (no metadata request at all), else from the provider's
 * metadata service. A discovered identity is reused for `identityCacheFor`; a failure is never cached,
 * so the next run asks again. Never throws: every failure is a diagnostic.
 */
export class IdentitySource<Config extends AddressClaimConfig> {
  private cached: CachedIdentity | undefined;

  constructor(
    private readonly adapter: ProviderAdapter<Config>,
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(signal?: AbortSignal): Promise<IdentityAnswer> {
    if (this.config.identity) return { identity: this.config.identity };
    if (this.cached && this.cached.until > this.now()) return { identity: this.cached.identity };
    const answer = await this.discover(signal);
    if ('identity' in answer) {
      this.cached = {
        identity: answer.identity,
        until: this.now() + parseDuration(this.config.identityCacheFor),
      };
    }
    return answer;
  }

  private async discover(signal?: AbortSignal): Promise<IdentityAnswer> {
    const { service, defaultBaseUrl } = this.adapter.identity;
    const imds = new MetadataClient({
      baseUrl: this.config.metadataUrl ?? defaultBaseUrl,
      timeoutMs: parseDuration(this.config.metadataTimeout),
      service,
      ...(signal ? { signal } : {}),
    });
    let found: unknown;
    try {
      found = await this.adapter.identity.discover(imds, this.config);
    } catch (err) {
      if (err instanceof MetadataProblem) return { diagnostics: [err.diagnostic] };
      return {
        diagnostics: [
          { severity: 'error', summary: `${service}: identity discovery failed: ${(err as Error).message}` },
        ],
      };
    }
    // A guard against an adapter bug: a half-discovered identity would produce plans that cannot run.
    const identity = RouterIdentity(found);
    const missing = isArkErrors(identity)
      ? []
      : this.adapter.identity.requiredIdentity.filter((f) => identity[f] === undefined);
    if (isArkErrors(identity) || missing.length) {
      const detail = isArkErrors(identity) ? identity.summary : `missing ${missing.join(', ')}`;
      return {
        diagnostics: [
          { severity: 'error', summary: `${service}: the discovered identity is incomplete`, detail },
        ],
      };
    }
    return { identity };
  }
}
