// The action executor with the Azure and OCI plugins' own assign plans (their golden files), run against
// the plugins' fake CLIs (packages/plugins-{azure,oci}/test/fake-cli: they answer as az and oci do, each
// text cited in the plugin's README) by absolute path. $FAKE_CLI_STATE is the cloud: a JSON file the
// mutating step changes and the read-only check and verify answer from. Real parts otherwise: a SQLite
// journal file, child processes without a shell.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const plugin = (p: string) => fileURLToPath(new URL(`../../../packages/plugins-${p}/`, import.meta.url));

/**
 * Per provider: the fake CLI, how its log names the create and the delete, and the states where the
 * address is not ours to release (another name on our NIC, another NIC): the release must leave them.
 */
const PROVIDERS = [
  {
    provider: 'azure',
    tool: 'az',
    mutating: ['network', 'nic', 'ip-config', 'create'],
    deleting: ['network', 'nic', 'ip-config', 'delete'],
    forwardingOn: ['network', 'nic', 'update'],
    notOurs: ['on-self-other-name', 'held-elsewhere'],
  },
  {
    provider: 'oci',
    tool: 'oci',
    mutating: ['network', 'private-ip', 'create'],
    deleting: ['network', 'private-ip', 'delete'],
    forwardingOn: ['network', 'vnic', 'update'],
    notOurs: ['held-elsewhere'],
  },
] as const;

