// One writer per (domain, address) on every path that writes dynamic config: a subscription run, an
// interval tick and a manual run all go through the same checks. Two real daemons federate over
// loopback; on the cloud, real plugin processes try to add a second RemoteAddressClaim for an address
// on-prem already owns, through each trigger type. Each attempt must be refused — visibly, as a
// routerd.dynamic.part.rejected acknowledgement and a `result rejected` log line — and the effective
// config must keep exactly one claim for the address.
import { fileURLToPath } from 'node:url';
import { TestDaemon, writeFile } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  controlGet,
  emitObservationWithRouterctl,
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  routerctl,
  routerctlJson,
  writeNodeFiles,
} from './support/federation.js';

const CLAIMS = fileURLToPath(new URL('./fixtures/claims-plugin.mjs', import.meta.url));
const ROGUE = fileURLToPath(new URL('./fixtures/rogue-claims-plugin.mjs', import.meta.url));
const HELD = '10.88.60.9/32';

const plugin = (name: string, executable: string, args: string[], extra = '') => `---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${name} }
spec:
  executable: ${executable}
  args: ${JSON.stringify(args)}
  capabilities: [propose.dynamicConfig, propose.providerAction]${extra}
`;
const subscription = (name: string, pluginRef: string) => `---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: ${name} }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'], sourceNodes: [onprem] }
  trigger: { pluginRef: ${pluginRef}, batchWindow: 0s }
`;

const cloudExtras = [
  // The legitimate writer: claims each observed address for the node that observed it.
  plugin('claims', CLAIMS, []),
  subscription('onprem-clients', 'claims'),
  // The same observations, claimed for somebody else (event trigger).
  plugin('rogue-event', ROGUE, ['--owner', 'intruder']),
  subscription('rogue-clients', 'rogue-event'),
  // The held address, claimed for somebody else on every tick (interval trigger).
  plugin(
    'rogue-ticker',
    ROGUE,
    ['--address', HELD, '--owner', 'intruder'],
    '\n  triggers: [{ type: interval, every: 1s }]',
  ),
  // Run by hand (manual trigger).
  plugin('rogue-manual', ROGUE, ['--owner', 'intruder']),
].join('');

let root: string;
let onprem: TestDaemon;
let cloud: TestDaemon;

beforeAll(async () => {
  root = newRoot();
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  cloud = await TestDaemon.start(
    writeNodeFiles(
      root,
      'cloud',
      nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }) + cloudExtras,
    ),
  );
  onprem = await TestDaemon.start(
    writeNodeFiles(
      root,
      'onprem',
      nodeConfig({ name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] }),
    ),
  );
}, 60_000);
afterAll(async () => {
  await onprem?.stop();
  await cloud?.stop();
});

type Claim = { kind: string; metadata: { name: string }; spec: { address: string; ownerNode: string } };
type Rejected = { payload: { source: string; part: string; reason: string; holder?: string } };

/** The claims for an address in the cloud's effective config. */
async function claimsFor(address: string): Promise<{ name: string; owner: string }[]> {
  const { resources } = await controlGet<{ resources: Claim[] }>(cloud.socketPath, '/v1/dynamic/render');
  return resources
    .filter((r) => r.kind === 'RemoteAddressClaim' && r.spec.address === address)
    .map((r) => ({ name: r.metadata.name, owner: r.spec.ownerNode }));
}

const rejectedFrom = (source: string) =>
  routerctlJson<Rejected[]>(
    cloud.stateDir,
    'federation',
    'event',
    'list',
    '--type',
    'routerd.dynamic.part.rejected',
    '--limit',
    '1000',
  )
    .map((e) => e.payload)
    .filter((p) => p.source === source);

const subscriptionRun = (subscription: string, eventId: string) =>
  routerctlJson<{ eventId: string; status: string }[]>(
    cloud.stateDir,
    'federation',
    'subscription',
    'runs',
    '--subscription',
    subscription,
  ).find((r) => r.eventId === eventId)?.status;

/** On-prem observes an address; resolves with the event id once the cloud's legitimate claim holds it. */
async function ownedByOnprem(address: string): Promise<string> {
  const r = emitObservedWithRouterctl(onprem.stateDir, address, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  const id = (JSON.parse(r.stdout) as { result: { id: string } }).result.id;
  await expect.poll(() => subscriptionRun('onprem-clients', id), { timeout: 20_000 }).toBe('succeeded');
  return id;
}

/** An observation as a manual run is handed it: a whole event envelope, from a node of our choosing. */
function eventsFile(name: string, sourceNode: string, address: string): string {
  const now = Date.now();
  return writeFile(
    root,
    name,
    JSON.stringify([
      {
        id: `${name}-${now}`,
        group: 'edge',
        sourceNode,
        type: 'routerd.client.ipv4.observed',
        subject: address,
        payload: { address, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
        observedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 300_000).toISOString(),
      },
    ]),
  );
}

function runByHand(pluginName: string, ...args: string[]) {
  const r = routerctl(cloud.stateDir, 'plugin', 'run', pluginName, '-o', 'json', ...args);
  // The run itself succeeds: the plugin answered with a valid result. What becomes of it is the question.
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'succeeded', dryRun: false });
}

