/**
 * `routerctl doctor federation`: every check is a pure function of what the daemon already knows
 * (config, delivery ledger, peer states, run ledgers, plugin states, receiver clock skew and refused
 * requests, key files as the daemon's user sees them, a health probe and an authenticated probe of each
 * peer), so the report can be tested without timers or sockets.
 * Codes are stable — runbooks and scripts key on them; docs/control-api.md lists them.
 */

import type { DoctorResponse, DoctorStatus, PeerSummary, PluginStatus } from '@routerd/host-wire';
import { parseDuration } from '@routerd/plugin-sdk';
import type { ReloadRecord } from '../config/holder.js';
import type { EventGroup, FederationConfig } from '../config/index.js';
import type { AuthRefusalCause } from '../federation/auth-refusal.js';
import { SKEW_WINDOW_MS, type SkewSample } from '../federation/clock-skew.js';
import type { ProbeResult } from '../federation/health-probe.js';
import { tlsAdvice } from '../federation/network-error.js';
import type { PeerProbeResult } from '../federation/probe-client.js';
import type { RequestRefusal } from '../federation/receiver.js';
import { REFUSED_WINDOW_MS, type RefusedSender, UNKNOWN_SENDER } from '../federation/refused-requests.js';
import type { StateDiskSpace } from '../state-disk.js';
import { RECENT_LAG_WINDOW_MS } from '../store/deliveries.js';
import { type ActionDoctorInputs, actionChecks } from './action-checks.js';
import { type Check, flag, pass } from './checks.js';
import { type KeyContents, keyFileChecks, peerKeyRotationChecks, type VerifiedKey } from './key-checks.js';
import type { KeyFileState } from './key-file.js';
import { type CertificateContents, tlsCertificateChecks } from './tls-checks.js';

export const DoctorCodes = [
  'peer-reachable',
  'delivery-backlog',
  'delivery-lag',
  'delivery-failed',
  'delivery-expired',
  'subscription-failed',
  'plugin-degraded',
  'plugin-warning',
  'clock-skew',
  'requests-refused',
  'peer-probe',
  'secret-file-mode',
  'key-file',
  'peer-key-rotation',
  'tls-certificate',
  'listen-address',
  'state-disk-space',
  'config-current',
  'action-awaiting-approval',
  'action-failed',
  'action-tool-path',
] as const;
export type DoctorCode = (typeof DoctorCodes)[number];

export interface PeerObservation {
  peer: string;
  endpoint: string;
  state: string;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** auth-refused: whether the peer's Date header put the blame on the clock or on the key. */
  refusal?: AuthRefusalCause;
  /** GET <endpoint>/v1/health; absent when not probed (no key: nothing would be sent anyway). */
  probe?: ProbeResult;
  /** The signed POST <endpoint>/v1/probe; absent when not asked for (--no-probe) or without a key. */
  signedProbe?: PeerProbeResult;
}

export interface DoctorInputs {
  config: FederationConfig;
  now: number;
  peers: PeerObservation[];
  deliveries: PeerSummary[];
  /** Per subscription: runs waiting for a retry after a failure, and runs given up because the event expired. */
  subscriptionRuns: { subscription: string; failed: number; expired: number }[];
  plugins: PluginStatus[];
  skew: SkewSample[];
  /** Requests this node's receivers refused in the last REFUSED_WINDOW_MS, per claimed sender. */
  refused: RefusedSender[];
  /** A key file as the daemon's own user sees it: its mode, or why it cannot be read. */
  keyFile: (path: string) => KeyFileState;
  /** A key file's keys as they parse now (key-file, peer-key-rotation); absent: not checked. */
  keyContents?: (path: string, kind: KeyContents['kind']) => KeyContents;
  /** A TLS certificate file's certificates as they parse now (tls-certificate); absent: not checked. */
  certificates?: (path: string) => CertificateContents;
  /** The key that last verified each sender's requests (peer-key-rotation). */
  verifiedKeys?: VerifiedKey[];
  /** Free space (for an unprivileged writer) on the state directory's filesystem; absent when not known. */
  stateDisk?: StateDiskSpace;
  /** Whether the files on disk are the config in force; absent when not known. */
  configState?: ConfigState;
  /** The action journal's waiting and failed executions and the policies' tools; absent: not checked. */
  actions?: Omit<ActionDoctorInputs, 'policies' | 'now'>;
}

