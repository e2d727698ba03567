// The Azure and OCI plugins' executions inside real daemons, as actions-daemon.test.ts does for AWS: an
// on-prem client observed → the cloud daemon's plugin (its identity from the plugin's fake metadata
// service on 127.0.0.1) claims it → the daemon's executor runs the plugin's fake CLI (by absolute path,
// answering as az / oci do; $FAKE_CLI_STATE is the cloud it changes) → verified → the outcome reaches
// on-prem; the client leaves → after the grace the opted-in teardown releases the address. Real parts
// otherwise: two routerd-eventd processes over loopback, the real plugins, the CLI as a child process, the
// journal in the cloud daemon's SQLite file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopbackServer } from '@routerd/plugin-sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTO_BOTH,
  emitExpiredWithRouterctl,
  journalOf,
  startPluginImds,
  startProviderPair,
} from './support/actions.js';
import {
  daemonsPerTest,
  emitObservedWithRouterctl,
  eventsOfType,
  newRoot,
  routerctl,
  routerctlJson,
} from './support/federation.js';

/** The one client address each fake models. */
const CLIENT = '10.88.60.9';
const pluginDir = (p: string) => fileURLToPath(new URL(`../../../packages/plugins-${p}/`, import.meta.url));

/**
 * Per provider: the fake CLI, the plugin config that names what its metadata service cannot (the NIC
 * the fake models), the NIC the plans target, and how the fake's log names the create and the delete.
 */
const PROVIDERS = [
  {
    provider: 'azure',
    tool: 'az',
    // The fake IMDS lists two interfaces: the MAC says which one is router-nic.
    config: ['nicName: router-nic', 'macAddress: 00:0D:3A:32:85:70'],
    nic: '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-edge/providers/Microsoft.Network/networkInterfaces/router-nic',
    create: ['network', 'nic', 'ip-config', 'create'],
    remove: ['network', 'nic', 'ip-config', 'delete'],
    forward: ['network', 'nic', 'update'],
    // Azure's check reads only our NIC: the create is what finds the holder (and changes nothing).
    createsWhenHeld: 1,
  },
  {
    provider: 'oci',
    tool: 'oci',
    config: ['subnetId: ocid1.subnet.oc1.ap-tokyo-1.aaaaaaaaedge'],
    nic: 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrrouter',
    create: ['network', 'private-ip', 'create'],
    remove: ['network', 'private-ip', 'delete'],
    forward: ['network', 'vnic', 'update'],
    // OCI's look-up finds the other VNIC first: the create never runs.
    createsWhenHeld: 0,
  },
] as const;

const daemons = daemonsPerTest();
let root: string;
let imds: LoopbackServer | undefined;
beforeEach(() => {
  root = newRoot();
});
afterEach(async () => {
  await imds?.close();
  imds = undefined;
});

