/**
 * The four resource kinds of issue 4, as arktype schemas. Types are derived from these (never written
 * twice); defaults live here too, so a validated resource is always complete. Rules that need more than
 * one field or more than one resource live in rules.ts.
 */
import { API_VERSION_CONFIG, lazyType } from '@routerd/host-wire';
import {
  API_VERSION_PLUGIN,
  Capability,
  Duration,
  EventType,
  IPv4,
  IPv4Cidr,
  JsonObject,
  Name,
  PlanAction,
  parseDuration,
  ResourceName,
} from '@routerd/plugin-sdk';
import { Lifecycle } from '@routerd/plugin-sdk/client';
import { type } from 'arktype';

export const API_VERSION_FEDERATION = 'federation.routerd.net/v1alpha1';

// Unknown keys are refused rather than ignored: a misspelt field (`captureed:`) silently doing nothing
// is the worst kind of config error.
const strict = { '+': 'reject' } as const;

export const AbsolutePath = lazyType(() =>
  type(/^\//).describe('an absolute file path such as /etc/routerd/secret'),
);
export const HttpEndpoint = lazyType(() =>
  type(/^https?:\/\/[^\s/?#]+(?:\/[^\s]*)?$/).describe(
    'an http:// or https:// URL such as http://169.254.10.2:9443',
  ),
);
/** An exact event type, or a prefix ending in `*` (`routerd.client.*`, or `*` for every type). */
export const EventTypePattern = lazyType(() =>
  EventType.or(type(/^[a-z0-9.-]*\*$/)).describe(
    'an event type such as routerd.client.ipv4.observed, or a prefix ending in * such as routerd.client.*',
  ),
);
/** A certificate's SHA-256 fingerprint as openssl prints it (`AB:CD:…`, 32 bytes) or as 64 hex digits. */
export const Sha256Fingerprint = lazyType(() =>
  type(/^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/).describe(
    'a SHA-256 certificate fingerprint such as 3F:2A:…:9C (openssl x509 -noout -fingerprint -sha256; routerctl tls self-signed prints it)',
  ),
);
/**
 * Who may present a client certificate to the receiver (mTLS): one issued by the CA in `caFile`, or one
 * whose fingerprint is pinned; rules.ts requires exactly one of the two.
 */
const ClientAuth = lazyType(() =>
  type({
    ...strict,
    /** false: a client without a certificate is let in (its signature still decides); one with a bad certificate is not. */
    required: 'boolean = true',
    'caFile?': AbsolutePath,
    'pinnedSha256?': Sha256Fingerprint.array().atLeastLength(1),
  }),
);
/** The receiver's own TLS (listen.tls): served instead of plain HTTP, reloaded on SIGHUP. */
export const ListenTls = lazyType(() =>
  type({
    ...strict,
    certFile: AbsolutePath,
    keyFile: AbsolutePath,
    'clientAuth?': ClientAuth,
  }),
);
export type ListenTls = typeof ListenTls.infer;
/**
 * How this node trusts a peer's TLS receiver (an https:// endpoint): a CA file or pinned fingerprints,
 * not only the process-wide store; and the client certificate it presents, if the peer asks for one.
 */
export const PeerTls = lazyType(() =>
  type({
    ...strict,
    'caFile?': AbsolutePath,
    'pinnedSha256?': Sha256Fingerprint.array().atLeastLength(1),
    /** The name the peer's certificate must carry; default: the endpoint's host. */
    'serverName?': type(/^[A-Za-z0-9.-]{1,253}$/).describe('a DNS name such as cloud-1.routerd.internal'),
    'certFile?': AbsolutePath,
    'keyFile?': AbsolutePath,
  }),
);
export type PeerTls = typeof PeerTls.infer;
export const Port = lazyType(() =>
  type('1 <= number.integer <= 65535').describe('a TCP port from 1 to 65535'),
);
export const AddressOrCidr = lazyType(() =>
  IPv4.or(IPv4Cidr).describe('an IPv4 address or CIDR such as 10.88.60.9 or 10.88.60.0/24'),
);

/**
 * Node runs a timer longer than 2^31-1 ms (about 24.8 days) after 1 ms instead (TimeoutOverflowWarning):
 * a `timeout: 600h` timed every run out at once. Every duration that reaches a timer is bounded well
 * below that, at a maximum chosen for what the field means (docs/resources.md lists each one).
 */
export const TIMER_LIMIT_MS = 2 ** 31 - 1;
export function DurationAtMost(max: string) {
  const maxMs = parseDuration(max);
  if (maxMs > TIMER_LIMIT_MS) throw new Error(`DurationAtMost(${max}) is beyond what a timer can wait`);
  return Duration.narrow((text, ctx) => parseDuration(text) <= maxMs || ctx.mustBe(`at most ${max}`));
}
/** Retry delays, batching windows and the replay window: anything past an hour is a typo, not a plan. */
const UpToAnHour = lazyType(() => DurationAtMost('1h'));

const Metadata = lazyType(() =>
  type({
    ...strict,
    name: ResourceName,
    'annotations?': 'Record<string, string>',
    'labels?': 'Record<string, string>',
  }),
);
/** An EventGroup's name is written into every event's `group` field, so it must be a plain Name. */
const GroupMetadata = lazyType(() => Metadata.and({ name: Name }));

/**
 * Where the status page listens: a loopback address or a unix socket, never beyond this host — the page
 * shows addresses, peers and plans, and is not authenticated. One of `address` and `socket`.
 */
const StatusPage = lazyType(() =>
  type({
    ...strict,
    'address?': IPv4.narrow(
      (ip, ctx) =>
        ip.startsWith('127.') ||
        ctx.mustBe(
          'a loopback address (127.0.0.0/8): the status page is never served beyond this host (or use statusPage.socket)',
        ),
    ),
    port: Port.default(9480),
    'socket?': AbsolutePath,
  }),
);

/**
 * Where the daemon exports its spans and metrics over OTLP/HTTP (issue 21): a collector's base URL, to
 * which /v1/traces and /v1/metrics are appended. Credentials never go in it (they would be logged).
 */
const Otlp = lazyType(() =>
  type({
    ...strict,
    endpoint: HttpEndpoint.narrow(
      (url, ctx) =>
        !/^https?:\/\/[^/]*@/.test(url) ||
        ctx.mustBe('a URL without user:password@ (the endpoint is logged; put no credential in it)'),
    ),
    exportInterval: DurationAtMost('1h').default('10s'),
  }),
);

export const EventGroupSpec = lazyType(() =>
  type({
    ...strict,
    nodeName: Name,
    'listen?': {
      ...strict,
      address: IPv4,
      port: Port.default(9443),
      allowWildcard: 'boolean = false',
      /** Largest request body the receiver accepts; one event is at most 64 KiB regardless. */
      maxBodyBytes: type('65536 <= number.integer <= 67108864').default(1_048_576),
      /** Open connections to the receiver, all senders together: bounds the file descriptors it can hold. */
      maxConnections: type('1 <= number.integer <= 65536').default(256),
      /** Open connections from one remote address (a peer's sender uses at most 4). */
      maxConnectionsPerAddress: type('1 <= number.integer <= 65536').default(16),
      /** Serve TLS (certificate and key files, optional client certificates) instead of plain HTTP. */
      'tls?': ListenTls,
    },
    /**
     * How requests are signed: a shared HMAC secret (`v1`, the default scheme), or this node's own Ed25519
     * private key (`v1a`), each peer then verified with the public key its EventPeer names.
     */
    'auth?': type({ ...strict, mode: "'hmac'", secretFile: AbsolutePath }).or({
      ...strict,
      mode: "'ed25519'",
      privateKeyFile: AbsolutePath,
    }),
    replayWindow: UpToAnHour.default('5m'),
    /**
     * The longest an event may live: a peer's `expirytime` is capped at receipt + this, and a local write
     * that expires later is refused. Bounds how long a wrong or hostile peer clock can pin a claim.
     */
    maxEventTtl: Duration.default('24h'),
    retention: type({
      ...strict,
      maxAge: Duration.default('168h'),
      maxEvents: type('1 <= number.integer <= 100000000').default(1_000_000),
    }).default(() => ({})),
    captured: AddressOrCidr.array().default(() => []),
    /** Thresholds of `routerctl doctor federation` for this group (docs/resources.md § EventGroup). */
    doctor: type({
      ...strict,
      /** Pending deliveries to one peer above this are a FAIL. */
      maxPending: type('0 <= number.integer <= 100000000').default(1000),
      /** The oldest pending delivery older than this (or a delivered one that took longer) is a problem. */
      maxLag: Duration.default('60s'),
      /** Failed deliveries per peer, and failed runs per subscription, above this are a FAIL. */
      maxFailed: type('0 <= number.integer <= 100000000').default(0),
      /** A sender whose webhook-timestamp is further than this from our clock is a WARN. */
      maxClockSkew: Duration.default('30s'),
      /** A peer with pending deliveries and no success for this long is a FAIL. */
      peerSilentAfter: Duration.default('5m'),
    }).default(() => ({})),
    /** The read-only live status page (docs/resources.md § EventGroup): off unless given. */
    'statusPage?': StatusPage,
    /** OTLP/HTTP export of the journey's spans and the daemon's metrics: off unless given. */
    'otlp?': Otlp,
  }),
);

export const EventPeerSpec = lazyType(() =>
  type({
    ...strict,
    groupRef: Name,
    nodeName: Name,
    endpoint: HttpEndpoint,
    push: type({
      ...strict,
      types: EventTypePattern.array().default(() => []),
      subjectPrefixes: type('string')
        .array()
        .default(() => []),
    }).default(() => ({})),
    /** hmac groups: a secret for this pair only; ed25519 groups: the peer's public keys (required there). */
    'auth?': type({ ...strict, secretFile: AbsolutePath }).or({ ...strict, publicKeyFile: AbsolutePath }),
    /** Trust anchor (and client certificate) for an https:// endpoint. */
    'tls?': PeerTls,
    retry: type({
      ...strict,
      baseDelay: UpToAnHour.default('1s'),
      maxDelay: UpToAnHour.default('5m'),
    }).default(() => ({})),
  }),
);

export const MatchValue = lazyType(() => type('string | number | boolean'));

export const EventSubscriptionSpec = lazyType(() =>
  type({
    ...strict,
    groupRef: Name,
    match: type({
      ...strict,
      types: EventTypePattern.array().default(() => []),
      subjectPrefixes: type('string')
        .array()
        .default(() => []),
      payload: type({ '[string]': MatchValue }).default(() => ({})),
      sourceNodes: Name.array().default(() => []),
    }).default(() => ({})),
    trigger: {
      ...strict,
      pluginRef: ResourceName,
      batchWindow: UpToAnHour.default('0s'),
      debounce: UpToAnHour.default('0s'),
      maxBatch: type('1 <= number.integer <= 10000').default(100),
    },
    /** Failed runs are retried with capped exponential backoff until the event expires. */
    retry: type({
      ...strict,
      baseDelay: UpToAnHour.default('2s'),
      maxDelay: UpToAnHour.default('5m'),
    }).default(() => ({})),
    /**
     * Stored events that arrived before the subscription existed (or before its match covered them): at
     * each start and reload, the oldest live ones it matches and never handled, up to `maxEvents`, are
     * run like new ones (subscriptions/backfill.ts). 0 turns it off.
     */
    backfill: type({
      ...strict,
      maxEvents: type('0 <= number.integer <= 100000').default(1000),
    }).default(() => ({})),
    /**
     * De-provisioning is hysteretic: a claim is released only `grace` after its last observation, and any
     * re-observation cancels the release. `observationTTL` is the TTL observers give their observations;
     * a grace shorter than 3× it would release a claim whose client merely missed a refresh or two.
     */
    teardown: type({
      ...strict,
      grace: DurationAtMost('168h').default('30m'),
      observationTTL: Duration.default('300s'),
    }).default(() => ({})),
  }),
);

export const PluginTrigger = lazyType(() =>
  type({ ...strict, type: "'interval'", every: DurationAtMost('24h') }),
);
export type PluginTrigger = typeof PluginTrigger.infer;

export const PluginSpec = lazyType(() =>
  type({
    ...strict,
    executable: AbsolutePath,
    args: type('string')
      .array()
      .default(() => []),
    timeout: DurationAtMost('1h').default('30s'),
    env: type('Record<string, string>').default(() => ({})),
    capabilities: Capability.array().default(() => []),
    config: JsonObject.default(() => ({})),
    /**
     * The JSON Schema `config` is checked against before anything starts; absent: the one the plugin's
     * package ships (package.json `routerd.configSchema`), if any (config/plugin-config.ts).
     */
    'configSchema?': AbsolutePath,
    lifecycle: Lifecycle.default('oneShot'),
    /** Schedules that run the plugin with `trigger {type: interval}`; rules.ts refuses `every` under 1s. */
    triggers: PluginTrigger.array().default(() => []),
  }),
);

/**
 * Lets dynamic parts from the named sources mask (hide) the named startup resources. Without a policy
 * that allows it, a mask directive is refused: a plugin can propose, but only the operator decides
 * what it may override.
 */
export const DynamicOverridePolicySpec = lazyType(() =>
  type({
    ...strict,
    /** `EventSubscription/<name>` or `Plugin/<name>`; `*` after the slash matches every name. */
    sources: type(/^(EventSubscription|Plugin)\/([a-z0-9][a-z0-9.-]*|\*)$/)
      .array()
      .atLeastLength(1),
    targets: type({ ...strict, kind: /^[A-Z][A-Za-z0-9]*$/, 'name?': ResourceName })
      .array()
      .atLeastLength(1),
  }),
);

/**
 * What the action executor may do for one provider (docs/actions.md). The resource is named after the
 * provider whose plans it governs (`ActionPolicy/aws` governs plans with `provider: aws`): one policy per
 * provider, and the duplicate-name rule already refuses two. Without one, nothing of that provider runs.
 */
export const ActionRule = lazyType(() =>
  type({
    ...strict,
    /** `*` or one PlanAction (e.g. `assign-secondary-ip`). */
    action: type("'*'").or(PlanAction).default('*'),
    phase: type("'*' | 'provision' | 'teardown'").default('*'),
    /** The plan risk levels this rule covers. */
    risk: type("'low' | 'medium' | 'high'")
      .array()
      .atLeastLength(1)
      .default(() => ['low']),
    mode: type("'manual' | 'auto'").default('manual'),
  }),
);
export type ActionRule = typeof ActionRule.infer;

/** Environment names that carry a secret: refused, so no credential is ever in a config file or the journal. */
export const CREDENTIAL_ENV_NAME = /SECRET|TOKEN|PASSWORD|PASSPHRASE|ACCESS_KEY|PRIVATE_KEY|CLIENT_CERT/i;
const EnvName = lazyType(() =>
  type(/^[A-Za-z_][A-Za-z0-9_]*$/).narrow(
    (name, ctx) =>
      !CREDENTIAL_ENV_NAME.test(name) ||
      ctx.mustBe(
        'a variable that holds no credential (point the tool at a named profile, a credentials file or the instance identity instead)',
      ),
  ),
);

export const ActionPolicySpec = lazyType(() =>
  type({
    ...strict,
    /** The step tool name (`aws`) → its absolute path. No PATH lookup: a step whose tool is not here is refused. */
    tools: type({ '[string]': AbsolutePath }),
    /**
     * The tool's whole environment besides PATH=/usr/bin:/bin and HOME (e.g. AWS_PROFILE,
     * AWS_SHARED_CREDENTIALS_FILE, AWS_REGION). The daemon's own environment is never passed on.
     */
    env: type({ '[string]': 'string' }).default(() => ({})),
    /** Appended to every step and verify argv as `<endpointFlag> <endpointUrl>`: a local endpoint in tests. */
    'endpointUrl?': HttpEndpoint,
    endpointFlag: type(/^--[a-z][a-z0-9-]*$/).default('--endpoint-url'),
    /** First matching rule wins; no match: manual. */
    rules: ActionRule.array().default(() => []),
    /** An `auto` rule that covers teardown is refused unless this is true: removing an address is the riskier half. */
    allowAutoTeardown: type('boolean').default(false),
    rateLimit: type({
      ...strict,
      perMinute: type('1 <= number.integer <= 600').default(6),
      burst: type('1 <= number.integer <= 100').default(3),
    }).default(() => ({})),
    retry: type({
      ...strict,
      attempts: type('1 <= number.integer <= 20').default(5),
      baseDelay: UpToAnHour.default('2s'),
      maxDelay: UpToAnHour.default('60s'),
    }).default(() => ({})),
    verify: type({
      ...strict,
      /** How long verify keeps polling the plan's read-only check (clouds are eventually consistent). */
      timeout: DurationAtMost('1h').default('60s'),
      interval: UpToAnHour.default('2s'),
    }).default(() => ({})),
    /** The doctor warns about an execution of this provider awaiting approval for longer than this. */
    approvalWarnAfter: DurationAtMost('168h').default('1h'),
  }).narrow((spec, ctx) => {
    for (const name of Object.keys(spec.env))
      if (!EnvName.allows(name))
        return ctx.reject({
          path: ['env', name],
          expected: 'a variable that holds no credential',
          actual: name,
        });
    const i = spec.rules.findIndex((r) => r.mode === 'auto' && r.phase !== 'provision');
    if (i >= 0 && !spec.allowAutoTeardown)
      return ctx.reject({
        path: ['rules', i, 'mode'],
        expected: `manual, or allowAutoTeardown: true (an auto rule with phase "${spec.rules[i]!.phase}" covers teardown)`,
        actual: 'auto',
      });
    return true;
  }),
);

/** The envelope every resource shares: `{apiVersion, kind, metadata, spec}`. */
function envelope<const V extends string, const K extends string>(apiVersion: V, kind: K) {
  return { ...strict, apiVersion: type.unit(apiVersion), kind: type.unit(kind) };
}

export const EventGroup = lazyType(() =>
  type({
    ...envelope(API_VERSION_FEDERATION, 'EventGroup'),
    metadata: GroupMetadata,
    spec: EventGroupSpec,
  }),
);
export type EventGroup = typeof EventGroup.infer;
export const EventPeer = lazyType(() =>
  type({
    ...envelope(API_VERSION_FEDERATION, 'EventPeer'),
    metadata: Metadata,
    spec: EventPeerSpec,
  }),
);
export type EventPeer = typeof EventPeer.infer;
export const EventSubscription = lazyType(() =>
  type({
    ...envelope(API_VERSION_FEDERATION, 'EventSubscription'),
    metadata: Metadata,
    spec: EventSubscriptionSpec,
  }),
);
export type EventSubscription = typeof EventSubscription.infer;
export const Plugin = lazyType(() =>
  type({
    ...envelope(API_VERSION_PLUGIN, 'Plugin'),
    metadata: Metadata,
    spec: PluginSpec,
  }),
);
export type Plugin = typeof Plugin.infer;

export const DynamicOverridePolicy = lazyType(() =>
  type({
    ...envelope(API_VERSION_CONFIG, 'DynamicOverridePolicy'),
    metadata: Metadata,
    spec: DynamicOverridePolicySpec,
  }),
);
export type DynamicOverridePolicy = typeof DynamicOverridePolicy.infer;

export const ActionPolicy = lazyType(() =>
  type({
    ...envelope(API_VERSION_CONFIG, 'ActionPolicy'),
    metadata: Metadata,
    spec: ActionPolicySpec,
  }),
);
export type ActionPolicy = typeof ActionPolicy.infer;

/** Kind → (apiVersion, schema). Adding a kind (DynamicOverridePolicy, …) is one line here. */
export const resourceKinds = {
  EventGroup: { apiVersion: API_VERSION_FEDERATION, schema: EventGroup },
  EventPeer: { apiVersion: API_VERSION_FEDERATION, schema: EventPeer },
  EventSubscription: { apiVersion: API_VERSION_FEDERATION, schema: EventSubscription },
  Plugin: { apiVersion: API_VERSION_PLUGIN, schema: Plugin },
  DynamicOverridePolicy: { apiVersion: API_VERSION_CONFIG, schema: DynamicOverridePolicy },
  ActionPolicy: { apiVersion: API_VERSION_CONFIG, schema: ActionPolicy },
} as const;
export type ResourceKind = keyof typeof resourceKinds;
export type AnyResource =
  | EventGroup
  | EventPeer
  | EventSubscription
  | Plugin
  | DynamicOverridePolicy
  | ActionPolicy;

/** Just enough of a document to say which resource it is before validating it in full. */
export const ResourceHeader = lazyType(() =>
  type({
    apiVersion: 'string',
    kind: 'string',
    'metadata?': { 'name?': 'unknown' },
  }),
);