export interface ConfigState {
  generation: number;
  lastReload?: ReloadRecord;
  changedOnDisk: string[];
}

const MiB = 1024 * 1024;
/**
 * SQLite's write-ahead log grows by up to ~4 MiB between checkpoints, and a checkpoint needs room to copy
 * those pages back into the database: below this much free space the store can wedge with SQLITE_FULL.
 */
export const STATE_DISK_FAIL_BYTES = 16 * MiB;
export const STATE_DISK_WARN_BYTES = 64 * MiB;

interface Thresholds {
  maxPending: number;
  maxLagMs: number;
  maxFailed: number;
  maxClockSkewMs: number;
  peerSilentAfterMs: number;
  replayWindowMs: number;
}

function thresholds(group: EventGroup | undefined): Thresholds {
  // Defaults mirror the schema's, for a peer whose group is gone mid-reload.
  const d = group?.spec.doctor;
  return {
    maxPending: d?.maxPending ?? 1000,
    maxLagMs: parseDuration(d?.maxLag ?? '60s'),
    maxFailed: d?.maxFailed ?? 0,
    maxClockSkewMs: parseDuration(d?.maxClockSkew ?? '30s'),
    peerSilentAfterMs: parseDuration(d?.peerSilentAfter ?? '5m'),
    replayWindowMs: parseDuration(group?.spec.replayWindow ?? '5m'),
  };
}

