// ActionPolicy as the config loader reads it (YAML → refusals naming the field), and what a policy
// decides for a plan. Pure: no processes; the rate limit on a ManualClock.
import type { ActionPlan } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { decideMode } from '../../src/actions/policy.js';
import { TokenBucket } from '../../src/actions/rate-limit.js';
import { redactCredentials } from '../../src/actions/redact.js';
import { ManualClock } from '../../src/clock.js';
import { parseConfigText } from '../../src/config/parse.js';
import type { ActionPolicy } from '../../src/config/schemas.js';

const yaml = (spec: string) => `apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: {name: aws}
spec:
${spec}`;
const load = (spec: string) => parseConfigText(yaml(spec), 'p.yaml');
const messages = (spec: string) => load(spec).issues.map((i) => `${i.path}: ${i.message}`);

const plan = (action: ActionPlan['action'], phase: 'provision' | 'teardown', risk: ActionPlan['riskLevel']) =>
  ({ provider: 'aws', action, phase, riskLevel: risk }) as ActionPlan;

describe('ActionPolicy resource', () => {
  it('fills the defaults: manual, no auto teardown, 6/min burst 3', () => {
    const r = load('  tools: {aws: /usr/bin/aws}');
    expect(r.issues).toEqual([]);
    const p = r.resources[0]!.resource as ActionPolicy;
    expect(p.spec).toMatchObject({
      rules: [],
      allowAutoTeardown: false,
      rateLimit: { perMinute: 6, burst: 3 },
      endpointFlag: '--endpoint-url',
      env: {},
    });
  });

  it('refuses a relative tool path (no PATH lookup)', () => {
    expect(messages('  tools: {aws: aws}').join()).toMatch(/tools\/aws.*absolute/);
  });

  it('refuses a credential in env, naming the variable', () => {
    const m = messages('  tools: {aws: /usr/bin/aws}\n  env: {AWS_SECRET_ACCESS_KEY: x}').join();
    expect(m).toMatch(/env\/AWS_SECRET_ACCESS_KEY/);
    expect(m).toMatch(/holds no credential/);
  });

  it('refuses an auto rule covering teardown unless allowAutoTeardown', () => {
    const rule = '  rules: [{action: unassign-secondary-ip, phase: teardown, risk: [medium], mode: auto}]';
    expect(messages(`  tools: {aws: /usr/bin/aws}\n${rule}`).join()).toMatch(
      /rules\/0\/mode.*allowAutoTeardown/,
    );
    expect(messages(`  tools: {aws: /usr/bin/aws}\n${rule}\n  allowAutoTeardown: true`)).toEqual([]);
  });

  it('refuses an unknown field and a rate limit out of range', () => {
    expect(messages('  tools: {aws: /usr/bin/aws}\n  rules: [{mood: auto}]').join()).toMatch(/mood/);
    expect(messages('  tools: {aws: /usr/bin/aws}\n  rateLimit: {perMinute: 0}').join()).toMatch(/perMinute/);
  });
});

describe('decideMode', () => {
  const policy = (spec: string) =>
    load(`  tools: {aws: /usr/bin/aws}\n${spec}`).resources[0]!.resource as ActionPolicy;

  it('no policy or no matching rule: manual', () => {
    expect(decideMode(undefined, plan('assign-secondary-ip', 'provision', 'low')).mode).toBe('manual');
    const p = policy('  rules: [{action: assign-secondary-ip, phase: provision, risk: [low], mode: auto}]');
    expect(decideMode(p, plan('assign-secondary-ip', 'provision', 'medium')).mode).toBe('manual');
    expect(decideMode(p, plan('ensure-forwarding-enabled', 'provision', 'low')).mode).toBe('manual');
    expect(decideMode(p, plan('assign-secondary-ip', 'provision', 'low'))).toEqual({
      mode: 'auto',
      by: 'ActionPolicy/aws rules[0]',
    });
  });

  it('first matching rule wins', () => {
    const p = policy(
      '  rules:\n    - {action: assign-secondary-ip, phase: provision, risk: [low], mode: manual}\n    - {phase: provision, risk: [low], mode: auto}',
    );
    expect(decideMode(p, plan('assign-secondary-ip', 'provision', 'low')).mode).toBe('manual');
    expect(decideMode(p, plan('ensure-forwarding-enabled', 'provision', 'low')).mode).toBe('auto');
  });
});

describe('TokenBucket', () => {
  it('gives burst at once, then one per 60/perMinute s', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(clock, 6, 2);
    expect([b.take(), b.take()]).toEqual([0, 0]);
    expect(b.take()).toBe(10_000);
    clock.advance(10_000);
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(10_000);
  });
});

describe('redactCredentials', () => {
  it('removes AWS key ids, secrets, tokens and JWTs', () => {
    const out = redactCredentials(
      'AccessKeyId AKIAIOSFODNN7EXAMPLE aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' +
        '"SessionToken": "IQoJb3JpZ2luX2VjE" Authorization: Bearer abc.def eyJhbGciOi.eyJzdWIi.sig_1',
    );
    expect(out).not.toMatch(/AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI|IQoJb3JpZ2luX2VjE|abc\.def|eyJhbGciOi/);
    expect(out).toContain('[redacted');
  });

  it('leaves an ordinary CLI answer alone', () => {
    const text = '10.88.60.4\t10.88.60.9\n{"NetworkInterfaceId": "eni-0abc1234def567890"}';
    expect(redactCredentials(text)).toBe(text);
  });
});
