// Provider actions inside real daemons: an on-prem client observed → the cloud daemon's AWS plugin claims
// it → the daemon's executor runs the real AWS CLI v2 (/usr/bin/aws) against the local EC2 endpoint →
// verified. Real parts throughout: two routerd-eventd processes over loopback, the real plugin, the real
// CLI as a child process, the journal in the cloud daemon's SQLite file.
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Ec2Endpoint, startEc2Endpoint } from '@routerd/ec2-endpoint-fixture';
import type { TestDaemon } from '@routerd/host/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTO_ASSIGN,
  AUTO_BOTH,
  emitExpiredWithRouterctl,
  journalOf as journal,
  startProviderPair,
} from './support/actions.js';
import {
  controlGetText,
  daemonsPerTest,
  doctorReport,
  emitObservedWithRouterctl,
  eventsOfType,
  findCheck,
  newRoot,
  reload,
  routerctl,
  routerctlJson,
} from './support/federation.js';

const AWS = '/usr/bin/aws';
const ENI = 'eni-0abc1234def567890';
const CLIENT = '10.88.60.9';
const AWS_PLUGIN = fileURLToPath(new URL('../../../packages/plugins-aws/dist/main.js', import.meta.url));

const daemons = daemonsPerTest();
let ec2: Ec2Endpoint;
let root: string;

beforeEach(async () => {
  root = newRoot();
  writeFileSync(
    join(root, 'credentials'),
    '[routerd-test]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
  );
  writeFileSync(join(root, 'aws-config'), '[profile routerd-test]\nregion = ap-northeast-1\n');
  ec2 = await startEc2Endpoint({
    enis: [
      { id: ENI, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.4', instanceId: 'i-0123456789abcdef0' },
    ],
  });
});
afterEach(async () => {
  await ec2.close();
});

/** ActionPolicy/aws: the real CLI by absolute path, its identity from a profile file, the local endpoint. */
const actionPolicy = (rules: string, extra = '') => `---
apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: { name: aws }
spec:
  tools: { aws: ${AWS} }
  env:
    AWS_PROFILE: routerd-test
    AWS_SHARED_CREDENTIALS_FILE: ${join(root, 'credentials')}
    AWS_CONFIG_FILE: ${join(root, 'aws-config')}
    AWS_PAGER: ''
    AWS_MAX_ATTEMPTS: '1'
  endpointUrl: ${ec2.url}
  retry: { attempts: 3, baseDelay: 50ms, maxDelay: 200ms }
  verify: { timeout: 30s, interval: 100ms }
  rules: ${rules}
${extra}`;
const emitExpired = (stateDir: string) => emitExpiredWithRouterctl(stateDir, `${CLIENT}/32`);
const succeededRuns = (d: TestDaemon) =>
  routerctlJson<{ status: string }[]>(d.stateDir, 'federation', 'subscription', 'runs').filter(
    (r) => r.status === 'succeeded',
  ).length;

/** The cloud node: the AWS plugin on every on-prem client event, and `policy` (an ActionPolicy or nothing). */
const startPair = (policy: string, grace = '30m') =>
  startProviderPair(daemons, root, {
    name: 'aws-claims',
    executable: AWS_PLUGIN,
    config: [
      `identity: { nicRef: ${ENI}, subnetCidr: 10.88.60.0/24, region: ap-northeast-1, ownAddresses: [10.88.60.4] }`,
    ],
    policy,
    grace,
  });

/** A POST on the control socket with a body routerctl would never send. */
function postJson(
  socketPath: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    request(
      {
        agent: false,
        socketPath,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    )
      .on('error', reject)
      .end(payload);
  });
}

const assignOf = (d: TestDaemon) => journal(d).find((r) => r.action === 'assign-secondary-ip');

