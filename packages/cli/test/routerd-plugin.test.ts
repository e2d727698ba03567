// The built `routerd-plugin test` (dist/routerd-plugin.js) against the conformance suite's own fixtures:
// exit codes, the JSON report (checked against its published schema), TAP 14 and JUnit XML.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Report } from '@routerd/conformance';
import { type } from 'arktype';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/routerd-plugin.js', import.meta.url));
const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../conformance/fixtures/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'routerd-plugin-test-'));

function routerdPlugin(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // stdout is a pipe, not a terminal: the default format is JSON.
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function report(stdout: string): Report {
  const r = Report(JSON.parse(stdout));
  if (r instanceof type.errors) throw new Error(`the report does not fit its schema: ${r.summary}`);
  return r;
}

describe('routerd-plugin test', () => {
  it('exits 0 for the reference plugin and prints a JSON report when stdout is not a terminal', async () => {
    const { code, stdout } = await routerdPlugin('test', fixture('reference.mjs'));
    const r = report(stdout);
    expect(r.ok).toBe(true);
    expect(r.summary.pass).toBe(r.summary.total);
    expect(r.plugin.declaredCapabilities).toContain('propose.providerAction');
    expect(code).toBe(0);
  });

  it('exits 1 for a broken plugin, naming the failed check in TAP 14', async () => {
    const { code, stdout } = await routerdPlugin(
      'test',
      fixture('stdout-banner.mjs'),
      '--only',
      'transport',
      '--format',
      'tap',
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('TAP version 14');
    const plan = /^1\.\.(\d+)$/.exec(lines[1]!);
    expect(plan).not.toBeNull();
    expect(lines.filter((l) => /^(not )?ok \d+ - /.test(l))).toHaveLength(Number(plan![1]));
    expect(lines.filter((l) => l.startsWith('not ok'))).toEqual([
      expect.stringMatching(/^not ok \d+ - transport\.stdout-only-protocol$/),
    ]);
    expect(stdout).toMatch(/ {2}---\n {2}message: .*stdout line/);
    expect(code).toBe(1);
  });

  it('writes JUnit XML with one testsuite per group and the failure in it', async () => {
    const { code, stdout } = await routerdPlugin(
      'test',
      fixture('no-exit-on-eof.mjs'),
      '--only',
      'lifecycle',
      '--format',
      'junit',
    );
    expect(stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(stdout).toMatch(/<testsuite name="lifecycle" tests="12" failures="1" /);
    expect(stdout).toMatch(
      /<testcase classname="routerd-plugin\.lifecycle" name="lifecycle\.exits-on-stdin-eof" time="[\d.]+">\n {6}<failure /,
    );
    expect(stdout.match(/<failure /g)).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('exits 0 when the only failures are expected, and 1 when an expected failure is stale', async () => {
    const debt = join(tmp, 'debt.yaml');
    writeFileSync(
      debt,
      '- id: transport.stdout-only-protocol\n  reason: banner removed in 2.0\n- lifecycle.ping\n',
    );
    const { code, stdout } = await routerdPlugin(
      'test',
      fixture('stdout-banner.mjs'),
      '--only',
      'transport',
      '--expected-failures',
      debt,
    );
    // lifecycle.ping did not run (--only transport), so its entry is not judged.
    const r = report(stdout);
    expect(r.checks.find((c) => c.id === 'transport.stdout-only-protocol')).toMatchObject({
      status: 'xfail',
      expectedFailure: 'banner removed in 2.0',
    });
    expect(code).toBe(0);

    const stale = await routerdPlugin(
      'test',
      fixture('raw-reference.mjs'),
      '--only',
      'lifecycle.ping',
      '--expected-failures',
      debt,
    );
    expect(report(stale.stdout).staleExpectedFailures).toEqual([{ entry: 'lifecycle.ping' }]);
    expect(stale.code).toBe(1);
  });

  it('keeps a transcript and the stderr of each check with --output-dir', async () => {
    const out = join(tmp, 'out');
    const { code, stdout } = await routerdPlugin(
      'test',
      fixture('raw-reference.mjs'),
      '--only',
      'lifecycle.ping',
      '--output-dir',
      out,
      '--',
      '--some-arg',
    );
    const check = report(stdout).checks[0]!;
    expect(check.files).toEqual([
      'sessions/lifecycle.ping.transcript.jsonl',
      'sessions/lifecycle.ping.stderr.log',
    ]);
    const { readFileSync } = await import('node:fs');
    const transcript = readFileSync(join(out, check.files![0]!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(transcript[0]).toMatchObject({
      kind: 'event',
      event: 'spawn',
      text: `${fixture('raw-reference.mjs')} --some-arg`,
    });
    expect(transcript.some((e) => e.kind === 'received' && e.message.result)).toBe(true);
    expect(report(readFileSync(join(out, 'report.json'), 'utf8')).ok).toBe(true);
    expect(code).toBe(0);
  });

  it('exits 2 on usage errors and when the plugin cannot be started', async () => {
    expect((await routerdPlugin('test')).code).toBe(2);
    expect((await routerdPlugin('test', fixture('reference.mjs'), '--format', 'xml')).code).toBe(2);
    const unknown = await routerdPlugin('test', fixture('reference.mjs'), '--only', 'no-such-check');
    expect(unknown.stderr).toMatch(/"no-such-check" names no check or group/);
    expect(unknown.code).toBe(2);
    const missing = await routerdPlugin('test', join(tmp, 'missing-plugin'));
    expect(report(missing.stdout).startError).toMatch(/does not exist/);
    expect(missing.code).toBe(2);
  });
});