const secs = (ms: number) => `${Math.round(ms / 1000)}s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function federationDoctor(inputs: DoctorInputs): DoctorResponse {
  const { config } = inputs;
  const groups = new Map(config.groups.map((g) => [g.resource.metadata.name, g.resource]));
  const groupOfPeer = new Map(config.peers.map((p) => [p.resource.metadata.name, p.resource.spec.groupRef]));
  const summaries = new Map(inputs.deliveries.map((s) => [s.peer, s]));
  const checks: Check[] = [];

  for (const p of inputs.peers) {
    const t = thresholds(groups.get(groupOfPeer.get(p.peer) ?? ''));
    const s = summaries.get(p.peer);
    checks.push(peerReachable(p, s, t, inputs.now));
    if (p.signedProbe) {
      const group = groups.get(groupOfPeer.get(p.peer) ?? '');
      checks.push(peerProbeCheck(p.peer, p.signedProbe, t, group?.spec.auth?.mode === 'ed25519'));
    }
    if (s) checks.push(...deliveryChecks(s, t));
  }
  for (const sub of config.subscriptions) {
    const t = thresholds(groups.get(sub.resource.spec.groupRef));
    const name = sub.resource.metadata.name;
    const runs = inputs.subscriptionRuns.find((r) => r.subscription === name) ?? { failed: 0, expired: 0 };
    checks.push(subscriptionCheck(name, sub.resource.spec.trigger.pluginRef, runs, t));
  }
  for (const plugin of inputs.plugins) checks.push(pluginCheck(plugin), pluginWarningCheck(plugin));
  for (const { resource: g } of config.groups)
    checks.push(...skewChecks(g, inputs.skew, thresholds(g), inputs.now));
  for (const { resource: g } of config.groups)
    checks.push(...refusedChecks(g, config, inputs.refused, inputs.skew, thresholds(g)));
  checks.push(...secretFileChecks(config, inputs.keyFile));
  if (inputs.keyContents) {
    checks.push(...keyFileChecks(config, inputs.keyContents));
    checks.push(...peerKeyRotationChecks(config, inputs.keyContents, inputs.verifiedKeys ?? [], inputs.now));
  }
  if (inputs.certificates) checks.push(...tlsCertificateChecks(config, inputs.certificates, inputs.now));
  for (const { resource: g } of config.groups) checks.push(listenCheck(g));
  if (inputs.stateDisk) checks.push(stateDiskCheck(inputs.stateDisk));
  if (inputs.configState) checks.push(configCurrentCheck(inputs.configState));
  if (inputs.actions)
    checks.push(
      ...actionChecks({
        ...inputs.actions,
        policies: config.actionPolicies.map((p) => p.resource),
        now: inputs.now,
      }),
    );

  return { status: worst(checks), generatedAt: new Date(inputs.now).toISOString(), checks };
}

export function worst(checks: readonly { status: DoctorStatus }[]): DoctorStatus {
  if (checks.some((c) => c.status === 'FAIL')) return 'FAIL';
  return checks.some((c) => c.status === 'WARN') ? 'WARN' : 'PASS';
}

function peerReachable(p: PeerObservation, s: PeerSummary | undefined, t: Thresholds, now: number): Check {
  const code = 'peer-reachable';
  const pending = s?.pending ?? 0;
  const backlog = pending > 0 ? `; ${plural(pending, 'event')} waiting` : '';
  if (p.state === 'no-key') {
    return flag(
      'FAIL',
      code,
      p.peer,
      `no key configured for this peer: nothing is sent to it${backlog}`,
      `set EventGroup.spec.auth.secretFile (or EventPeer/${p.peer} spec.auth.secretFile) to a 0600 key file, then reload (systemctl reload routerd-eventd)`,
    );
  }
  if (p.probe && !p.probe.ok) {
    const { cause } = p.probe;
    return flag(
      'FAIL',
      code,
      p.peer,
      `${p.endpoint} does not answer its health check (${p.probe.detail})${backlog}`,
      cause === 'tls-handshake' || cause === 'tls-certificate'
        ? `${tlsAdvice(cause, hostOf(p.endpoint))}. Pending events are sent as soon as it answers`
        : `check that routerd-eventd runs on ${p.peer} (systemctl status routerd-eventd), that the overlay is up (wg show: a recent handshake; ping the endpoint's address), and that ${p.peer}'s EventGroup listens on exactly ${hostOf(p.endpoint)}. Pending events are sent as soon as it answers`,
    );
  }
  if (p.state === 'auth-refused') {
    const retry = `then routerctl federation peers retry ${p.peer} (a reload probes at once too); nothing is lost: pending events are sent as soon as it accepts them, until they expire`;
    const fix =
      p.refusal === 'clock'
        ? `synchronise the clocks of both routers (chrony or systemd-timesyncd: chronyc tracking / timedatectl on each)`
        : p.refusal === 'key'
          ? `both sides must hold the same key: compare the key files (sha256sum on each router; during a rotation the receiver needs the new key before the sender signs with it), fix the wrong one and reload it (systemctl reload routerd-eventd)`
          : `check that both sides hold the same key (compare the key files) and that their clocks agree within the replay window (${secs(t.replayWindowMs)})`;
    return flag(
      'FAIL',
      code,
      p.peer,
      `${p.peer} refuses our requests (needs the operator): ${p.lastError ?? 'http 401'}${backlog}`,
      `${fix}, ${retry}`,
    );
  }
  if (p.state === 'backing-off') {
    return flag(
      'FAIL',
      code,
      p.peer,
      `backing off after ${plural(p.consecutiveFailures, 'failed request')}: ${p.lastError ?? 'unknown error'}${backlog}`,
      `the peer answers its health check but refuses deliveries: see routerctl federation deliveries --peer ${p.peer} --status pending, and ${p.peer}'s log; routerctl federation peers retry ${p.peer} probes it now`,
    );
  }
  const sinceSuccess = p.lastSuccessAt ? now - Date.parse(p.lastSuccessAt) : undefined;
  const oldestPendingMs = (s?.oldestPendingAgeSeconds ?? 0) * 1000;
  const silentMs = sinceSuccess ?? oldestPendingMs;
  if (pending > 0 && silentMs > t.peerSilentAfterMs && oldestPendingMs > t.peerSilentAfterMs) {
    return flag(
      'FAIL',
      code,
      p.peer,
      `no successful delivery for ${secs(silentMs)} (peerSilentAfter ${secs(t.peerSilentAfterMs)})${backlog}`,
      `see routerctl federation peers and routerctl federation deliveries --peer ${p.peer} --status pending for the last error`,
    );
  }
  const last =
    sinceSuccess === undefined ? 'nothing delivered yet' : `last success ${secs(sinceSuccess)} ago`;
  return pass(code, p.peer, `${p.probe ? 'answers its health check, ' : ''}${p.state}, ${last}`);
}

