/**
 * Rules a schema cannot say alone: relations between fields (baseDelay ≤ maxDelay), between resources
 * (groupRef, pluginRef, duplicate names) and operational guard rails (no wildcard listener by accident).
 */
import { parseDuration } from '@routerd/plugin-sdk';
import { type ConfigIssue, issueIn, type Located, resourceId } from './issues.js';
import type {
  ActionPolicy,
  AnyResource,
  DynamicOverridePolicy,
  EventGroup,
  EventPeer,
  EventSubscription,
  Plugin,
} from './schemas.js';

export interface ResourceSet {
  groups: Located<EventGroup>[];
  peers: Located<EventPeer>[];
  subscriptions: Located<EventSubscription>[];
  plugins: Located<Plugin>[];
  policies: Located<DynamicOverridePolicy>[];
  actionPolicies: Located<ActionPolicy>[];
}

export function groupByKind(resources: Located<AnyResource>[]): ResourceSet {
  const set: ResourceSet = {
    groups: [],
    peers: [],
    subscriptions: [],
    plugins: [],
    policies: [],
    actionPolicies: [],
  };
  for (const r of resources) {
    const k = r.resource.kind;
    if (k === 'EventGroup') set.groups.push(r as Located<EventGroup>);
    else if (k === 'EventPeer') set.peers.push(r as Located<EventPeer>);
    else if (k === 'EventSubscription') set.subscriptions.push(r as Located<EventSubscription>);
    else if (k === 'DynamicOverridePolicy') set.policies.push(r as Located<DynamicOverridePolicy>);
    else if (k === 'ActionPolicy') set.actionPolicies.push(r as Located<ActionPolicy>);
    else set.plugins.push(r as Located<Plugin>);
  }
  return set;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Shortest `Plugin.spec.triggers[].every`. */
export const MIN_INTERVAL_MS = 1000;

export function checkRules(
  all: Located<AnyResource>[],
  set: ResourceSet,
  rejected: ReadonlySet<string>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (r: Located<AnyResource>, path: string, message: string) =>
    issues.push(issueIn(r, path, message));
  const positive = (r: Located<AnyResource>, path: string, value: string) => {
    if (parseDuration(value) <= 0) add(r, path, `must be longer than 0 (was "${value}")`);
  };

  // Same Kind/name twice: the second one is the error, and it says where the first one is.
  const seen = new Map<string, Located<AnyResource>>();
  for (const r of all) {
    const id = resourceId(r.resource);
    const first = seen.get(id);
    if (first) {
      add(
        r,
        '/metadata/name',
        `duplicates ${id} already defined in ${first.origin.file} document ${first.origin.document}`,
      );
    } else seen.set(id, r);
  }

  const groups = new Map(set.groups.map((g) => [g.resource.metadata.name, g]));
  const plugins = new Map(set.plugins.map((p) => [p.resource.metadata.name, p]));
  const groupRef = (r: Located<EventPeer | EventSubscription>) => {
    const group = groups.get(r.resource.spec.groupRef);
    if (!group && !rejected.has(`EventGroup/${r.resource.spec.groupRef}`)) {
      const known = [...groups.keys()].join(', ') || 'none defined';
      add(
        r,
        '/spec/groupRef',
        `refers to EventGroup "${r.resource.spec.groupRef}", which does not exist (EventGroups: ${known})`,
      );
    }
    return group;
  };

  for (const g of set.groups) {
    const { spec } = g.resource;
    if (spec.listen?.address === '0.0.0.0' && !spec.listen.allowWildcard) {
      add(
        g,
        '/spec/listen/address',
        'is 0.0.0.0, which listens on every interface: use the overlay address, or set listen.allowWildcard: true if you mean it',
      );
    }
    const clientAuth = spec.listen?.tls?.clientAuth;
    if (clientAuth && (clientAuth.caFile === undefined) === (clientAuth.pinnedSha256 === undefined))
      add(
        g,
        '/spec/listen/tls/clientAuth',
        'needs exactly one of caFile (client certificates issued by that CA) and pinnedSha256 (these certificates only)',
      );
    const page = spec.statusPage;
    if (page && (page.address === undefined) === (page.socket === undefined))
      add(
        g,
        '/spec/statusPage',
        'needs exactly one of address (a loopback address, with port) and socket (a unix socket path)',
      );
    if (
      page?.address !== undefined &&
      page.address === spec.listen?.address &&
      page.port === spec.listen.port
    )
      add(
        g,
        '/spec/statusPage/port',
        `is the receiver's port on ${page.address}: the status page never shares the receiver's address; choose another port`,
      );
    positive(g, '/spec/replayWindow', spec.replayWindow);
    positive(g, '/spec/retention/maxAge', spec.retention.maxAge);
    positive(g, '/spec/maxEventTtl', spec.maxEventTtl);
  }

  const exports = set.groups.filter((g) => g.resource.spec.otlp);
  for (const g of exports) {
    const interval = g.resource.spec.otlp!.exportInterval;
    if (parseDuration(interval) < 1000)
      add(
        g,
        '/spec/otlp/exportInterval',
        `must be at least 1s (was "${interval}"): each export is an HTTP request`,
      );
  }
  for (const g of exports.slice(1))
    add(
      g,
      '/spec/otlp',
      `is also set on EventGroup/${exports[0]!.resource.metadata.name}: the daemon exports once (every group's spans and metrics); keep it on one EventGroup`,
    );

  const pages = set.groups.filter((g) => g.resource.spec.statusPage);
  for (const g of pages.slice(1))
    add(
      g,
      '/spec/statusPage',
      `is also set on EventGroup/${pages[0]!.resource.metadata.name}: the daemon serves one status page (it shows every group); keep it on one EventGroup`,
    );

  const peerNodes = new Map<string, Located<EventPeer>>();
  for (const p of set.peers) {
    const { spec } = p.resource;
    const group = groupRef(p);
    if (group && group.resource.spec.nodeName === spec.nodeName) {
      add(
        p,
        '/spec/nodeName',
        `is this node's own name (EventGroup/${spec.groupRef} nodeName): a peer must be another node`,
      );
    }
    const key = `${spec.groupRef}/${spec.nodeName}`;
    const other = peerNodes.get(key);
    if (other)
      add(p, '/spec/nodeName', `is already the peer ${resourceId(other.resource)} in group ${spec.groupRef}`);
    else peerNodes.set(key, p);
    if (group) peerAuthRules(p, group.resource, add);
    peerTlsRules(p, add);
    positive(p, '/spec/retry/baseDelay', spec.retry.baseDelay);
    if (parseDuration(spec.retry.baseDelay) > parseDuration(spec.retry.maxDelay)) {
      add(
        p,
        '/spec/retry/maxDelay',
        `must be at least retry.baseDelay (${spec.retry.baseDelay}) (was "${spec.retry.maxDelay}")`,
      );
    }
  }

  for (const s of set.subscriptions) {
    groupRef(s);
    const { retry, teardown } = s.resource.spec;
    positive(s, '/spec/retry/baseDelay', retry.baseDelay);
    if (parseDuration(retry.baseDelay) > parseDuration(retry.maxDelay)) {
      add(
        s,
        '/spec/retry/maxDelay',
        `must be at least retry.baseDelay (${retry.baseDelay}) (was "${retry.maxDelay}")`,
      );
    }
    positive(s, '/spec/teardown/observationTTL', teardown.observationTTL);
    if (parseDuration(teardown.grace) < 3 * parseDuration(teardown.observationTTL)) {
      add(
        s,
        '/spec/teardown/grace',
        `must be at least 3 × teardown.observationTTL (${teardown.observationTTL}), so a client that misses a refresh or two is not torn down (was "${teardown.grace}")`,
      );
    }
    const pluginRef = s.resource.spec.trigger.pluginRef;
    if (!plugins.has(pluginRef) && !rejected.has(`Plugin/${pluginRef}`)) {
      const known = [...plugins.keys()].join(', ') || 'none defined';
      add(
        s,
        '/spec/trigger/pluginRef',
        `refers to Plugin "${s.resource.spec.trigger.pluginRef}", which does not exist (Plugins: ${known})`,
      );
    }
  }

  for (const p of set.plugins) {
    const { spec } = p.resource;
    positive(p, '/spec/timeout', spec.timeout);
    for (const key of Object.keys(spec.env)) {
      if (!ENV_NAME.test(key))
        add(p, `/spec/env/${key}`, 'is not a valid environment variable name (letters, digits, _)');
    }
    spec.capabilities.forEach((c, i) => {
      if (spec.capabilities.indexOf(c) !== i) add(p, `/spec/capabilities/${i}`, `repeats "${c}"`);
    });
    spec.triggers.forEach((t, i) => {
      // Each run spawns or calls a process and writes a run record: sub-second schedules are a mistake.
      if (parseDuration(t.every) < MIN_INTERVAL_MS)
        add(p, `/spec/triggers/${i}/every`, `must be at least 1s (was "${t.every}")`);
    });
  }
  return issues;
}

type Add = (r: Located<AnyResource>, path: string, message: string) => void;

/** A peer's key must fit its group's scheme: a secret in an hmac group, a public key in an ed25519 one. */
function peerAuthRules(p: Located<EventPeer>, group: EventGroup, add: Add): void {
  const auth = p.resource.spec.auth;
  const ed25519 = group.spec.auth?.mode === 'ed25519';
  const name = group.metadata.name;
  if (ed25519 && (!auth || !('publicKeyFile' in auth)))
    add(
      p,
      '/spec/auth',
      `EventGroup/${name} signs with ed25519: set auth.publicKeyFile to a file of ${p.resource.spec.nodeName}'s public keys (routerctl keys public on that node prints them)${auth ? ' instead of auth.secretFile' : ''}`,
    );
  if (!ed25519 && auth && 'publicKeyFile' in auth)
    add(
      p,
      '/spec/auth/publicKeyFile',
      `is for a group that signs with ed25519, and EventGroup/${name} ${group.spec.auth ? 'uses hmac' : 'has no auth'}: set the group's auth to {mode: ed25519, privateKeyFile: …}, or give this peer auth.secretFile`,
    );
}

function peerTlsRules(p: Located<EventPeer>, add: Add): void {
  const { tls, endpoint } = p.resource.spec;
  if (!tls) return;
  if (!endpoint.startsWith('https://'))
    add(p, '/spec/endpoint', `must be https:// when spec.tls is given (was "${endpoint}")`);
  if ((tls.caFile === undefined) === (tls.pinnedSha256 === undefined))
    add(
      p,
      '/spec/tls',
      "needs exactly one of caFile (the CA that issued the peer's certificate) and pinnedSha256 (the peer's certificate itself)",
    );
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    add(
      p,
      tls.certFile === undefined ? '/spec/tls/certFile' : '/spec/tls/keyFile',
      'is required with the other: a client certificate needs both certFile and keyFile',
    );
}
