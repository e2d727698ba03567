/**
 * The reliability harness: a sender/receiver pair of real daemons (loopback, or one per network
 * namespace), a workload that remembers every id the sender acknowledged, quiescence, the checker, and
 * one result row per scenario for the summary (see global-setup.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '@routerd/host/testing';
import { expect } from 'vitest';
import { controlGet, controlGetText, emitBatch, freePort, keyFile, newRoot } from '../support/federation.js';
import {
  type CheckResult,
  check,
  problems,
  type ResourceSample,
  resourceProblems,
  sample,
} from './checker.js';

export interface PeerRef {
  name: string;
  address: string;
  port: number;
  keyFile?: string;
}

export interface NodeOptions {
  name: string;
  address: string;
  port: number;
  key: string;
  peers: PeerRef[];
  retry?: { baseDelay: string; maxDelay: string };
  replayWindow?: string;
  maxEvents?: number;
}

/** The config of one node (its own writer: the scenarios need fields the shared helper does not set). */
export function configYaml(n: NodeOptions): string {
  const group = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${n.name}
  listen: { address: ${n.address}, port: ${n.port} }
  auth: { mode: hmac, secretFile: ${n.key} }${n.replayWindow ? `\n  replayWindow: ${n.replayWindow}` : ''}${
    n.maxEvents ? `\n  retention: { maxEvents: ${n.maxEvents} }` : ''
  }
`;
  const peers = n.peers.map(
    (p) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${p.name} }
spec:
  groupRef: edge
  nodeName: ${p.name}
  endpoint: http://${p.address}:${p.port}
  push: { types: [] }
  retry: { baseDelay: ${n.retry?.baseDelay ?? '100ms'}, maxDelay: ${n.retry?.maxDelay ?? '1s'} }${
    p.keyFile ? `\n  auth: { secretFile: ${p.keyFile} }` : ''
  }
`,
  );
  return [group, ...peers].join('---\n');
}

export interface NodeHandle {
  name: string;
  config: string;
  stateDir: string;
  prefix?: string[];
  daemon?: TestDaemon;
}

/** Every daemon a scenario started: stopped in afterAll whatever happened. */
export const started = new Set<TestDaemon>();

export async function startNode(n: NodeHandle): Promise<TestDaemon> {
  const d = await TestDaemon.start({ configFiles: [n.config], stateDir: n.stateDir, prefix: n.prefix });
  started.add(d);
  n.daemon = d;
  return d;
}

export async function stopAll(): Promise<void> {
  for (const d of started) {
    if (d.child.exitCode === null && d.child.signalCode === null) d.signal('SIGKILL');
    await d.exited();
  }
  started.clear();
}

/** SIGKILL and wait for the exit: a crash, not a shutdown. */
export async function kill(n: NodeHandle): Promise<void> {
  const d = n.daemon;
  if (!d) return;
  d.signal('SIGKILL');
  await d.exited();
  started.delete(d);
  n.daemon = undefined;
}

export interface PairOptions {
  /** Network namespaces (a: sender, b: receiver); loopback when absent. */
  net?: { a: { address: string; exec: string[] }; b: { address: string; exec: string[] } };
  retry?: NodeOptions['retry'];
  senderMaxEvents?: number;
  receiverReplayWindow?: string;
  /** Separate key files per side (rotation), else one shared group key. */
  separateKeys?: boolean;
  startReceiver?: boolean;
  /** The sender talks to this loopback port (a proxy in front of the receiver) instead. */
  senderPeerPort?: number;
  /** Receiver or sender state directory (e.g. on a small tmpfs). */
  receiverStateDir?: string;
  senderStateDir?: string;
}

export interface Pair {
  root: string;
  sender: NodeHandle;
  receiver: NodeHandle;
  senderKey: string;
  receiverKey: string;
  receiverUrl: string;
  workload: Workload;
}