function deliveryChecks(s: PeerSummary, t: Thresholds): Check[] {
  const out: Check[] = [];
  const list = `routerctl federation deliveries --peer ${s.peer}`;
  out.push(
    s.pending > t.maxPending
      ? flag(
          'FAIL',
          'delivery-backlog',
          s.peer,
          `${plural(s.pending, 'delivery', 'deliveries')} pending (maxPending ${t.maxPending})`,
          `the peer is unreachable or slower than this node emits: see peer-reachable and ${list} --status pending; raise EventGroup.spec.doctor.maxPending only if this backlog is normal`,
        )
      : pass('delivery-backlog', s.peer, `${s.pending} pending (maxPending ${t.maxPending})`),
  );
  const oldestMs = (s.oldestPendingAgeSeconds ?? 0) * 1000;
  const lagMs = (s.maxLagSeconds ?? 0) * 1000;
  if (oldestMs > t.maxLagMs) {
    out.push(
      flag(
        'FAIL',
        'delivery-lag',
        s.peer,
        `the oldest pending delivery is ${secs(oldestMs)} old (maxLag ${secs(t.maxLagMs)})`,
        `deliveries are stuck: see peer-reachable and ${list} --status pending (lastError says why)`,
      ),
    );
  } else if (lagMs > t.maxLagMs) {
    out.push(
      flag(
        'WARN',
        'delivery-lag',
        s.peer,
        `a delivery in the last ${RECENT_LAG_WINDOW_MS / 60_000} min took ${secs(lagMs)} from commit to acknowledgement (maxLag ${secs(t.maxLagMs)}); none is late now`,
        `the peer was unreachable or slow for a while (this judges deliveries completed in the last ${RECENT_LAG_WINDOW_MS / 60_000} minutes, so it clears by itself); if it recurs, check the overlay link and the peer’s load`,
      ),
    );
  } else {
    out.push(
      pass(
        'delivery-lag',
        s.peer,
        `oldest pending ${secs(oldestMs)}, worst lag in the last ${RECENT_LAG_WINDOW_MS / 60_000} min ${secs(lagMs)}`,
      ),
    );
  }
  out.push(
    s.failed > t.maxFailed
      ? flag(
          'FAIL',
          'delivery-failed',
          s.peer,
          `${plural(s.failed, 'delivery', 'deliveries')} failed for good (maxFailed ${t.maxFailed})`,
          `the peer refused them: ${list} --status failed shows the reason; fix it, then routerctl federation redeliver --status failed --peer ${s.peer} [--since TIME] sends them again`,
        )
      : pass('delivery-failed', s.peer, `${s.failed} failed (maxFailed ${t.maxFailed})`),
  );
  out.push(
    s.expired > 0
      ? flag(
          'WARN',
          'delivery-expired',
          s.peer,
          `${plural(s.expired, 'event')} expired before ${s.peer} could receive ${s.expired === 1 ? 'it' : 'them'}`,
          `the peer was unreachable for longer than the events' TTL (${list} --status expired); fix reachability first; observers re-publish what is still present`,
        )
      : pass('delivery-expired', s.peer, 'no event expired before delivery'),
  );
  return out;
}

function subscriptionCheck(
  name: string,
  plugin: string,
  runs: { failed: number; expired: number },
  t: Thresholds,
): Check {
  const advice = `see routerctl plugin runs --plugin ${plugin} --outcome failed (error code, stderr tail); once fixed, routerctl federation subscription retry ${name}`;
  if (runs.failed > t.maxFailed) {
    return flag(
      'FAIL',
      'subscription-failed',
      name,
      `${plural(runs.failed, 'event')} whose run of ${plugin} failed (retried with backoff until the event expires; maxFailed ${t.maxFailed})`,
      advice,
    );
  }
  if (runs.expired > 0) {
    return flag(
      'WARN',
      'subscription-failed',
      name,
      `${plural(runs.expired, 'event')} expired before ${plugin} handled ${runs.expired === 1 ? 'it' : 'them'}`,
      advice,
    );
  }
  return pass('subscription-failed', name, `no failed runs of ${plugin}`);
}

/** A plugin that runs but warned lately (a configured lease file missing, say): up is not the same as well. */
function pluginWarningCheck(p: PluginStatus): Check {
  if (!p.lastWarning) return pass('plugin-warning', p.name, 'no warning logged in the last 15 minutes');
  return flag(
    'WARN',
    'plugin-warning',
    p.name,
    `logged at ${p.lastWarning.at}: ${p.lastWarning.message}`,
    `see the daemon's log for "plugin ${p.name}:" lines and fix what they name (the Plugin's config, a file or a tool it uses), then reload if the config changed; this check passes 15 minutes after the plugin's last warning`,
  );
}

