import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SDK_FIXTURES = here('../../../packages/plugin-sdk/test/fixtures/');
const CLAIMS = here('./fixtures/claims-plugin.mjs');

// One subscription per behaviour, each selecting events by subject prefix.
const behaviours: Record<
  string,
  { executable: string; args?: string[]; capabilities: string; timeout?: string; batchWindow?: string }
> = {
  ok: { executable: CLAIMS, capabilities: '[propose.dynamicConfig, propose.providerAction]' },
  slow: {
    executable: CLAIMS,
    capabilities: '[propose.dynamicConfig, propose.providerAction]',
    batchWindow: '3s',
  },
  crash: { executable: join(SDK_FIXTURES, 'crash-mid-call.mjs'), capabilities: '[propose.dynamicConfig]' },
  hang: {
    executable: join(SDK_FIXTURES, 'raw-plugin.mjs'),
    args: ['wedge'],
    capabilities: '[propose.dynamicConfig]',
    timeout: '1s',
  },
  garbage: {
    executable: join(SDK_FIXTURES, 'raw-plugin.mjs'),
    args: ['invalid-result'],
    capabilities: '[propose.dynamicConfig]',
  },
  ungranted: {
    executable: join(SDK_FIXTURES, 'raw-plugin.mjs'),
    args: ['ungranted-plans'],
    capabilities: '[propose.dynamicConfig]',
  },
};

function cloudExtras(): string {
  return Object.entries(behaviours)
    .map(
      ([name, b]) => `---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${name} }
spec:
  executable: ${b.executable}
  args: [${(b.args ?? []).join(', ')}]
  capabilities: ${b.capabilities}
  timeout: ${b.timeout ?? '10s'}
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: sub-${name} }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'], subjectPrefixes: ['${name}/'] }
  trigger: { pluginRef: ${name}, batchWindow: ${b.batchWindow ?? '0s'} }
  retry: { baseDelay: 1m, maxDelay: 5m }
`,
    )
    .join('');
}

let onprem: TestDaemon;
let cloud: TestDaemon;

beforeAll(async () => {
  const root = newRoot();
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  const write = (name: string, text: string) => writeNodeFiles(root, name, text);
  cloud = await TestDaemon.start(
    write(
      'cloud',
      nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }) + cloudExtras(),
    ),
  );
  onprem = await TestDaemon.start(
    write('onprem', nodeConfig({ name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] })),
  );
}, 60_000);
afterAll(async () => {
  await onprem?.stop();
  await cloud?.stop();
});

function observe(behaviour: string, address: string, ...extra: string[]): string {
  const r = emitObservedWithRouterctl(
    onprem.stateDir,
    address,
    '--subject',
    `${behaviour}/${address}`,
    '-o',
    'json',
    ...extra,
  );
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { result: { id: string } }).result.id;
}

type Run = { subscription: string; eventId: string; status: string; lastError: string | null };
const runsOf = (sub: string) =>
  routerctlJson<Run[]>(cloud.stateDir, 'federation', 'subscription', 'runs', '--subscription', sub);
const parts = () => routerctlJson<{ name: string; source: string }[]>(cloud.stateDir, 'dynamic', 'list');