/** onprem (sender) pushes to cloud (receiver); the receiver's own peer entry points back at onprem. */
export async function startPair(o: PairOptions = {}): Promise<Pair> {
  const root = newRoot();
  const senderKey = keyFile(root, 'onprem.key');
  const receiverKey = o.separateKeys ? join(root, 'cloud.key') : senderKey;
  if (o.separateKeys) writeFileSync(receiverKey, readKey(senderKey), { mode: 0o600 });
  const [sa, ra] = [o.net?.a.address ?? '127.0.0.1', o.net?.b.address ?? '127.0.0.1'];
  const [sp, rp] = o.net ? [9443, 9443] : [await freePort(), await freePort()];
  const write = (name: string, opts: NodeOptions, stateDir?: string, prefix?: string[]): NodeHandle => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'federation.yaml');
    writeFileSync(config, configYaml(opts));
    return { name, config, stateDir: stateDir ?? join(dir, 'state'), prefix };
  };
  const sender = write(
    'onprem',
    {
      name: 'onprem',
      address: sa,
      port: sp,
      key: senderKey,
      retry: o.retry,
      maxEvents: o.senderMaxEvents,
      peers: [{ name: 'cloud', address: ra, port: o.senderPeerPort ?? rp }],
    },
    o.senderStateDir,
    o.net?.a.exec,
  );
  const receiver = write(
    'cloud',
    {
      name: 'cloud',
      address: ra,
      port: rp,
      key: receiverKey,
      replayWindow: o.receiverReplayWindow,
      peers: [{ name: 'onprem', address: sa, port: sp }],
    },
    o.receiverStateDir,
    o.net?.b.exec,
  );
  if (o.startReceiver !== false) await startNode(receiver);
  await startNode(sender);
  return {
    root,
    sender,
    receiver,
    senderKey,
    receiverKey,
    receiverUrl: `http://${ra}:${rp}/v1/events`,
    workload: new Workload(sender),
  };
}

const readKey = (file: string) => readFileSync(file, 'utf8');

let seq = 0;
/** One observed-client event (the same shape the rest of the suite uses), with a unique address. */
export function event(id: string, ttl = '1h') {
  const i = seq++;
  return {
    id,
    type: 'routerd.client.ipv4.observed',
    ttl,
    payload: {
      address: `10.${100 + (Math.floor(i / 65536) % 100)}.${Math.floor(i / 256) % 256}.${i % 256}/32`,
      domain: 'lan',
      ownerSide: 'onprem',
      source: 'arp',
    },
  };
}

/** Emits through the sender's control socket and keeps every id the sender acknowledged as stored. */
export class Workload {
  readonly acknowledged = new Set<string>();
  private n = 0;

  constructor(private readonly node: NodeHandle) {}

  /** Emit `count` events; returns the acknowledged ids. A refused or failed emit acknowledges nothing. */
  async emit(count: number, prefix: string, ttl = '1h'): Promise<string[]> {
    const events = Array.from({ length: count }, () => event(`${prefix}-${this.n++}`, ttl));
    const r = await emitBatch(join(this.node.stateDir, 'routerd.sock'), events);
    if (r.status !== 200) return [];
    const ok = (r.body as { results: { id: string; status: string }[] }).results
      .filter((x) => x.status === 'stored')
      .map((x) => x.id);
    for (const id of ok) this.acknowledged.add(id);
    return ok;
  }