function pluginCheck(p: PluginStatus): Check {
  const why = p.lastError ? `: ${p.lastError}` : '';
  if (p.state === 'degraded') {
    return flag(
      'FAIL',
      'plugin-degraded',
      p.name,
      `degraded${why}`,
      `it stays down until its spec changes: fix the cause (routerctl plugin list, routerctl plugin runs --plugin ${p.name}, the daemon's log), edit Plugin/${p.name} if needed, then reload (systemctl reload routerd-eventd)`,
    );
  }
  if (p.state === 'backoff') {
    return flag(
      'WARN',
      'plugin-degraded',
      p.name,
      `restarting after ${plural(p.restarts ?? 0, 'crash', 'crashes')}${why}`,
      `it is being restarted within its budget (4 in 3 minutes); look at the daemon's log for its stderr before it is marked degraded`,
    );
  }
  return pass('plugin-degraded', p.name, `${p.lifecycle}, ${p.state}`);
}

function skewChecks(g: EventGroup, samples: SkewSample[], t: Thresholds, now: number): Check[] {
  const name = g.metadata.name;
  // Per sender, the latest measurement: from an authenticated request, or (when the signature check
  // refused them lately) from refused requests' webhook-timestamp.
  const latest = new Map<string, SkewSample>();
  for (const s of samples) {
    if (s.group !== name) continue;
    if (!s.authenticated && now - s.lastAt > SKEW_WINDOW_MS) continue;
    const seen = latest.get(s.sender);
    if (!seen || s.lastAt > seen.lastAt) latest.set(s.sender, s);
  }
  if (latest.size === 0) {
    return g.spec.listen
      ? [pass('clock-skew', name, 'no signed request received yet: nothing to compare')]
      : [];
  }
  return [...latest.values()].map((s) => {
    const subject = `${name}/${s.sender}`;
    const how = s.authenticated
      ? ''
      : ' (unauthenticated: the webhook-timestamp of requests refused by the signature check)';
    const skew = `${s.sender}'s clock is ${secs(Math.abs(s.maxSkewMs))} ${s.maxSkewMs >= 0 ? 'ahead of' : 'behind'} ours${how}`;
    const advice = `synchronise the clocks (chrony or systemd-timesyncd on both routers: chronyc tracking / timedatectl); requests further off than the replay window (${secs(t.replayWindowMs)}) are refused as unauthorized — a clock problem, not a key problem`;
    if (Math.abs(s.maxSkewMs) > t.replayWindowMs)
      return flag(
        'FAIL',
        'clock-skew',
        subject,
        `${skew}, beyond the replay window (${secs(t.replayWindowMs)}): its requests are refused`,
        advice,
      );
    if (Math.abs(s.maxSkewMs) * 2 > t.replayWindowMs)
      return flag('FAIL', 'clock-skew', subject, `${skew}, over half the replay window`, advice);
    if (Math.abs(s.maxSkewMs) > t.maxClockSkewMs)
      return flag('WARN', 'clock-skew', subject, `${skew} (maxClockSkew ${secs(t.maxClockSkewMs)})`, advice);
    return pass('clock-skew', subject, `${skew} (maxClockSkew ${secs(t.maxClockSkewMs)})`);
  });
}

/** Refusals that mean the sender cannot authenticate: nothing it sends gets through. */
const AUTH_REFUSALS: ReadonlySet<RequestRefusal> = new Set(['signature', 'timestamp', 'unknown-sender']);

/**
 * The receiving side of a wrong key, a clock that is off or a misconfigured peer: requests refused in the
 * last REFUSED_WINDOW_MS, per claimed sender. An authentication refusal FAILs until a request from that
 * sender is authenticated again (a delivery, or its doctor's probe); other refusals WARN for the window.
 */
