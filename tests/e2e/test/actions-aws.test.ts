// The action executor against the real AWS CLI v2 (Debian's /usr/bin/aws, always by absolute path: a v1
// `aws` may come first on PATH) and the local EC2 Query API endpoint (tests/ec2-endpoint), with the AWS
// plugin's own plans (its golden files). Real parts: a SQLite journal file, child processes without a
// shell, HTTP over loopback. The credentials live in a profile file the policy points at; the test
// process's environment has none, and neither the journal nor any step record may contain them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Ec2Endpoint, startEc2Endpoint } from '@routerd/ec2-endpoint-fixture';
import {
  ActionExecutor,
  ActionJournal,
  ActionPolicy,
  allMigrations,
  openDatabase,
  systemClock,
} from '@routerd/host';
import type { ActionPlan } from '@routerd/plugin-sdk';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const AWS = '/usr/bin/aws';
const ENI = 'eni-0abc1234def567890';
const OTHER = 'eni-0fedcba9876543210';
const CLIENT = '10.88.60.9';
// The example key pair of the AWS documentation: fake, recognisable, and searched for in the journal.
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const golden = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../packages/plugins-aws/test/golden/${name}.json`, import.meta.url), 'utf8'),
  ) as { actionPlans?: ActionPlan[] };
const planOf = (file: string, action: ActionPlan['action']) =>
  golden(file).actionPlans!.find((p) => p.action === action)!;
const assignPlan = planOf('observed', 'assign-secondary-ip');
const unassignPlan = planOf('expired', 'unassign-secondary-ip');
const forwardingPlan = planOf('observed', 'ensure-forwarding-enabled');

let dir: string;
let ec2: Ec2Endpoint;
let db: Database;
let journal: ActionJournal;
let executor: ActionExecutor;
let policies: Map<string, ActionPolicy>;

const policy = (spec: Record<string, unknown>) =>
  ActionPolicy.assert({
    apiVersion: 'config.routerd.net/v1alpha1',
    kind: 'ActionPolicy',
    metadata: { name: 'aws' },
    spec: {
      tools: { aws: AWS },
      env: {
        AWS_PROFILE: 'routerd-test',
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_PAGER: '',
        // One attempt per CLI run: a retry is the executor's decision, journaled, never the CLI's.
        AWS_MAX_ATTEMPTS: '1',
      },
      endpointUrl: ec2.url,
      retry: { attempts: 3, baseDelay: '50ms', maxDelay: '200ms' },
      verify: { timeout: '30s', interval: '100ms' },
      ...spec,
    },
  });
const auto = { rules: [{ action: 'assign-secondary-ip', phase: 'provision', risk: ['low'], mode: 'auto' }] };
/** Every plan of every phase and risk runs by itself (teardown included, as its own opt-in). */
const autoAll = {
  rules: [
    { phase: 'provision', risk: ['low', 'medium', 'high'], mode: 'auto' },
    { phase: 'teardown', risk: ['low', 'medium', 'high'], mode: 'auto' },
  ],
  allowAutoTeardown: true,
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'actions-aws-'));
  writeFileSync(
    join(dir, 'credentials'),
    `[routerd-test]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`,
  );
  writeFileSync(join(dir, 'config'), '[profile routerd-test]\nregion = ap-northeast-1\n');
  ec2 = await startEc2Endpoint({
    enis: [
      { id: ENI, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.4', instanceId: 'i-0123456789abcdef0' },
      { id: OTHER, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.5' },
    ],
  });
  db = openDatabase(join(dir, 'routerd.db'), allMigrations);
  journal = new ActionJournal(db);
  policies = new Map();
  executor = newExecutor();
});
afterEach(async () => {
  await executor.stop();
  db.close();
  await ec2.close();
  rmSync(dir, { recursive: true, force: true });
});

function newExecutor() {
  return new ActionExecutor({
    journal,
    clock: systemClock,
    policies: () => policies,
    log: () => {},
    home: dir,
  });
}

/** Every byte of the journal's database file (and its WAL) as text: where a credential must never be. */
function journalBytes(): string {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return readFileSync(join(dir, 'routerd.db')).toString('latin1');
}

describe('executor with the real AWS CLI', () => {
  it('auto: the assign runs, is verified, and the journal holds every step but no credential', async () => {
    policies.set('aws', policy(auto));
    const submitted = executor.submit(assignPlan, 'DynamicConfigPart/aws-onprem-10-88-60-9');
    expect(submitted.mode).toBe('auto');
    const done = await executor.whenFinished(submitted.id);
    expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
    expect(done.approvedBy).toBe('ActionPolicy/aws rules[0]');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
    expect(ec2.calls.map((c) => c.action)).toEqual([
      'DescribeNetworkInterfaces',
      'AssignPrivateIpAddresses',
      'DescribeNetworkInterfaces', // verify
    ]);
    // The identity came from the profile the policy named.
    expect(new Set(ec2.calls.map((c) => c.accessKeyId))).toEqual(new Set([KEY_ID]));
    expect(done.steps.map((s) => [s.step, s.exitCode, s.outcome])).toEqual([
      ['check-assigned', 0, 'succeeded'],
      ['assign', 0, 'succeeded'],
      ['verify:check-assigned', 0, 'already-done'],
    ]);
    expect(done.steps[1]!.argv).toContain('--endpoint-url');
    const bytes = journalBytes();
    expect(bytes).toContain('assign-private-ip-addresses'); // the file is what we think it is
    expect(bytes).not.toContain(KEY_ID);
    expect(bytes).not.toContain(SECRET);
  });

  it('manual (no rule): waits for approval and touches nothing; approve runs it', async () => {
    policies.set('aws', policy({}));
    const r = executor.submit(assignPlan, 'test');
    expect(r.state).toBe('awaiting-approval');
    // The same plan again is the same execution, never a second one.
    expect(executor.submit(assignPlan, 'test').id).toBe(r.id);
    expect(ec2.calls).toEqual([]);
    executor.approve(r.id, 'alice');
    const done = await executor.whenFinished(r.id);
    expect(done.state).toBe('succeeded');
    expect(done.approvedBy).toBe('alice');
    expect(ec2.state.addressesOf(ENI)).toContain(CLIENT);
  });

  it('reject: cancelled, never run', async () => {
    policies.set('aws', policy({}));
    const r = executor.submit(assignPlan, 'test');
    expect(executor.reject(r.id, 'bob').state).toBe('cancelled');
    expect(() => executor.approve(r.id, 'alice')).toThrow(/cancelled, not awaiting-approval/);
    expect(ec2.calls).toEqual([]);
  });

  it('held by another ENI: stops as held-elsewhere and never seizes it', async () => {
    ec2.state.eni(OTHER).secondaryIps.push(CLIENT);
    policies.set('aws', policy(auto));
    const done = await executor.whenFinished(executor.submit(assignPlan, 'test').id);
    expect(done.state).toBe('held-elsewhere');
    expect(ec2.state.addressesOf(OTHER)).toContain(CLIENT);
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    expect(ec2.calls.every((c) => c.params.AllowReassignment === undefined)).toBe(true);
  });

  it('throttling: the assign is retried with backoff and succeeds; each attempt is journaled', async () => {
    policies.set('aws', policy(auto));
    ec2.throttleNext(1, 'AssignPrivateIpAddresses');
    const done = await executor.whenFinished(executor.submit(assignPlan, 'test').id);
    expect(done.state).toBe('succeeded');
    const assigns = done.steps.filter((s) => s.step === 'assign');
    expect(assigns.map((s) => [s.attempt, s.outcome])).toEqual([
      [1, 'retry'],
      [2, 'succeeded'],
    ]);
    expect(assigns[0]!.stderrTail).toContain('RequestLimitExceeded');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
  });

  it('a tool that prints the credentials it holds: the journal keeps its output redacted', async () => {
    policies.set('aws', policy(auto));
    const printsCredentials = (format: string) => ({
      id: `export-${format}`,
      tool: 'aws',
      argv: ['configure', 'export-credentials', '--format', format],
      mutating: false,
      outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
    });
    const plan: ActionPlan = {
      ...assignPlan,
      idempotencyKey: 'prints-credentials',
      steps: [printsCredentials('process'), printsCredentials('env')],
    };
    const done = await executor.whenFinished(executor.submit(plan, 'test').id);
    expect(done.steps.map((s) => [s.step, s.exitCode])).toEqual([
      ['export-process', 0],
      ['export-env', 0],
    ]);
    expect(done.steps[0]!.stdoutTail).toContain('"SecretAccessKey": "[redacted]"');
    expect(done.steps[1]!.stdoutTail).toContain('AWS_SECRET_ACCESS_KEY=[redacted]');
    const bytes = journalBytes();
    expect(bytes).toContain('export-credentials');
    expect(bytes).not.toContain(KEY_ID);
    expect(bytes).not.toContain(SECRET);
  });

  it('a reload that turns auto off sends a queued execution back to wait for approval', async () => {
    policies.set('aws', policy({ ...auto, rateLimit: { perMinute: 1, burst: 1 } }));
    const first = executor.submit(assignPlan, 'test');
    // Another NIC, so only the rate limit holds it back.
    const other: ActionPlan = {
      ...assignPlan,
      idempotencyKey: 'other-nic',
      target: { ...assignPlan.target, nicRef: OTHER },
      steps: assignPlan.steps.map((s) => ({ ...s, argv: s.argv.map((a) => (a === ENI ? OTHER : a)) })),
    };
    const queued = executor.submit(other, 'test');
    expect(journal.get(queued.id)!.state).toBe('approved');
    policies.set('aws', policy({ rateLimit: { perMinute: 1, burst: 1 } }));
    executor.reconsider();
    expect(journal.get(queued.id)).toMatchObject({
      state: 'awaiting-approval',
      reason: expect.stringMatching(/no longer/),
    });
    expect((await executor.whenFinished(first.id)).state).toBe('succeeded');
    expect(ec2.state.addressesOf(OTHER)).toEqual(['10.88.60.5']);
  });

  it('a policy that lacks the tool: failed with the field to fix, nothing run', async () => {
    policies.set('aws', policy({ ...auto, tools: { az: '/usr/bin/az' } }));
    const done = await executor.whenFinished(executor.submit(assignPlan, 'test').id);
    expect(done.state).toBe('failed');
    expect(done.reason).toMatch(/spec\.tools has no path for the tool "aws"/);
    expect(ec2.calls).toEqual([]);
  });

  describe('teardown and forwarding: each verified by its read-only check', () => {
    it('unassign: released, then verified by the count reading 0 (not "not verified")', async () => {
      policies.set('aws', policy(autoAll));
      ec2.state.eni(ENI).secondaryIps.push(CLIENT);
      const done = await executor.whenFinished(executor.submit(unassignPlan, 'test').id);
      expect(done.state, done.reason ?? '').toBe('succeeded');
      expect(done.reason).toBeNull();
      expect(done.steps.map((s) => [s.step, s.outcome])).toEqual([
        ['check-unassigned', 'succeeded'],
        ['unassign', 'succeeded'],
        ['verify:check-unassigned', 'already-done'],
      ]);
      expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    });

    it('unassign interrupted mid-step: the restart reads the count first and never unassigns twice', async () => {
      policies.set('aws', policy(autoAll));
      const { record } = journal.submit(
        { id: 'ex-u', plan: unassignPlan, source: 'test', mode: 'auto', state: 'approved', approvedBy: 'x' },
        Date.now(),
      );
      journal.transition(record.id, ['approved'], 'running', Date.now(), { stepIndex: 1 });
      executor.start();
      const done = await executor.whenFinished(record.id);
      expect(done.state).toBe('succeeded');
      expect(done.reason).toMatch(/recovered/);
      expect(ec2.calls.map((c) => c.action)).not.toContain('UnassignPrivateIpAddresses');
    });

    it('forwarding: the check reads True (the prior value), the change runs; undo restores it', async () => {
      policies.set('aws', policy(autoAll));
      const done = await executor.whenFinished(executor.submit(forwardingPlan, 'test').id);
      expect(done.state, done.reason ?? '').toBe('succeeded');
      expect(done.steps[0]).toMatchObject({
        step: 'check-forwarding',
        outcome: 'succeeded',
        stdoutTail: 'True\n',
      });
      expect(ec2.state.eni(ENI).sourceDestCheck).toBe(false);
      const undo = await executor.whenFinished(executor.undo(done.id, 'test-operator').id);
      expect(undo.state, undo.reason ?? '').toBe('succeeded');
      expect(undo.plan.action).toBe('restore-forwarding');
      expect(ec2.state.eni(ENI).sourceDestCheck).toBe(true);
      expect(journal.get(done.id)!.state).toBe('undone');
    });

    it('forwarding that was already on: already-done, and its undo is refused (nothing to restore)', async () => {
      policies.set('aws', policy(autoAll));
      ec2.state.eni(ENI).sourceDestCheck = false;
      const done = await executor.whenFinished(executor.submit(forwardingPlan, 'test').id);
      expect(done.state).toBe('already-done');
      expect(() => executor.undo(done.id, 'test-operator')).toThrow(
        /check-forwarding .* found it already so before the plan ran \(read "False"\).*nothing to restore/,
      );
      expect(ec2.state.eni(ENI).sourceDestCheck).toBe(false);
      expect(ec2.calls.map((c) => c.action)).not.toContain('ModifyNetworkInterfaceAttribute');
    });

    it('forwarding whose journal recorded no reading (interrupted before its check): undo refused', async () => {
      policies.set('aws', policy(autoAll));
      const { record } = journal.submit(
        {
          id: 'ex-f',
          plan: forwardingPlan,
          source: 'test',
          mode: 'auto',
          state: 'approved',
          approvedBy: 'x',
        },
        Date.now(),
      );
      journal.transition(record.id, ['approved'], 'running', Date.now(), { stepIndex: 0 });
      journal.transition(record.id, ['running'], 'succeeded', Date.now());
      expect(() => executor.undo(record.id, 'test-operator')).toThrow(
        /recorded no reading of the prior value/,
      );
      expect(ec2.calls).toEqual([]);
    });
  });

  describe('an execution interrupted mid-step (found running at start)', () => {
    /** The journal as a daemon killed in the middle of the assign step leaves it. */
    function interruptedAtAssign() {
      const { record } = journal.submit(
        { id: 'ex-1', plan: assignPlan, source: 'test', mode: 'auto', state: 'approved', approvedBy: 'x' },
        Date.now(),
      );
      journal.transition(record.id, ['approved'], 'running', Date.now(), { stepIndex: 1 });
      return record.id;
    }

    it('the assign had taken effect: the read-only check says so, the assign is not run again', async () => {
      policies.set('aws', policy(auto));
      ec2.state.eni(ENI).secondaryIps.push(CLIENT);
      const id = interruptedAtAssign();
      executor.start();
      const done = await executor.whenFinished(id);
      expect(done.state).toBe('succeeded');
      expect(done.reason).toMatch(/recovered/);
      expect(ec2.calls.map((c) => c.action)).not.toContain('AssignPrivateIpAddresses');
    });

    it('the assign had not taken effect: the check first, then the plan from the top, one assign', async () => {
      policies.set('aws', policy(auto));
      const id = interruptedAtAssign();
      executor.start();
      const done = await executor.whenFinished(id);
      expect(done.state).toBe('succeeded');
      expect(ec2.calls.filter((c) => c.action === 'AssignPrivateIpAddresses')).toHaveLength(1);
      expect(ec2.calls[0]!.action).toBe('DescribeNetworkInterfaces');
      expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
    });
  });
});