describe('provider actions in the daemon', () => {
  it('auto policy: observed on-prem → claim on the cloud → the real aws assign → verified', async () => {
    const { cloud, onprem } = await startPair(actionPolicy(AUTO_ASSIGN));
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);

    await expect.poll(() => assignOf(cloud)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    const assign = assignOf(cloud)!;
    expect(assign.source).toBe('DynamicConfigPart/onprem-clients-10-88-60-9');
    expect(assign.approvedBy).toBe('ActionPolicy/aws rules[0]');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
    expect(ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses')).toHaveLength(1);
    // The forwarding plan is medium risk: no rule runs it, so it waits for a person and nothing touched it.
    const forwarding = journal(cloud).find((r) => r.action === 'ensure-forwarding-enabled');
    expect(forwarding?.state).toBe('awaiting-approval');
    expect(ec2.calls.map((c) => c.action)).not.toContain('ModifyNetworkInterfaceAttribute');

    // Metrics: the execution by outcome, each step attempt's duration.
    const metrics = await controlGetText(cloud.stateDir, '/metrics');
    expect(metrics).toMatch(
      /^routerd_action_executions_total\{provider="aws",action="assign-secondary-ip",outcome="succeeded"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^routerd_action_step_duration_seconds_count\{provider="aws",step="assign",outcome="succeeded"\} 1$/m,
    );
    // Doctor: the policy's tool is there; nothing has waited long or failed.
    const { report } = doctorReport(cloud.stateDir, '--no-probe');
    expect(findCheck(report, 'action-tool-path', 'ActionPolicy/aws tools.aws').status).toBe('PASS');
    expect(findCheck(report, 'action-awaiting-approval').status).toBe('PASS');
    expect(findCheck(report, 'action-failed').status).toBe('PASS');

    // Capture-ready: the cloud's news reaches the node that observed the client.
    type Outcome = { sourceNode: string; subject?: string; payload: Record<string, unknown> };
    const arrived = () => eventsOfType<Outcome[]>(onprem.stateDir, 'routerd.provider.action.succeeded');
    await expect.poll(() => arrived().length, { timeout: 30_000, interval: 200 }).toBe(1);
    expect(arrived()[0]).toMatchObject({
      sourceNode: 'cloud',
      subject: `${CLIENT}/32`,
      payload: {
        execution: assign.id,
        action: 'assign-secondary-ip',
        state: 'succeeded',
        address: `${CLIENT}/32`,
        ownerNode: 'onprem',
        nic: ENI,
      },
    });
    // The execution and its news join the observation's trace (docs/protocol.md § Trace context): the
    // execution is a child of the event whose run announced its plan, the news a child of the execution.
    type Traced = { traceparent?: string; tracestate?: string };
    const traceId = (t?: string) => t?.split('-')[1];
    const [observation] = eventsOfType<Traced[]>(onprem.stateDir, 'routerd.client.ipv4.observed');
    expect(traceId(observation?.traceparent)).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId(assign.traceparent)).toBe(traceId(observation!.traceparent));
    const news = arrived()[0] as Outcome & Traced;
    expect(traceId(news.traceparent)).toBe(traceId(observation!.traceparent));
    expect(news.tracestate).toMatch(new RegExp(`^routerd=${assign.traceparent!.split('-')[2]}(,|$)`));
    // …and routerctl on-prem says, per observed client, that the cloud has captured it.
    expect(
      routerctlJson<{ address: string; cloud: string; provider: string }[]>(
        onprem.stateDir,
        'action',
        'captured',
      ),
    ).toEqual([expect.objectContaining({ address: `${CLIENT}/32`, cloud: 'captured', provider: 'aws' })]);
  });

  it('manual policy: dry run, approve with routerctl → assigned; undo → released, the original undone', async () => {
    const { cloud, onprem } = await startPair(actionPolicy('[]'));
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    await expect
      .poll(() => assignOf(cloud)?.state, { timeout: 30_000, interval: 200 })
      .toBe('awaiting-approval');
    const id = assignOf(cloud)!.id;
    // action list shows each plan with its journal state.
    const listed = routerctl(cloud.stateDir, 'action', 'list');
    expect(listed.stdout).toMatch(new RegExp(`assign-secondary-ip .* awaiting-approval +${id}`));
    const waiting = routerctlJson<{ id: string; state: string }[]>(
      cloud.stateDir,
      'action',
      'journal',
      '--state',
      'awaiting-approval',
    );
    expect(waiting.map((e) => e.id)).toContain(id);

    const dry = routerctl(cloud.stateDir, 'action', 'run', id, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /the policy would wait for approval \(ActionPolicy\/aws \(no rule matches\)\)/,
    );
    expect(dry.stdout).toMatch(
      /\[assign, mutating\] \/usr\/bin\/aws ec2 assign-private-ip-addresses --network-interface-id eni-0abc1234def567890 .*--private-ip-addresses 10\.88\.60\.9/,
    );
    expect(dry.stdout).toContain(`--endpoint-url ${ec2.url}`);
    expect(routerctl(cloud.stateDir, 'action', 'run', id).code).toBe(2); // without --dry-run: usage
    expect(ec2.calls).toEqual([]);

    // A decision without a name is refused naming the field; nothing moves.
    const unnamed = await postJson(cloud.socketPath, `/v1/executions/${id}/approve`, { who: 'x' });
    expect(unnamed.status).toBe(400);
    expect(JSON.stringify(unnamed.body)).toMatch(/by/);
    expect(assignOf(cloud)?.state).toBe('awaiting-approval');

    const approved = routerctl(cloud.stateDir, 'action', 'approve', id, '--by', 'alice');
    expect(approved.code, approved.stderr).toBe(0);
    await expect.poll(() => assignOf(cloud)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    expect(assignOf(cloud)?.approvedBy).toBe('alice');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
    // Approving again is refused with the state it is in.
    const again = routerctl(cloud.stateDir, 'action', 'approve', id, '--by', 'alice');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is succeeded, not awaiting-approval/);

    const undo = routerctlJson<{ id: string; undoOf: string }>(
      cloud.stateDir,
      'action',
      'undo',
      id,
      '--by',
      'bob',
    );
    expect(undo.undoOf).toBe(id);
    await expect
      .poll(() => journal(cloud).find((r) => r.id === undo.id)?.state, { timeout: 60_000, interval: 200 })
      .toBe('succeeded');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    expect(journal(cloud).find((r) => r.id === id)).toMatchObject({
      state: 'undone',
      reason: `undone by execution ${undo.id}`,
    });
    const shown = routerctl(cloud.stateDir, 'action', 'journal', undo.id);
    expect(shown.stdout).toMatch(/unassign-secondary-ip on aws \(teardown, risk low\) — succeeded/);
    expect(shown.stdout).toMatch(/approved by: bob/);
    // The owner learns the cloud let the address go.
    await expect
      .poll(
        () =>
          routerctlJson<{ address: string; cloud: string }[]>(onprem.stateDir, 'action', 'captured').map(
            (r) => r.cloud,
          ),
        { timeout: 30_000, interval: 200 },
      )
      .toEqual(['released']);
  });

  it('kill -9 in the middle of the assign: the restarted daemon asks the cloud first, never assigns twice', async () => {
    const { cloud, onprem, restartCloud } = await startPair(actionPolicy(AUTO_ASSIGN));
    // The cloud carries the assign out, but the answer never reaches the daemon: it dies first.
    const hold = ec2.holdNext('AssignPrivateIpAddresses');
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    await hold.arrived;
    cloud.signal('SIGKILL');
    await daemons.stop(cloud);
    hold.release();
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
    expect(assignOf(cloud)).toMatchObject({ state: 'running', stepIndex: 1 });

    const again = await restartCloud();
    await expect.poll(() => assignOf(again)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    const assign = assignOf(again)!;
    expect(assign.reason).toMatch(/^recovered after an interruption/);
    // One assign in all: the one the killed daemon started. Recovery only read.
    expect(ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses')).toHaveLength(1);
    expect(journal(again).filter((r) => r.action === 'assign-secondary-ip')).toHaveLength(1);
    expect(assign.steps.map((st) => [st.step, st.outcome])).toEqual([
      ['check-assigned', 'succeeded'],
      ['check-assigned', 'already-done'],
      ['verify:check-assigned', 'already-done'],
    ]);
    await expect
      .poll(() => eventsOfType<unknown[]>(onprem.stateDir, 'routerd.provider.action.succeeded').length, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(1);
  });

  it('SIGTERM in the middle of the assign: the tool is killed, the execution left to the next start', async () => {
    const { cloud, onprem, restartCloud } = await startPair(actionPolicy(AUTO_ASSIGN));
    const hold = ec2.holdNext('AssignPrivateIpAddresses');
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    await hold.arrived;
    // The stop does not wait for the held answer (the step's timeout is 25 s): it kills the CLI.
    expect(await cloud.stop()).toBe(0);
    await daemons.stop(cloud);
    expect(
      cloud.logs.some(
        (l) => l.msg === 'action execution interrupted by the stop: recovered at the next start',
      ),
    ).toBe(true);
    hold.release();
    expect(assignOf(cloud)).toMatchObject({ state: 'running', stepIndex: 1 });
    const again = await restartCloud();
    await expect.poll(() => assignOf(again)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    expect(ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses')).toHaveLength(1);
  });

  it('client leaves: the unassign is journaled at the grace, not before, and runs by the opted-in rule', async () => {
    const { cloud, onprem } = await startPair(actionPolicy(AUTO_BOTH), '3s');
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    await expect.poll(() => assignOf(cloud)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    expect(emitExpired(onprem.stateDir).code).toBe(0);
    const unassignOf = () => journal(cloud).find((r) => r.action === 'unassign-secondary-ip');
    await expect.poll(() => unassignOf()?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    const unassign = unassignOf()!;
    expect(unassign).toMatchObject({
      phase: 'teardown',
      source: 'DynamicConfigPart/onprem-clients-10-88-60-9-teardown',
      approvedBy: 'ActionPolicy/aws rules[1]',
    });
    // Journaled no earlier than the grace after the client's last observation (same machine, same clock).
    const [observation] = eventsOfType<{ observedAt: string }[]>(
      onprem.stateDir,
      'routerd.client.ipv4.observed',
    );
    expect(Date.parse(unassign.createdAt) - Date.parse(observation!.observedAt)).toBeGreaterThanOrEqual(3000);
    expect(ec2.calls.filter((c) => c.action === 'UnassignPrivateIpAddresses')).toHaveLength(1);
  });

  it('a flapping client: one assign, and no unassign while it comes back within the grace', async () => {
    const { cloud, onprem } = await startPair(actionPolicy(AUTO_BOTH), '10m');
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    await expect.poll(() => assignOf(cloud)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    expect(emitExpired(onprem.stateDir).code).toBe(0);
    await expect.poll(() => succeededRuns(cloud), { timeout: 30_000, interval: 200 }).toBe(2);
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    await expect.poll(() => succeededRuns(cloud), { timeout: 30_000, interval: 200 }).toBe(3);
    expect(journal(cloud).filter((r) => r.action === 'assign-secondary-ip')).toHaveLength(1);
    expect(journal(cloud).filter((r) => r.action === 'unassign-secondary-ip')).toEqual([]);
    expect(ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses')).toHaveLength(1);
    expect(ec2.calls.map((c) => c.action)).not.toContain('UnassignPrivateIpAddresses');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
  });

  it('a reload that turns auto off sends a queued execution back to wait for a person', async () => {
    // One execution a minute: the second client's assign waits in the queue, approved by the rule.
    const limited = (rules: string) => actionPolicy(rules, '  rateLimit: { perMinute: 1, burst: 1 }\n');
    const { cloud, onprem, setPolicy } = await startPair(limited(AUTO_ASSIGN));
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    expect(emitObservedWithRouterctl(onprem.stateDir, '10.88.60.10/32').code).toBe(0);
    const assigns = () => journal(cloud).filter((r) => r.action === 'assign-secondary-ip');
    await expect
      .poll(
        () =>
          assigns()
            .map((r) => r.state)
            .sort(),
        { timeout: 60_000, interval: 200 },
      )
      .toEqual(['approved', 'succeeded']);
    const queued = assigns().find((r) => r.state === 'approved')!;
    expect(queued.approvedBy).toBe('ActionPolicy/aws rules[0]');

    setPolicy(limited('[]'));
    await reload(cloud);
    await expect
      .poll(() => journal(cloud).find((r) => r.id === queued.id)?.state, { timeout: 10_000, interval: 100 })
      .toBe('awaiting-approval');
    expect(journal(cloud).find((r) => r.id === queued.id)?.reason).toMatch(
      /the policy no longer runs it by itself/,
    );
    expect(ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses')).toHaveLength(1);
  });

  it('no ActionPolicy: plans stay inert and unjournaled; a reload that adds one runs them', async () => {
    const { cloud, onprem, setPolicy } = await startPair('');
    expect(emitObservedWithRouterctl(onprem.stateDir, `${CLIENT}/32`).code).toBe(0);
    // The plan is in the cloud's dynamic config (routerctl action list shows the active parts' plans)…
    await expect
      .poll(
        () => routerctlJson<{ action: string }[]>(cloud.stateDir, 'action', 'list').map((a) => a.action),
        {
          timeout: 30_000,
        },
      )
      .toContain('assign-secondary-ip');
    // …and not in the journal: nothing governs aws, so nothing was submitted, nothing ran.
    expect(journal(cloud)).toEqual([]);
    expect(ec2.calls).toEqual([]);

    setPolicy(actionPolicy(AUTO_ASSIGN));
    await reload(cloud);
    await expect.poll(() => assignOf(cloud)?.state, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
  });
});