function refusedChecks(
  g: EventGroup,
  config: FederationConfig,
  refused: RefusedSender[],
  skew: SkewSample[],
  t: Thresholds,
): Check[] {
  const name = g.metadata.name;
  const window = `${REFUSED_WINDOW_MS / 60_000} min`;
  const mine = refused.filter((r) => r.group === name);
  if (mine.length === 0)
    return g.spec.listen ? [pass('requests-refused', name, `no request refused in the last ${window}`)] : [];
  return mine.map((r) => {
    const subject = `${name}/${r.sender}`;
    const counts = r.reasons.map((x) => `${x.count} ${x.reason}`).join(', ');
    const latest = r.reasons[0]!;
    const total = r.reasons.reduce((n, x) => n + x.count, 0);
    const summary = `${plural(total, 'request')} refused in the last ${window} (${counts}); the last at ${new Date(latest.lastAt).toISOString()}: ${latest.lastDetail}`;
    if (r.sender === UNKNOWN_SENDER) {
      const claimed =
        r.lastClaimed === undefined ? '' : ` (the last claimed routerd-node "${r.lastClaimed}")`;
      return flag(
        'WARN',
        'requests-refused',
        subject,
        `from senders that are not peers of this group${claimed}: ${summary}`,
        `a router whose EventGroup.spec.nodeName matches no EventPeer.spec.nodeName here, or something else on the overlay: compare the names (routerctl federation peers on both sides), or add the EventPeer and its key; see this router's log ("request refused")`,
      );
    }
    const peer = config.peers.find(
      (p) => p.resource.spec.groupRef === name && p.resource.spec.nodeName === r.sender,
    )?.resource.metadata.name;
    const fixed = r.lastAuthenticatedAt !== undefined && r.lastAuthenticatedAt > latest.lastAt;
    const auth = r.reasons.find((x) => AUTH_REFUSALS.has(x.reason));
    if (auth && !fixed) {
      return flag(
        'FAIL',
        'requests-refused',
        subject,
        `${r.sender} cannot authenticate: ${summary}`,
        `${authRefusalAdvice(auth.reason, r.sender, peer, skew, name, t)}; nothing is lost: ${r.sender} keeps what it could not deliver pending, and its doctor (peer-probe) shows when it gets through`,
      );
    }
    const others = r.reasons.filter((x) => !AUTH_REFUSALS.has(x.reason));
    if (others.length === 0)
      return pass(
        'requests-refused',
        subject,
        `${summary} — a request from ${r.sender} was authenticated since, at ${new Date(r.lastAuthenticatedAt!).toISOString()}`,
      );
    return flag(
      'WARN',
      'requests-refused',
      subject,
      summary,
      `${r.sender} sends what this receiver refuses (${others.map((x) => x.reason).join(', ')}): its routerctl federation deliveries --status failed shows each event's reason; the group names and node names must match on both sides (wrong-group, wrong-source); see this router's log ("request refused")`,
    );
  });
}

function authRefusalAdvice(
  reason: RequestRefusal,
  sender: string,
  peer: string | undefined,
  skew: SkewSample[],
  group: string,
  t: Thresholds,
): string {
  if (reason === 'timestamp') {
    const s = skew.find((x) => x.group === group && x.sender === sender && !x.authenticated);
    const off = s
      ? `${sender}'s clock is ${secs(Math.abs(s.lastSkewMs))} ${s.lastSkewMs >= 0 ? 'ahead of' : 'behind'} ours (unauthenticated webhook-timestamp), beyond the replay window (${secs(t.replayWindowMs)})`
      : `${sender}'s clock and ours differ by more than the replay window (${secs(t.replayWindowMs)})`;
    return `the clock, not the key: ${off} — synchronise the clocks of both routers (chronyc tracking / timedatectl on each)`;
  }
  if (reason === 'unknown-sender')
    return `no key is configured here for ${peer ? `EventPeer/${peer}` : sender}: set its spec.auth.secretFile (or the EventGroup's) to the key ${sender} signs with, then reload (systemctl reload routerd-eventd)`;
  return `the key, not the clock: ${sender} signs with a key this router does not hold for it — compare the key files (sha256sum on both routers; during a rotation the receiver needs the new key before the sender signs with it), fix the wrong one and reload it (systemctl reload routerd-eventd)`;
}

