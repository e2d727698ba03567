// The least-privilege identity files in deploy/cloud-identity, checked against what the provider plugins'
// plans really run: every AWS CLI operation of every golden plan (steps and undo) needs exactly the IAM
// actions the policy grants — nothing missing, nothing more — and only the read is unscoped.
import { readdirSync, readFileSync } from 'node:fs';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';

const deploy = (name: string) =>
  readFileSync(new URL(`../../../deploy/cloud-identity/${name}`, import.meta.url), 'utf8');
const goldenPlans = (provider: string): ActionPlan[] => {
  const dir = new URL(`../../../packages/plugins-${provider}/test/golden/`, import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap(
      (f) =>
        (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { actionPlans?: ActionPlan[] }).actionPlans ??
        [],
    );
};
const allSteps = (plans: ActionPlan[]) => plans.flatMap((p) => [...p.steps, ...(p.undo?.steps ?? [])]);

describe('deploy/cloud-identity', () => {
  it('AWS: the IAM policy grants exactly the EC2 actions the plans run; writes only on the router ENI', () => {
    const policy = JSON.parse(deploy('aws-iam-policy.json')) as {
      Statement: { Effect: string; Action: string[]; Resource: string }[];
    };
    // `aws ec2 assign-private-ip-addresses` → ec2:AssignPrivateIpAddresses
    const used = new Set(
      allSteps(goldenPlans('aws')).map(
        (s) => `${s.argv[0]}:${s.argv[1]!.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`,
      ),
    );
    const granted = policy.Statement.flatMap((st) => st.Action);
    expect(new Set(granted)).toEqual(used);
    expect(policy.Statement.every((st) => st.Effect === 'Allow')).toBe(true);
    for (const st of policy.Statement)
      if (st.Resource === '*') expect(st.Action.every((a) => a.startsWith('ec2:Describe'))).toBe(true);
      else expect(st.Resource).toMatch(/^arn:aws:ec2:[a-z0-9-]+:\d{12}:network-interface\/eni-[0-9a-f]+$/);
  });

  it('Azure: a custom role of named Microsoft.Network actions, no wildcard, one resource group', () => {
    const role = JSON.parse(deploy('azure-role-definition.json')) as {
      IsCustom: boolean;
      Actions: string[];
      AssignableScopes: string[];
    };
    expect(role.IsCustom).toBe(true);
    expect(role.Actions.every((a) => a.startsWith('Microsoft.Network/') && !a.includes('*'))).toBe(true);
    // The plans read and write the NIC's ip-configs and its IP forwarding flag (az network nic …).
    const used = new Set(allSteps(goldenPlans('azure')).map((s) => s.argv.slice(0, 3).join(' ')));
    expect([...used].every((c) => c.startsWith('network nic '))).toBe(true);
    expect(role.Actions).toEqual(
      expect.arrayContaining([
        'Microsoft.Network/networkInterfaces/read',
        'Microsoft.Network/networkInterfaces/write',
      ]),
    );
    expect(role.AssignableScopes).toEqual([
      expect.stringMatching(/^\/subscriptions\/[0-9a-f-]+\/resourceGroups\/[^/]+$/),
    ]);
  });

  it('OCI: policy statements in the documented grammar; manage only for private IPs', () => {
    const statements = deploy('oci-policy.txt')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    const grammar = /^allow dynamic-group (\S+) to (inspect|read|use|manage) (\S+) in compartment (\S+)$/;
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      const m = grammar.exec(s);
      expect(m, s).not.toBeNull();
      if (m![2] === 'manage') expect(m![3]).toBe('private-ips');
    }
    // The plans use `oci network private-ip …` and `oci network vnic update`.
    const families = new Set(allSteps(goldenPlans('oci')).map((s) => s.argv[1]));
    expect(families).toEqual(new Set(['private-ip', 'vnic']));
  });
});