describe('subscription → plugin → dynamic config, end to end', () => {
  it('an observation of 10.88.60.9/32 on-prem becomes claim onprem-10-88-60-9 on the cloud, and the acknowledgement comes back', async () => {
    const id = observe('ok', '10.88.60.9/32');
    await expect
      .poll(() => runsOf('sub-ok').map((r) => [r.eventId, r.status]), { timeout: 20_000 })
      .toEqual([[id, 'succeeded']]);

    const render = routerctl(cloud.stateDir, 'dynamic', 'render');
    expect(render.stdout).toMatch(/kind: RemoteAddressClaim\nmetadata:\n {2}name: onprem-10-88-60-9\n/);
    expect(render.stdout).toMatch(/routerd.net\/dynamic-source: EventSubscription\/sub-ok/);
    expect(render.stdout).toContain(`routerd.net/event-ids: ${id}`);

    const describe = routerctl(cloud.stateDir, 'dynamic', 'describe', 'sub-ok-10-88-60-9');
    expect(describe.code, describe.stderr).toBe(0);
    expect(describe.stdout).toMatch(/action: assign-secondary-ip/);
    expect(describe.stdout).toMatch(/mode: dry-run/);
    expect(describe.stdout).toMatch(/- assign-private-ip-addresses/);

    const actions = routerctlJson<
      { action: string; status: string; executed: boolean; idempotencyKey: string }[]
    >(cloud.stateDir, 'action', 'list');
    expect(actions).toEqual([
      expect.objectContaining({
        action: 'assign-secondary-ip',
        status: 'planned',
        executed: false,
        idempotencyKey: 'aws|assign-secondary-ip|eni-0abc|10.88.60.9',
      }),
    ]);
    expect(routerctl(cloud.stateDir, 'action', 'show', 'aws-assign-secondary-ip-10-88-60-9').stdout).toMatch(
      /NOT executed[\s\S]*aws ec2 assign-private-ip-addresses --network-interface-id eni-0abc --private-ip-addresses 10\.88\.60\.9/,
    );

    // The acknowledgement is an event the cloud originates, pushed back to on-prem.
    await expect
      .poll(
        () =>
          eventsOfType<{ payload: { part: string; eventIds: string[] } }[]>(
            onprem.stateDir,
            'routerd.dynamic.part.accepted',
          ),
        { timeout: 10_000 },
      )
      .toEqual([
        expect.objectContaining({
          sourceNode: 'cloud',
          payload: expect.objectContaining({ part: 'sub-ok-10-88-60-9', eventIds: [id] }),
        }),
      ]);
    await expect
      .poll(() => eventsOfType<unknown[]>(onprem.stateDir, 'routerd.provider.action.planned').length, {
        timeout: 10_000,
      })
      .toBe(1);

    // The cloud now captures the address: it refuses to observe it itself (no feedback loop).
    const self = routerctl(
      cloud.stateDir,
      'federation',
      'event',
      'emit',
      '--type',
      'routerd.client.ipv4.observed',
      '--payload',
      'address=10.88.60.9/32',
      '--payload',
      'domain=lan',
      '--payload',
      'ownerSide=cloud',
      '--payload',
      'source=arp',
      '--ttl',
      '300s',
    );
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(
      /10\.88\.60\.9\/32 is captured by this node \(RemoteAddressClaim held by sub-ok-10-88-60-9/,
    );
  });

  it('a duplicate, a non-matching and an expired event trigger no run', async () => {
    const id = observe('ok', '10.88.60.20/32', '--id', 'dup-event');
    await expect
      .poll(() => runsOf('sub-ok').find((r) => r.eventId === id)?.status, { timeout: 20_000 })
      .toBe('succeeded');
    const okRuns = routerctlJson<unknown[]>(
      cloud.stateDir,
      'plugin',
      'runs',
      '--plugin',
      'ok',
      '--limit',
      '1000',
    ).length;
    observe('ok', '10.88.60.20/32', '--id', 'dup-event'); // the same id again: a duplicate
    const stray = observe('nobody', '10.88.60.21/32'); // matches no subscription
    // Expires while its subscription's 3 s batch window is still open: dropped, never run.
    const shortLived = observe('slow', '10.88.60.22/32', '--ttl', '1s');
    await expect
      .poll(() => routerctl(cloud.stateDir, 'federation', 'event', 'get', stray).code, { timeout: 10_000 })
      .toBe(0);
    await expect
      .poll(() => runsOf('sub-slow').find((r) => r.eventId === shortLived)?.status, { timeout: 10_000 })
      .toBe('expired');
    const allRuns = routerctlJson<Run[]>(
      cloud.stateDir,
      'federation',
      'subscription',
      'runs',
      '--limit',
      '1000',
    );
    expect(allRuns.filter((r) => r.eventId === 'dup-event')).toHaveLength(1);
    expect(allRuns.some((r) => r.eventId === stray)).toBe(false);
    expect(
      routerctlJson<unknown[]>(cloud.stateDir, 'plugin', 'runs', '--plugin', 'ok', '--limit', '1000').length,
    ).toBe(okRuns);
    expect(routerctlJson<unknown[]>(cloud.stateDir, 'plugin', 'runs', '--plugin', 'slow').length).toBe(0);
  });

  const failures: [string, RegExp][] = [
    ['crash', /PROCESS_EXITED.*exit code 3/],
    ['hang', /REQUEST_TIMEOUT/],
    ['garbage', /RESULT_SCHEMA_INVALID.*\/status\/observedAt/],
    ['ungranted', /CAPABILITY_NOT_GRANTED.*propose\.providerAction/],
  ];

  it.each(failures)(
    'a plugin that misbehaves (%s) is recorded with its reason; nothing is stored; the daemon keeps serving',
    async (behaviour, reason) => {
      const partsBefore = parts().length;
      const id = observe(behaviour, '10.88.61.1/32');
      await expect
        .poll(() => runsOf(`sub-${behaviour}`).find((r) => r.eventId === id)?.status, { timeout: 20_000 })
        .toBe('failed');
      expect(runsOf(`sub-${behaviour}`).find((r) => r.eventId === id)?.lastError).toMatch(reason);
      expect(parts().length).toBe(partsBefore);
      expect(parts().some((p) => p.source === `EventSubscription/sub-${behaviour}`)).toBe(false);
      const recorded = routerctlJson<{ outcome: string; error: { code: string } | null }[]>(
        cloud.stateDir,
        'plugin',
        'runs',
        '--plugin',
        behaviour,
      );
      expect(recorded[0]?.outcome).toMatch(/failed|refused/);
      expect(routerctl(cloud.stateDir, 'federation', 'peers').code).toBe(0);
    },
  );

  it('retry runs a failed pair again on demand', async () => {
    const failed = runsOf('sub-garbage').filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    const r = routerctl(
      cloud.stateDir,
      'federation',
      'subscription',
      'retry',
      'sub-garbage',
      '--event-id',
      failed[0]!.eventId,
    );
    expect(r.stdout).toMatch(/requeued 1/);
    await expect
      .poll(() => runsOf('sub-garbage').find((x) => x.eventId === failed[0]!.eventId)?.status, {
        timeout: 20_000,
      })
      .toBe('failed');
    expect(
      routerctlJson<unknown[]>(cloud.stateDir, 'plugin', 'runs', '--plugin', 'garbage').length,
    ).toBeGreaterThanOrEqual(2);
  });
});