/** The authenticated probe of one peer: does it hold our key, and does its clock agree with ours? */
function peerProbeCheck(peer: string, r: PeerProbeResult, t: Thresholds, ed25519 = false): Check {
  const code = 'peer-probe';
  const retry = `then routerctl doctor federation again (or routerctl federation peers retry ${peer})`;
  switch (r.outcome) {
    case 'ok': {
      const off = Math.abs(r.clockOffsetMs);
      const clock = `its clock is ${secs(off)} ${r.clockOffsetMs >= 0 ? 'ahead of' : 'behind'} ours`;
      const summary = `${peer} verified our signature (key ${r.keyFingerprint}) and answered as ${r.node}; ${clock}`;
      const advice = `synchronise the clocks (chronyc tracking / timedatectl on both routers): beyond the replay window (${secs(t.replayWindowMs)}) every request is refused`;
      if (off * 2 > t.replayWindowMs)
        return flag(
          'FAIL',
          code,
          peer,
          `clock off by ${secs(off)}: ${summary}, over half the replay window`,
          advice,
        );
      if (off > t.maxClockSkewMs)
        return flag('WARN', code, peer, `${summary} (maxClockSkew ${secs(t.maxClockSkewMs)})`, advice);
      return pass(code, peer, summary);
    }
    case 'key':
      return flag(
        'FAIL',
        code,
        peer,
        `peer refused our signature: keys differ (${r.clockOffsetMs === undefined ? 'its answer had no Date header to compare clocks' : `the clocks agree within ${secs(Math.max(1000, Math.abs(r.clockOffsetMs)))}`})`,
        ed25519
          ? `${peer} must list this node's public key: compare routerctl keys public on this router with the EventPeer auth.publicKeyFile for this node on ${peer} (and its notAfter dates), fix it and reload ${peer} (systemctl reload routerd-eventd); ${peer}'s doctor names this node under requests-refused; ${retry}`
          : `both routers must hold the same key for each other: compare the key files (sha256sum on each router), fix the wrong one and reload it (systemctl reload routerd-eventd); ${peer}'s doctor names this node under requests-refused; ${retry}`,
      );
    case 'clock':
      return flag(
        'FAIL',
        code,
        peer,
        `clock off by ${secs(Math.abs(r.clockOffsetMs))}: ${peer}'s clock is ${r.clockOffsetMs >= 0 ? 'ahead of' : 'behind'} ours (its Date header), beyond the replay window (${secs(t.replayWindowMs)}), so it refuses our signed requests`,
        `synchronise the clocks of both routers (chrony or systemd-timesyncd: chronyc tracking / timedatectl on each) — not a key problem; ${retry}`,
      );
    case 'unreachable':
      return flag(
        'FAIL',
        code,
        peer,
        `unreachable: ${r.detail}`,
        r.cause === 'tls-handshake' || r.cause === 'tls-certificate'
          ? 'see peer-reachable for what to change'
          : `see peer-reachable: routerd-eventd must run on ${peer} and listen on the endpoint's address through the overlay`,
      );
    case 'unsupported':
      return flag(
        'WARN',
        code,
        peer,
        `${r.detail}: its key and clock cannot be checked from here`,
        `upgrade routerd on ${peer}; meanwhile its own doctor (requests-refused, clock-skew) tells what it refuses`,
      );
    case 'bad-answer':
      return flag(
        'FAIL',
        code,
        peer,
        r.detail,
        `check that EventPeer/${peer}'s endpoint points at ${peer}'s receiver (its overlay address and listen.port) and that nodeName matches ${peer}'s EventGroup.spec.nodeName`,
      );
  }
}

/** Files whose secrecy matters: shared secrets, this node's private keys, TLS private keys. */
function privateFiles(config: FederationConfig): Set<string> {
  const files = new Set<string>();
  for (const { resource: g } of config.groups) {
    const auth = g.spec.auth;
    if (auth) files.add(auth.mode === 'hmac' ? auth.secretFile : auth.privateKeyFile);
    if (g.spec.listen?.tls) files.add(g.spec.listen.tls.keyFile);
  }
  for (const { resource: p } of config.peers) {
    if (p.spec.auth && 'secretFile' in p.spec.auth) files.add(p.spec.auth.secretFile);
    if (p.spec.tls?.keyFile) files.add(p.spec.tls.keyFile);
  }
  return files;
}

