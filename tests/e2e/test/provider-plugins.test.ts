import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clientsPluginYaml,
  emitObservedWithRouterctl,
  eventsOfType,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  routerctl,
  routerctlJson,
  writeNodeFiles,
} from './support/federation.js';

const plugin = (name: string) =>
  fileURLToPath(new URL(`../../../packages/plugins-${name}/dist/main.js`, import.meta.url));
const providers = {
  aws: {
    identity:
      '{ nicRef: eni-0abc1234def567890, subnetCidr: 10.88.60.0/24, region: ap-northeast-1, ownAddresses: [10.88.60.4] }',
    cli: /^aws ec2 assign-private-ip-addresses .*--network-interface-id eni-0abc1234def567890 .*--private-ip-addresses 10\.88\.60\.9/m,
  },
  azure: {
    identity:
      '{ nicRef: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-edge/providers/Microsoft.Network/networkInterfaces/router-nic, subnetCidr: 10.88.60.0/24, resourceGroup: rg-edge, nicName: router-nic, subscriptionId: 00000000-1111-2222-3333-444444444444, ownAddresses: [10.88.60.4] }',
    cli: /^az network nic ip-config create .*--name routerd-10-88-60-9 .*--private-ip-address 10\.88\.60\.9/m,
  },
  oci: {
    identity:
      '{ nicRef: ocid1.vnic.oc1.ap-tokyo-1.abxhiljrrouter, subnetCidr: 10.88.60.0/24, subnetRef: ocid1.subnet.oc1.ap-tokyo-1.aaaaaaaaedge, region: ap-tokyo-1, ownAddresses: [10.88.60.4] }',
    cli: /^oci network private-ip create .*--vnic-id ocid1\.vnic\.oc1\.ap-tokyo-1\.abxhiljrrouter .*--ip-address 10\.88\.60\.9/m,
  },
};

const daemons: TestDaemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.stop();
});

describe.each(Object.entries(providers))('%s plugin under the cloud daemon', (name, p) => {
  it('observation → claim + dry-run plans in routerctl action list, announced once, never executed', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const [po, pc] = [await freePort(), await freePort()];
    const write = (name: string, text: string) => writeNodeFiles(root, name, text);
    const cloud = await TestDaemon.start(
      write(
        'cloud',
        nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }) +
          clientsPluginYaml({
            name: `${name}-claims`,
            executable: plugin(name),
            longLived: true,
            config: `{ identity: ${p.identity} }`,
          }),
      ),
    );
    daemons.push(cloud);
    const onprem = await TestDaemon.start(
      write('onprem', nodeConfig({ name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] })),
    );
    daemons.push(onprem);

    const emit = emitObservedWithRouterctl(onprem.stateDir, '10.88.60.9/32');
    expect(emit.code, emit.stderr).toBe(0);

    type Action = { id: string; provider: string; action: string; status: string; executed: boolean };
    await expect
      .poll(
        () =>
          routerctlJson<Action[]>(cloud.stateDir, 'action', 'list')
            .map((a) => a.action)
            .sort(),
        { timeout: 20_000 },
      )
      .toContain('assign-secondary-ip');
    const actions = routerctlJson<Action[]>(cloud.stateDir, 'action', 'list');
    expect(actions.every((a) => a.provider === name && a.status === 'planned' && a.executed === false)).toBe(
      true,
    );
    const assign = actions.find((a) => a.action === 'assign-secondary-ip')!;
    const shown = routerctl(cloud.stateDir, 'action', 'show', assign.id);
    expect(shown.stdout).toMatch(/NOT executed \(mode: dry-run\)/);
    const commands = shown.stdout
      .split('\n')
      .filter((l) => /^\s+\d+\. \[/.test(l))
      .map((l) => l.replace(/^\s+\d+\. \[[^\]]+\] /, ''));
    expect(commands.join('\n')).toMatch(p.cli);

    expect(routerctl(cloud.stateDir, 'dynamic', 'render').stdout).toMatch(/name: onprem-10-88-60-9/);
    const planned = eventsOfType<{ payload: { action: string } }[]>(
      cloud.stateDir,
      'routerd.provider.action.planned',
    );
    expect(planned.filter((e) => e.payload.action === 'assign-secondary-ip')).toHaveLength(1);

    // The same observation again (a refresh with a new id) plans nothing new.
    emitObservedWithRouterctl(onprem.stateDir, '10.88.60.9/32');
    await expect
      .poll(
        () =>
          routerctlJson<{ status: string }[]>(cloud.stateDir, 'federation', 'subscription', 'runs').filter(
            (r) => r.status === 'succeeded',
          ).length,
        { timeout: 20_000 },
      )
      .toBe(2);
    expect(
      eventsOfType<{ payload: { action: string } }[]>(
        cloud.stateDir,
        'routerd.provider.action.planned',
      ).filter((e) => e.payload.action === 'assign-secondary-ip'),
    ).toHaveLength(1);
  });
});
