// The doctor's provider-action checks: a pure function of the journal's rows and the policies, with the
// tool files looked at for real (files made here: missing, not executable, executable).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionRecord } from '@routerd/host-wire';
import { describe, expect, it } from 'vitest';
import { ActionPolicy } from '../../src/config/schemas.js';
import { actionChecks } from '../../src/doctor/action-checks.js';
import { inspectToolFile } from '../../src/doctor/tool-file.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const policy = (tools: Record<string, string>) =>
  ActionPolicy.assert({
    apiVersion: 'config.routerd.net/v1alpha1',
    kind: 'ActionPolicy',
    metadata: { name: 'aws' },
    spec: { tools },
  });
const execution = (id: string, over: Partial<ExecutionRecord>) =>
  ({
    id,
    provider: 'aws',
    action: 'assign-secondary-ip',
    createdAt: iso(0),
    finishedAt: null,
    reason: null,
    ...over,
  }) as ExecutionRecord;
const byCode = (checks: ReturnType<typeof actionChecks>, code: string) =>
  checks.filter((c) => c.code === code);

describe('doctor: provider actions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tool-file-'));
  const runnable = join(dir, 'aws');
  writeFileSync(runnable, '#!/bin/sh\n');
  chmodSync(runnable, 0o755);
  const plain = join(dir, 'plain');
  writeFileSync(plain, 'not a program');
  chmodSync(plain, 0o644);

  it('warns about an execution awaiting approval for more than an hour, not about a fresh one', () => {
    const base = { policies: [policy({ aws: runnable })], failed: [], toolFile: inspectToolFile, now: NOW };
    const fresh = actionChecks({ ...base, awaiting: [execution('e1', { createdAt: iso(5 * 60_000) })] });
    expect(byCode(fresh, 'action-awaiting-approval')[0]?.status).toBe('PASS');
    const late = actionChecks({
      ...base,
      awaiting: [
        execution('e0', { createdAt: iso(2 * 3_600_000) }),
        execution('e1', { createdAt: iso(60_000) }),
      ],
    });
    const [check] = byCode(late, 'action-awaiting-approval');
    expect(check?.status).toBe('WARN');
    expect(check?.summary).toMatch(
      /^1 execution\(s\) awaiting approval for more than 60 min \(ActionPolicy\/aws approvalWarnAfter\), the oldest e0/,
    );
    expect(check?.advice).toMatch(/routerctl action approve ID/);
  });

  it("takes the threshold from the provider's ActionPolicy.spec.approvalWarnAfter", () => {
    const patient = ActionPolicy.assert({
      apiVersion: 'config.routerd.net/v1alpha1',
      kind: 'ActionPolicy',
      metadata: { name: 'aws' },
      spec: { tools: { aws: runnable }, approvalWarnAfter: '8h' },
    });
    const base = { policies: [patient], failed: [], toolFile: inspectToolFile, now: NOW };
    const waiting = (hours: number) => [execution('e0', { createdAt: iso(hours * 3_600_000) })];
    expect(
      byCode(actionChecks({ ...base, awaiting: waiting(2) }), 'action-awaiting-approval')[0]?.status,
    ).toBe('PASS');
    const [late] = byCode(actionChecks({ ...base, awaiting: waiting(9) }), 'action-awaiting-approval');
    expect(late?.status).toBe('WARN');
    expect(late?.summary).toMatch(/for more than 480 min \(ActionPolicy\/aws approvalWarnAfter\)/);
    expect(() =>
      ActionPolicy.assert({
        apiVersion: 'config.routerd.net/v1alpha1',
        kind: 'ActionPolicy',
        metadata: { name: 'aws' },
        spec: { tools: { aws: runnable }, approvalWarnAfter: '200h' },
      }),
    ).toThrow(/approvalWarnAfter/);
  });

  it('warns about executions failed in the last day, with the latest reason', () => {
    const base = { policies: [policy({ aws: runnable })], awaiting: [], toolFile: inspectToolFile, now: NOW };
    const failed = [
      execution('f2', {
        finishedAt: iso(60_000),
        reason: 'step assign: refused (exit 254): UnauthorizedOperation',
      }),
      execution('f1', { finishedAt: iso(2 * 86_400_000), reason: 'old' }),
    ];
    const [check] = byCode(actionChecks({ ...base, failed }), 'action-failed');
    expect(check?.status).toBe('WARN');
    expect(check?.summary).toMatch(
      /^1 execution\(s\) failed in the last 24 h, the latest f2 .*UnauthorizedOperation/,
    );
    expect(byCode(actionChecks({ ...base, failed: failed.slice(1) }), 'action-failed')[0]?.status).toBe(
      'PASS',
    );
  });

  it("fails a tool path that is missing, not a file or not executable, naming the policy's field", () => {
    const checks = actionChecks({
      policies: [policy({ aws: runnable, az: join(dir, 'nowhere'), oci: plain, gcloud: dir })],
      awaiting: [],
      failed: [],
      toolFile: inspectToolFile,
      now: NOW,
    });
    expect(byCode(checks, 'action-tool-path').map((c) => [c.subject, c.status, c.summary])).toEqual([
      ['ActionPolicy/aws tools.aws', 'PASS', `${runnable} is an executable file`],
      [
        'ActionPolicy/aws tools.az',
        'FAIL',
        expect.stringMatching(/nowhere does not exist: every step with tool "az" fails/),
      ],
      ['ActionPolicy/aws tools.oci', 'FAIL', expect.stringMatching(/plain is not executable by the daemon/)],
      ['ActionPolicy/aws tools.gcloud', 'FAIL', expect.stringMatching(/is not a file/)],
    ]);
  });

  it('says nothing when no ActionPolicy exists (nothing can run)', () => {
    expect(
      actionChecks({ policies: [], awaiting: [], failed: [], toolFile: inspectToolFile, now: NOW }),
    ).toEqual([]);
  });
});