let dir: string;
let db: Database;
let executor: ActionExecutor;
let policies: Map<string, ActionPolicy>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'actions-azure-oci-'));
  db = openDatabase(join(dir, 'routerd.db'), allMigrations);
  policies = new Map();
  executor = new ActionExecutor({
    journal: new ActionJournal(db),
    clock: systemClock,
    policies: () => policies,
    log: () => {},
    home: dir,
  });
});
afterEach(async () => {
  await executor.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The plugin's golden plans for a scenario, read at run time (the plugin's own tests regenerate them). */
const goldenPlans = (provider: string, scenario: string) =>
  (
    JSON.parse(readFileSync(join(plugin(provider), 'test', 'golden', `${scenario}.json`), 'utf8')) as {
      actionPlans: ActionPlan[];
    }
  ).actionPlans;

describe.each(PROVIDERS)(
  'executor with the fake $tool CLI',
  ({ provider, tool, mutating, deleting, forwardingOn, notOurs }) => {
    const fake = join(plugin(provider), 'test', 'fake-cli', tool);
    const assignPlan = goldenPlans(provider, 'observed').find((p) => p.action === 'assign-secondary-ip')!;
    // The teardown the plugin plans when on-prem says the client left.
    const unassignPlan = goldenPlans(provider, 'expired').find((p) => p.action === 'unassign-secondary-ip')!;
    const forwardingPlan = goldenPlans(provider, 'observed').find(
      (p) => p.action === 'ensure-forwarding-enabled',
    )!;
    const stateFile = () => join(dir, 'cloud.json');
    const logFile = () => join(dir, 'calls.log');
    const setCloud = (cloud: { scenario: string; throttle?: number; forwarding?: boolean }) =>
      writeFileSync(stateFile(), JSON.stringify(cloud));
    const cloud = () =>
      JSON.parse(readFileSync(stateFile(), 'utf8')) as { scenario: string; forwarding?: boolean };
    /** Every call the fake answered, as argv; the mutating ones. */
    const calls = () =>
      readFileSync(logFile(), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]);
    const callsOf = (words: readonly string[]) =>
      calls().filter((c) => words.every((w, i) => c[i + 1] === w));
    const creates = () => callsOf(mutating);
    const deletes = () => callsOf(deleting);

    beforeEach(() => {
      writeFileSync(logFile(), '');
      policies.set(
        provider,
        ActionPolicy.assert({
          apiVersion: 'config.routerd.net/v1alpha1',
          kind: 'ActionPolicy',
          metadata: { name: provider },
          spec: {
            tools: { [tool]: fake },
            env: { FAKE_CLI_STATE: stateFile(), FAKE_CLI_LOG: logFile() },
            retry: { attempts: 3, baseDelay: '50ms', maxDelay: '200ms' },
            verify: { timeout: '20s', interval: '100ms' },
            rules: [
              { action: 'assign-secondary-ip', phase: 'provision', risk: ['low'], mode: 'auto' },
              { action: 'unassign-secondary-ip', phase: 'teardown', risk: ['low', 'medium'], mode: 'auto' },
            ],
            allowAutoTeardown: true,
          },
        }),
      );
    });

    it('auto: the golden assign plan runs, the cloud changes, verify reads it back → succeeded', async () => {
      setCloud({ scenario: 'absent' });
      const submitted = executor.submit(assignPlan, `DynamicConfigPart/${provider}-onprem-10-88-60-9`);
      expect(submitted.mode).toBe('auto');
      const done = await executor.whenFinished(submitted.id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
      expect(done.reason).toBeNull(); // verified, not "not verified"
      expect(cloud().scenario).toBe('on-self');
      expect(done.steps.map((s) => [s.step, s.exitCode, s.outcome])).toEqual([
        [assignPlan.steps[0]!.id, 0, 'succeeded'],
        [assignPlan.steps[1]!.id, 0, 'succeeded'],
        [`verify:${assignPlan.steps[0]!.id}`, 0, 'already-done'],
      ]);
      expect(creates()).toHaveLength(1);
    });

    it('held elsewhere: stops and reports it, nothing seized', async () => {
      setCloud({ scenario: 'held-elsewhere' });
      const done = await executor.whenFinished(executor.submit(assignPlan, 'test').id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('held-elsewhere');
      expect(cloud().scenario).toBe('held-elsewhere');
      // Azure's check reads only our NIC, so the create is what finds the holder (and changes nothing);
      // OCI's look-up finds the other VNIC first and the create never runs.
      expect(creates().length).toBe(provider === 'azure' ? 1 : 0);
      expect(done.steps.at(-1)!.outcome).toBe('held-elsewhere');
    });

    it('throttled once: the step is retried and the execution succeeds', async () => {
      setCloud({ scenario: 'absent', throttle: 1 });
      const done = await executor.whenFinished(executor.submit(assignPlan, 'test').id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
      expect(done.steps.slice(0, 2).map((s) => [s.step, s.attempt, s.outcome])).toEqual([
        [assignPlan.steps[0]!.id, 1, 'retry'],
        [assignPlan.steps[0]!.id, 2, 'succeeded'],
      ]);
      expect(cloud().scenario).toBe('on-self');
      expect(creates()).toHaveLength(1);
    });

    it('teardown: the golden unassign plan releases our address, verify reads it gone → succeeded', async () => {
      setCloud({ scenario: 'on-self' });
      const submitted = executor.submit(
        unassignPlan,
        `DynamicConfigPart/${provider}-onprem-10-88-60-9-teardown`,
      );
      expect(submitted.mode).toBe('auto');
      const done = await executor.whenFinished(submitted.id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
      expect(done.reason).toBeNull(); // verified
      expect(cloud().scenario).toBe('absent');
      expect(done.steps.map((s) => [s.step, s.exitCode, s.outcome])).toEqual([
        [unassignPlan.steps[0]!.id, 0, 'succeeded'],
        [unassignPlan.steps[1]!.id, 0, 'succeeded'],
        [`verify:${unassignPlan.steps[0]!.id}`, 0, 'already-done'],
      ]);
      expect(deletes()).toHaveLength(1);
    });

    it('teardown of an address already gone: already-done, no delete run', async () => {
      setCloud({ scenario: 'absent' });
      const done = await executor.whenFinished(executor.submit(unassignPlan, 'test').id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('already-done');
      expect(done.steps.map((s) => [s.step, s.outcome])).toEqual([
        [unassignPlan.steps[0]!.id, 'already-done'],
      ]);
      expect(deletes()).toEqual([]);
      expect(cloud().scenario).toBe('absent');
    });

    // Azure's check counts only the ip-config this plugin named; OCI's look-up lists only our VNIC.
    it.each(notOurs)('teardown when the address is %s: never deleted', async (scenario) => {
      setCloud({ scenario });
      const done = await executor.whenFinished(executor.submit(unassignPlan, 'test').id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('already-done');
      expect(deletes()).toEqual([]);
      expect(cloud().scenario).toBe(scenario);
    });

    it('undo of an executed assign runs its release: the cloud lets the address go, the assign is undone', async () => {
      setCloud({ scenario: 'absent' });
      const assign = await executor.whenFinished(executor.submit(assignPlan, 'test').id);
      expect(assign.state).toBe('succeeded');
      expect(cloud().scenario).toBe('on-self');
      const undo = executor.undo(assign.id, 'alice');
      // The teardown rule runs it by itself (a person's undo without such a rule is approved by them).
      expect(undo).toMatchObject({
        action: 'unassign-secondary-ip',
        phase: 'teardown',
        undoOf: assign.id,
        approvedBy: `ActionPolicy/${provider} rules[1]`,
      });
      const done = await executor.whenFinished(undo.id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
      expect(done.reason).toBeNull();
      expect(cloud().scenario).toBe('absent');
      expect(deletes()).toHaveLength(1);
      expect(await executor.whenFinished(assign.id)).toMatchObject({
        state: 'undone',
        reason: `undone by execution ${undo.id}`,
      });
    });

    it('forwarding off: the golden forwarding plan, approved by a person, turns it on', async () => {
      setCloud({ scenario: 'absent', forwarding: false });
      const submitted = executor.submit(forwardingPlan, 'test');
      expect(submitted.state).toBe('awaiting-approval'); // medium risk: no rule runs it
      const done = await executor.whenFinished(executor.approve(submitted.id, 'alice').id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
      expect(cloud().forwarding).toBe(true);
      expect(callsOf(forwardingOn)).toHaveLength(1);
    });

    it('forwarding already on: the check says so, nothing is updated, and its undo is refused', async () => {
      setCloud({ scenario: 'absent', forwarding: true });
      const submitted = executor.submit(forwardingPlan, 'test');
      const done = await executor.whenFinished(executor.approve(submitted.id, 'alice').id);
      expect(done.state, JSON.stringify(done, null, 1)).toBe('already-done');
      expect(callsOf(forwardingOn)).toEqual([]);
      // The execution changed nothing: an undo would turn off what someone else turned on.
      expect(() => executor.undo(done.id, 'bob')).toThrow(/found it already so before the plan ran/);
      expect(cloud().forwarding).toBe(true);
    });

    it('undo of the forwarding an execution turned on restores the recorded prior value (off)', async () => {
      setCloud({ scenario: 'absent', forwarding: false });
      const submitted = executor.submit(forwardingPlan, 'test');
      const done = await executor.whenFinished(executor.approve(submitted.id, 'alice').id);
      expect(done.state).toBe('succeeded');
      expect(cloud().forwarding).toBe(true);
      const undo = await executor.whenFinished(executor.undo(done.id, 'bob').id);
      expect(undo.state, JSON.stringify(undo, null, 1)).toBe('succeeded');
      expect(undo.plan.action).toBe('restore-forwarding');
      expect(undo.reason).toBeNull(); // verified: the check reads the setting back as it was
      expect(cloud().forwarding).toBe(false);
      expect(callsOf(forwardingOn)).toHaveLength(2);
      expect((await executor.whenFinished(done.id)).state).toBe('undone');
    });
  },
);