function secretFileChecks(config: FederationConfig, keyFile: DoctorInputs['keyFile']): Check[] {
  return [...privateFiles(config)].map((file) => {
    const state = keyFile(file);
    if ('error' in state) {
      const u = state.unreadable;
      if (u?.blockedBy === 'file')
        return flag(
          'FAIL',
          'secret-file-mode',
          file,
          `the daemon's user ${u.user} cannot read it: owned by ${u.owner}, mode ${(u.mode & 0o777).toString(8)} — the next start or reload fails (EACCES)`,
          `run: chown ${u.user}: ${file} (the mode stays 600; a key file written as root — routerctl keys generate, cp — is root's), then systemctl reload routerd-eventd`,
        );
      if (u)
        return flag(
          'FAIL',
          'secret-file-mode',
          file,
          `the daemon's user ${u.user} cannot reach it: a directory on its path is not searchable by ${u.user} — the next start or reload fails (EACCES)`,
          `let ${u.user} search each directory above the file (ls -ld each one; deploy.md: the keys directory is root:routerd, mode 0750)`,
        );
      return flag(
        'FAIL',
        'secret-file-mode',
        file,
        `cannot read it: ${state.error}`,
        `restore the file (routerctl keys generate --out ${file} makes a new one, which every peer then needs) — the next start or reload will fail without it`,
      );
    }
    const { mode } = state;
    if ((mode & 0o077) !== 0) {
      return flag(
        'FAIL',
        'secret-file-mode',
        file,
        `readable by group or others (mode ${(mode & 0o777).toString(8)})`,
        `run: chmod 600 ${file} — the daemon refuses this file at its next start or reload, and anyone who read it can sign as a peer: consider rotating the key`,
      );
    }
    return pass('secret-file-mode', file, `mode ${(mode & 0o777).toString(8)}, readable by the daemon`);
  });
}

function listenCheck(g: EventGroup): Check {
  const listen = g.spec.listen;
  const name = g.metadata.name;
  if (!listen) return pass('listen-address', name, 'does not listen (sends only)');
  if (listen.address === '0.0.0.0' || listen.address === '::') {
    return flag(
      'WARN',
      'listen-address',
      name,
      `listens on every interface (${listen.address}:${listen.port}, allowWildcard: true)`,
      'set listen.address to this router’s overlay address (ip -4 addr show wg0) and drop allowWildcard, so the receiver is reachable only through the tunnel',
    );
  }
  return pass('listen-address', name, `listens on ${listen.address}:${listen.port}`);
}

function stateDiskCheck(disk: StateDiskSpace): Check {
  if ('error' in disk)
    return flag(
      'WARN',
      'state-disk-space',
      disk.path,
      `cannot tell the free space: ${disk.error}`,
      'check that the state directory exists and its filesystem is mounted',
    );
  const free = `${(disk.freeBytes / MiB).toFixed(1)} MiB free`;
  const advice =
    'free space on this filesystem or move the state directory to a larger one: when it is full, received batches are answered 500 (the peer retries) and local emits are refused until space is freed';
  if (disk.freeBytes < STATE_DISK_FAIL_BYTES)
    return flag(
      'FAIL',
      'state-disk-space',
      disk.path,
      `${free} (needs ${STATE_DISK_FAIL_BYTES / MiB} MiB)`,
      advice,
    );
  if (disk.freeBytes < STATE_DISK_WARN_BYTES)
    return flag(
      'WARN',
      'state-disk-space',
      disk.path,
      `${free} (below ${STATE_DISK_WARN_BYTES / MiB} MiB)`,
      advice,
    );
  return pass('state-disk-space', disk.path, free);
}

/**
 * A refused reload leaves the daemon running an older config while `systemctl reload` said nothing, and the
 * next restart then fails at ExecStartPre; an edit not yet reloaded surprises the operator at that restart.
 */
function configCurrentCheck(c: ConfigState): Check {
  const subject = `generation ${c.generation}`;
  if (c.lastReload?.result === 'refused')
    return flag(
      'FAIL',
      'config-current',
      subject,
      `the reload at ${c.lastReload.at} was refused, generation ${c.generation} stays in force: ${c.lastReload.problems.join('; ')}`,
      'fix the files (routerd-eventd check --config … shows the same problems), then reload (systemctl reload routerd-eventd); until then a restart will fail',
    );
  if (c.changedOnDisk.length > 0)
    return flag(
      'FAIL',
      'config-current',
      subject,
      `${c.changedOnDisk.join(', ')} changed on disk since generation ${c.generation} was loaded`,
      'run routerd-eventd check --config …, then reload (systemctl reload routerd-eventd) to apply the files, or restore them',
    );
  return pass('config-current', subject, 'the files on disk are the config in force');
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