describe('one writer per (domain, address), whatever triggered the run', () => {
  let heldEventId: string;

  it('the legitimate claim: on-prem observes 10.88.60.9 and the cloud claims it for on-prem', async () => {
    heldEventId = await ownedByOnprem(HELD);
    expect(await claimsFor(HELD)).toEqual([{ name: 'onprem-10-88-60-9', owner: 'onprem' }]);
  });

  it('event trigger: a subscription whose plugin claims the observation for another node is refused', async () => {
    await expect
      .poll(() => subscriptionRun('rogue-clients', heldEventId), { timeout: 20_000 })
      .toBe('succeeded');
    await expect
      .poll(() => rejectedFrom('EventSubscription/rogue-clients'), { timeout: 10_000 })
      .toEqual([
        expect.objectContaining({
          part: 'rogue-10-88-60-9',
          reason: expect.stringMatching(/names owner intruder, but 10\.88\.60\.9\/32 was observed by onprem/),
        }),
      ]);
    expect(await claimsFor(HELD)).toEqual([{ name: 'onprem-10-88-60-9', owner: 'onprem' }]);
  });

  it('interval trigger: a tick that claims the held address without any observation is refused', async () => {
    const ticks = () =>
      routerctlJson<{ trigger: string; outcome: string }[]>(
        cloud.stateDir,
        'plugin',
        'runs',
        '--plugin',
        'rogue-ticker',
        '--limit',
        '1000',
      ).filter((r) => r.trigger === 'interval' && r.outcome === 'succeeded').length;
    // A tick after the claim is held: the second writer would sit beside it.
    const before = ticks();
    await expect.poll(ticks, { timeout: 10_000 }).toBeGreaterThan(before);
    await cloud.waitForLog((l) => l.msg === 'result rejected' && l.source === 'Plugin/rogue-ticker');
    const refused = rejectedFrom('Plugin/rogue-ticker');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({
      part: 'rogue-10-88-60-9',
      reason: expect.stringMatching(
        /claims 10\.88\.60\.9\/32 in lan, but no event given to this run observed it/,
      ),
    });
    expect(await claimsFor(HELD)).toEqual([{ name: 'onprem-10-88-60-9', owner: 'onprem' }]);
  });

  it('manual trigger: a claim backed by another node’s observation is refused while on-prem holds the address', async () => {
    runByHand('rogue-manual', '--events-file', eventsFile('intruder-held.json', 'intruder', HELD));
    expect(rejectedFrom('Plugin/rogue-manual')).toEqual([
      expect.objectContaining({
        part: 'rogue-10-88-60-9',
        holder: 'onprem',
        reason: expect.stringMatching(
          /10\.88\.60\.9\/32 in lan is already claimed by onprem \(one writer per address\)/,
        ),
      }),
    ]);
    await cloud.waitForLog(
      (l) => l.msg === 'result rejected' && l.source === 'Plugin/rogue-manual' && l.holder === 'onprem',
    );
    expect(await claimsFor(HELD)).toEqual([{ name: 'onprem-10-88-60-9', owner: 'onprem' }]);
  });

  it('manual trigger: even the owner’s own observation cannot make a second claim through another source', async () => {
    const held = routerctlJson<unknown>(cloud.stateDir, 'federation', 'event', 'get', heldEventId);
    const file = writeFile(root, 'onprem-held.json', JSON.stringify([held]));
    runByHand('rogue-manual', '--events-file', file, '--topic', 'onprem');
    expect(rejectedFrom('Plugin/rogue-manual')).toContainEqual(
      expect.objectContaining({
        part: 'rogue-10-88-60-9',
        holder: 'onprem',
        reason: expect.stringMatching(/already claimed by onprem through part onprem-clients-10-88-60-9/),
      }),
    );
    expect(await claimsFor(HELD)).toEqual([{ name: 'onprem-10-88-60-9', owner: 'onprem' }]);
    // Nothing any refused run proposed is in force.
    const parts = routerctlJson<{ name: string; source: string }[]>(cloud.stateDir, 'dynamic', 'list');
    expect(parts.filter((p) => /rogue/.test(p.source))).toEqual([]);
  });

  it('a claim a manual run made is held like any other: the subscription cannot add a second writer', async () => {
    const address = '10.88.60.77/32';
    runByHand('rogue-manual', '--events-file', eventsFile('intruder-new.json', 'intruder', address));
    expect(await claimsFor(address)).toEqual([{ name: 'rogue-10-88-60-77', owner: 'intruder' }]);
    // This node now captures the address: it refuses to observe it itself (no feedback loop).
    const self = emitObservationWithRouterctl(cloud.stateDir, 'cloud', address);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('RemoteAddressClaim held by plugin-rogue-manual-10-88-60-77');

    const id = await ownedByOnprem(address);
    await expect
      .poll(() => rejectedFrom('EventSubscription/onprem-clients'), { timeout: 10_000 })
      .toEqual([
        expect.objectContaining({
          part: 'onprem-10-88-60-77',
          holder: 'intruder',
          reason: expect.stringMatching(/already claimed by intruder/),
        }),
      ]);
    expect(subscriptionRun('onprem-clients', id)).toBe('succeeded');
    expect(await claimsFor(address)).toEqual([{ name: 'rogue-10-88-60-77', owner: 'intruder' }]);
  });
});