describe.each(PROVIDERS)(
  '$provider plugin in the daemon, the fake $tool CLI',
  ({ provider, tool, config, nic, create, remove, forward, createsWhenHeld }) => {
    const stateFile = () => join(root, 'cloud.json');
    const logFile = () => join(root, 'calls.log');
    /** The fake cloud: where the client's address is, and the NIC's forwarding. */
    const cloudState = () =>
      JSON.parse(readFileSync(stateFile(), 'utf8')) as { scenario: string; forwarding?: boolean };
    const cloud = () => cloudState().scenario;
    const callsOf = (words: readonly string[]) =>
      readFileSync(logFile(), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[])
        .filter((c) => words.every((w, i) => c[i + 1] === w));

    /** ActionPolicy/<provider>: the fake by absolute path, its cloud and call log in the tool's environment. */
    const actionPolicy = (rules: string) => `---
apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: { name: ${provider} }
spec:
  tools: { ${tool}: ${join(pluginDir(provider), 'test', 'fake-cli', tool)} }
  env:
    FAKE_CLI_STATE: ${stateFile()}
    FAKE_CLI_LOG: ${logFile()}
  retry: { attempts: 3, baseDelay: 50ms, maxDelay: 200ms }
  verify: { timeout: 30s, interval: 100ms }
  rules: ${rules}
`;

    /** The pair on a fresh NIC (forwarding off) where the client's address is `scenario`. */
    async function start(grace: string, scenario = 'absent') {
      writeFileSync(stateFile(), JSON.stringify({ scenario, forwarding: false }));
      writeFileSync(logFile(), '');
      imds = await startPluginImds(provider);
      return startProviderPair(daemons, root, {
        name: `${provider}-claims`,
        executable: join(pluginDir(provider), 'dist', 'main.js'),
        config: [`metadataUrl: ${imds.url}`, ...config],
        policy: actionPolicy(AUTO_BOTH),
        grace,
      });
    }

    it('observed → claim → assign executed and verified → succeeded on-prem; the client leaves → released after the grace', async () => {
      const { cloud: cloudNode, onprem } = await start('3s');
      const byAction = (action: string) => journalOf(cloudNode).find((r) => r.action === action);
      expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);

      await expect
        .poll(() => byAction('assign-secondary-ip')?.state, { timeout: 60_000, interval: 200 })
        .toBe('succeeded');
      const assign = byAction('assign-secondary-ip')!;
      expect(assign).toMatchObject({
        provider,
        source: 'DynamicConfigPart/onprem-clients-10-88-60-9',
        approvedBy: `ActionPolicy/${provider} rules[0]`,
        reason: null, // verified
      });
      expect(cloud()).toBe('on-self');
      expect(callsOf(create)).toHaveLength(1);
      // The plugin read its identity from the metadata service.
      expect(imds!.requests.length).toBeGreaterThan(0);
      expect(assign.plan.target.nicRef).toBe(nic);
      // Forwarding is medium risk: no rule runs it, so it waits for a person.
      expect(byAction('ensure-forwarding-enabled')?.state).toBe('awaiting-approval');

      // Capture-ready: the cloud's news reaches the node that observed the client.
      const arrived = () =>
        eventsOfType<{ sourceNode: string; payload: Record<string, unknown> }[]>(
          onprem.stateDir,
          'routerd.provider.action.succeeded',
        );
      await expect.poll(() => arrived().length, { timeout: 30_000, interval: 200 }).toBe(1);
      expect(arrived()[0]).toMatchObject({
        sourceNode: 'cloud',
        payload: {
          execution: assign.id,
          action: 'assign-secondary-ip',
          state: 'succeeded',
          address: `${CLIENT}/32`,
          ownerNode: 'onprem',
          nic,
        },
      });
      const captured = () =>
        routerctlJson<{ address: string; cloud: string; provider: string }[]>(
          onprem.stateDir,
          'action',
          'captured',
        );
      expect(captured()).toEqual([
        expect.objectContaining({ address: `${CLIENT}/32`, cloud: 'captured', provider }),
      ]);

      // A person approves the forwarding plan: the NIC forwards from then on.
      const forwarding = byAction('ensure-forwarding-enabled')!;
      expect(routerctl(cloudNode.stateDir, 'action', 'approve', forwarding.id, '--by', 'alice').code).toBe(0);
      await expect
        .poll(() => byAction('ensure-forwarding-enabled')?.state, { timeout: 60_000, interval: 200 })
        .toBe('succeeded');
      expect(cloudState().forwarding).toBe(true);
      expect(callsOf(forward)).toHaveLength(1);

      // The client leaves: nothing is released before the grace; then the opted-in rule runs the teardown.
      expect(emitExpiredWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
      await expect
        .poll(() => byAction('unassign-secondary-ip')?.state, { timeout: 60_000, interval: 200 })
        .toBe('succeeded');
      const unassign = byAction('unassign-secondary-ip')!;
      expect(unassign).toMatchObject({
        phase: 'teardown',
        source: 'DynamicConfigPart/onprem-clients-10-88-60-9-teardown',
        approvedBy: `ActionPolicy/${provider} rules[1]`,
        reason: null, // verified gone
      });
      expect(cloud()).toBe('absent');
      expect(callsOf(remove)).toHaveLength(1);
      expect(callsOf(create)).toHaveLength(1);
      // Journaled no earlier than the grace after the client's last observation (same machine, same clock).
      const [observation] = eventsOfType<{ observedAt: string }[]>(
        onprem.stateDir,
        'routerd.client.ipv4.observed',
      );
      expect(Date.parse(unassign.createdAt) - Date.parse(observation!.observedAt)).toBeGreaterThanOrEqual(
        3000,
      );
      // …and on-prem learns the cloud let the address go.
      await expect
        .poll(() => captured().map((r) => r.cloud), { timeout: 30_000, interval: 200 })
        .toEqual(['released']);
    });

    it('held by another NIC: never seized; the failure reaches on-prem as held-elsewhere', async () => {
      const { cloud: cloudNode, onprem } = await start('30m', 'held-elsewhere');
      expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
      const assignOf = () => journalOf(cloudNode).find((r) => r.action === 'assign-secondary-ip');
      await expect.poll(() => assignOf()?.state, { timeout: 60_000, interval: 200 }).toBe('held-elsewhere');
      expect(cloud()).toBe('held-elsewhere');
      expect(callsOf(create)).toHaveLength(createsWhenHeld);
      const failed = () =>
        eventsOfType<{ payload: Record<string, unknown> }[]>(
          onprem.stateDir,
          'routerd.provider.action.failed',
        );
      await expect.poll(() => failed().length, { timeout: 30_000, interval: 200 }).toBe(1);
      expect(failed()[0]!.payload).toMatchObject({
        execution: assignOf()!.id,
        state: 'held-elsewhere',
        address: `${CLIENT}/32`,
        nic,
      });
      expect(
        routerctlJson<{ cloud: string; provider: string }[]>(onprem.stateDir, 'action', 'captured'),
      ).toEqual([expect.objectContaining({ cloud: 'held-elsewhere', provider })]);
    });
  },
);