  /** A steady stream until stopped: `perTick` events every `everyMs`. Emit errors (sender down) are ignored. */
  stream(prefix: string, perTick = 10, everyMs = 100, ttl = '1h'): () => Promise<void> {
    let running = true;
    const loop = (async () => {
      while (running) {
        await this.emit(perTick, prefix, ttl).catch(() => []);
        await sleep(everyMs);
      }
    })();
    return async () => {
      running = false;
      await loop;
    };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Summary {
  peer: string;
  pending: number;
  delivered: number;
  failed: number;
  expired: number;
}

/** The sender's delivery counts for one peer (the first one by default). */
export async function deliverySummary(n: NodeHandle, peer?: string): Promise<Summary> {
  const r = await controlGet<{ peers: Summary[] }>(
    join(n.stateDir, 'routerd.sock'),
    '/v1/federation/deliveries/summary',
  );
  return peer ? r.peers.find((s) => s.peer === peer)! : r.peers[0]!;
}

/** Wait until the sender has nothing pending for its peer; returns when that happened (ms epoch). */
export async function quiesce(n: NodeHandle, timeoutMs = 30_000): Promise<number> {
  await expect
    .poll(async () => (await deliverySummary(n)).pending, { timeout: timeoutMs, interval: 50 })
    .toBe(0);
  return Date.now();
}

/** A value from the daemon's Prometheus text (sum over label sets matching `labels`). */
export async function metric(n: NodeHandle, name: string, labels = ''): Promise<number> {
  const text = await controlGetText(n.stateDir, '/metrics');
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([-+0-9.eE]+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

/** Why a pair did not quiesce: the sender's oldest pending rows and both daemons' recent warnings. */
async function stuckReport(p: Pair): Promise<string> {
  const lines: string[] = [];
  try {
    const r = await controlGet<{ deliveries: unknown[] }>(
      join(p.sender.stateDir, 'routerd.sock'),
      '/v1/federation/deliveries?status=pending&limit=5',
    );
    lines.push(`sender's pending deliveries: ${JSON.stringify(r.deliveries)}`);
  } catch (err) {
    lines.push(`sender's deliveries unavailable: ${(err as Error).message}`);
  }
  for (const n of [p.sender, p.receiver]) {
    const d = n.daemon;
    if (!d) {
      lines.push(`${n.name}: not running`);
      continue;
    }
    lines.push(`${n.name}: exit ${d.child.exitCode ?? d.child.signalCode ?? 'none (running)'}`);
    for (const l of d.logs.filter((l) => l.level >= 40).slice(-8)) lines.push(`  ${JSON.stringify(l)}`);
  }
  return lines.join('\n');
}

export interface ScenarioRecord {
  scenario: string;
  /** When the fault ended (ms epoch): the recovery time runs from here to quiescence. */
  recoveryFrom?: number;
  recoveryMs?: number;
  recoveryWhat?: string;
  check?: CheckResult;
  resources?: Record<string, { before: ResourceSample; after: ResourceSample }>;
  notes?: string[];
}

/** Resources of the pair's live daemons, to sample before and after a scenario. */
export function samplePair(p: Pair): Record<string, ResourceSample> {
  const out: Record<string, ResourceSample> = {};
  for (const n of [p.sender, p.receiver])
    if (n.daemon?.child.pid && n.daemon.child.exitCode === null) out[n.name] = sample(n.daemon.child.pid);
  return out;
}

/**
 * Quiesce, run the checker, assert the shared pass criterion (and bounded resources against `before`),
 * and record the scenario's row for the summary.
 */
export async function verify(
  p: Pair,
  rec: Omit<ScenarioRecord, 'check' | 'resources'>,
  before: Record<string, ResourceSample>,
  opts: { allowFailed?: boolean; injected?: string[]; quiesceMs?: number } = {},
): Promise<CheckResult> {
  const doneAt = await quiesce(p.sender, opts.quiesceMs).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await stuckReport(p)}`, { cause: err });
  });
  if (rec.recoveryFrom !== undefined) rec = { ...rec, recoveryMs: doneAt - rec.recoveryFrom };
  const result = check({
    senderStateDir: p.sender.stateDir,
    receiverStateDir: p.receiver.stateDir,
    senderNode: 'onprem',
    peer: 'cloud',
    acknowledged: p.workload.acknowledged,
    injected: opts.injected,
  });
  const after = samplePair(p);
  const resources: ScenarioRecord['resources'] = {};
  const found = problems(result, opts);
  for (const [name, b] of Object.entries(before)) {
    const a = after[name];
    // A restarted daemon is a new process: its own before/after is not comparable to the old one's.
    if (!a || a.pid !== b.pid) continue;
    resources[name] = { before: b, after: a };
    found.push(...resourceProblems(name, b, a));
  }
  record({ ...rec, check: result, resources });
  expect(found, `${rec.scenario}: ${found.join('; ')}`).toEqual([]);
  return result;
}

export function record(rec: ScenarioRecord): void {
  const dir = process.env.ROUTERD_RELIABILITY_OUT;
  if (!dir) return;
  const file = join(dir, `${rec.scenario.replace(/[^a-z0-9]+/gi, '-')}.json`);
  writeFileSync(file, JSON.stringify(rec));
}
