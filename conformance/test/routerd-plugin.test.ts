// The built bin of this package, `routerd-plugin` (dist/routerd-plugin.js, what `npx routerd-plugin`
// runs), against the suite's own fixtures: exit codes, the JSON report (checked against its published
// schema), TAP 14 and JUnit XML, output as checks finish, the interpreter form, the rule a failure quotes,
// and help text without colour codes in a pipe.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type } from 'arktype';
import { describe, expect, it } from 'vitest';
import { Report } from '../src/report.js';
import { fixture, PYTHON_EXAMPLE } from './self-test.js';

const BIN = fileURLToPath(new URL('../dist/routerd-plugin.js', import.meta.url));
const GATED = fileURLToPath(new URL('./fixtures/gated-run.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'routerd-plugin-test-'));
const ESC = '\x1b[';

function routerdPlugin(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return routerdPluginIn(undefined, ...args);
}

function routerdPluginIn(
  cwd: string | undefined,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // stdout is a pipe, not a terminal: the default format is JSON.
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
    // initialize-fast (a SHOULD: under a second) measures the machine's load as much as the plugin.
    expect(r.checks.filter((c) => c.status !== 'pass' && c.id !== 'lifecycle.initialize-fast')).toEqual([]);
    expect(r.plugin.declaredCapabilities).toContain('propose.providerAction');
    expect(code).toBe(0);
  });

  it('exits 1 for a broken plugin, naming the failed check in TAP 14 (its plan last: points come as checks finish)', async () => {
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
    const plan = /^1\.\.(\d+)$/.exec(lines.at(-1)!);
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

describe('routerd-plugin test prints results as they happen', () => {
  for (const [format, pointFor, summary] of [
    ['tap', (id: string) => new RegExp(`^ok \\d+ - ${id.replaceAll('.', '\\.')}$`, 'm'), /^1\.\.\d+$/m],
    ['pretty', (id: string) => new RegExp(`^ {2}✓ ${id.replaceAll('.', '\\.')} `, 'm'), /^(PASS|FAIL) /m],
  ] as const) {
    it(`${format}: a check's line comes while another check is still waiting, the summary last`, async () => {
      // transport.large-message sends plugin/run, which the gated plugin answers only once the gate file
      // exists; lifecycle.ping needs no run. So the ping line must arrive before the gate opens.
      const gate = join(tmp, `gate-${format}`);
      const child = spawn(
        process.execPath,
        [
          BIN,
          'test',
          GATED,
          '--only',
          'lifecycle.ping,transport.large-message',
          '--request-timeout',
          '30000',
          '--format',
          format,
          '--',
          gate,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      const pingLine = new Promise<'line'>((resolve) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          if (pointFor('lifecycle.ping').test(stdout)) resolve('line');
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(await Promise.race([pingLine, exited.then(() => 'exited')])).toBe('line');
      // Seen before the gate opened: the other check had not finished, and there was no summary yet.
      expect(stdout).not.toMatch(/transport\.large-message/);
      expect(stdout).not.toMatch(summary);
      writeFileSync(gate, '');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(pointFor('transport.large-message'));
      const lines = stdout.trim().split('\n');
      expect(lines.at(-1)).toMatch(summary);
    }, 90_000);
  }

  it('-o json is still one document, printed at the end', async () => {
    const { code, stdout } = await routerdPlugin(
      'test',
      fixture('raw-reference.mjs'),
      '--only',
      'lifecycle.ping',
      '-o',
      'json',
    );
    expect(report(stdout).checks.map((c) => c.id)).toEqual(['lifecycle.ping']);
    expect(code).toBe(0);
  });
});

describe('routerd-plugin test [--] COMMAND [ARGS…]', () => {
  const exampleDir = dirname(PYTHON_EXAMPLE);

  it('runs a script through its interpreter, found on PATH, with the script relative to the current directory', async () => {
    for (const args of [
      ['python3', '--', 'plugin.py'],
      ['python3', 'plugin.py'],
      ['--', 'python3', 'plugin.py'],
    ]) {
      const { code, stdout, stderr } = await routerdPluginIn(
        exampleDir,
        'test',
        '--only',
        'lifecycle.ping',
        '-o',
        'json',
        ...args,
      );
      expect(stderr, args.join(' ')).toBe('');
      const r = report(stdout);
      expect(r.plugin.executable).toMatch(/\/python3$/);
      expect(r.plugin.args).toEqual(['plugin.py']);
      expect(r.plugin.name).toBe('no-sdk-python');
      expect(code).toBe(0);
    }
  });

  it('says how to fix a script that is not executable: a #! line and chmod +x, or its interpreter', async () => {
    const script = join(tmp, 'plugin.py');
    copyFileSync(PYTHON_EXAMPLE, script);
    chmodSync(script, 0o644);
    const withShebang = await routerdPluginIn(tmp, 'test', 'plugin.py', '--only', 'lifecycle.ping');
    expect(withShebang.stderr).toContain(`${script} is not executable: chmod +x plugin.py`);
    expect(withShebang.code).toBe(2);
    writeFileSync(script, readFileSync(PYTHON_EXAMPLE, 'utf8').replace(/^#!.*\n/, ''));
    const bare = await routerdPluginIn(tmp, 'test', './plugin.py', '--only', 'lifecycle.ping');
    expect(bare.stderr).toContain(
      `${script} is not executable: give it a first line naming its interpreter (#!/usr/bin/env python3) and chmod +x ./plugin.py, or name the interpreter before it: routerd-plugin test python3 ./plugin.py`,
    );
    expect(bare.code).toBe(2);
  });

  it('names a bare word that is neither a file here nor a command on PATH', async () => {
    const r = await routerdPluginIn(tmp, 'test', 'no-such-interpreter', '--', 'plugin.py');
    expect(r.stderr).toContain(`no-such-interpreter is neither a file in ${tmp} nor a command on PATH`);
    expect(r.code).toBe(2);
  });
});

describe('routerd-plugin test quotes the rule the plugin broke', () => {
  it('declaring execute.providerAction: the plugin-side R-C1, not the host-side R-L5', async () => {
    const { stdout } = await routerdPlugin(
      'test',
      fixture('declares-ungranted.mjs'),
      '--only',
      'lifecycle.declared-within-granted',
      '-o',
      'pretty',
    );
    expect(stdout).toContain(
      'R-C1 (MUST): It MUST NOT declare `execute.providerAction`, which v1 reserves for a later executor protocol.',
    );
    expect(stdout).not.toContain('R-L5');
  });

  it('a golden vector answered with a result that does not validate: R-W1, not R-W3', async () => {
    const { stdout } = await routerdPlugin(
      'test',
      fixture('invalid-result.mjs'),
      '--only',
      'capabilities.propose.dynamicConfig.golden-vectors',
      '-o',
      'pretty',
    );
    expect(stdout).toContain(
      'R-W1 (MUST): The plugin MUST answer `plugin/run` with a `PluginResult` that validates against `plugin-result.schema.json`, or with a JSON-RPC error.',
    );
    expect(stdout).not.toMatch(/R-W3|Domain problems/);
  });
});

describe('routerd-plugin --help', () => {
  /** A person's shell: a colour terminal, none of the variables that switch colour off or on (Node reads CI=true as "no colours"). */
  const PERSON = { TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined };
  /** Run on a real pseudo-terminal (util-linux script(1)), as a person at a shell would. */
  const onTerminal = (env: NodeJS.ProcessEnv = {}) =>
    spawnSync('script', ['-qec', `${process.execPath} ${BIN} --help`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, ...PERSON, ...env },
    }).stdout;

  it('writes no escape codes into a pipe, even with FORCE_COLOR, nor with NO_COLOR on a terminal', () => {
    for (const args of [['--help'], ['test', '--help']]) {
      const piped = spawnSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...PERSON, FORCE_COLOR: '3' },
      });
      expect(piped.status).toBe(0);
      expect(piped.stdout).toContain('routerd-plugin ');
      expect(piped.stdout).not.toContain(ESC);
    }
    // The premise: on a terminal it does colour, so the pipe's plain text is a decision, not an accident.
    expect(onTerminal()).toContain(ESC);
    expect(onTerminal({ NO_COLOR: '1' })).not.toContain(ESC);
  });
});
