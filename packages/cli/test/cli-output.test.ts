// What the binaries print for a person or a pipe: colour only on a terminal (and never with NO_COLOR),
// shell completion that knows every command, and routerd-eventd's human-readable log format.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DAEMON_BIN, groupConfig, tempDir, writeFile } from '@routerd/host/testing';
import { describe, expect, it } from 'vitest';

const ROUTERCTL = fileURLToPath(new URL('../dist/routerctl.js', import.meta.url));
const ROUTERD_PLUGIN = fileURLToPath(new URL('../dist/routerd-plugin.js', import.meta.url));
const ESC = '\x1b[';

/**
 * A person's shell: a colour terminal, and none of the variables that switch colour off or on. `CI` among
 * them — Node reads CI=true (set by the CI that runs this suite) as "a CI log, no colours".
 */
const PERSON = { TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined };

/** Run a command on a real pseudo-terminal (util-linux script(1)), as a person at a shell would. */
function onTerminal(command: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, ...PERSON, ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('colour', () => {
  for (const [name, bin] of [
    ['routerctl', ROUTERCTL],
    ['routerd-plugin', ROUTERD_PLUGIN],
  ] as const) {
    it(`${name} --help: no escape codes into a pipe or with NO_COLOR; colours on a terminal`, () => {
      const piped = spawnSync(process.execPath, [bin, '--help'], {
        encoding: 'utf8',
        env: { ...process.env, ...PERSON },
      });
      expect(piped.status).toBe(0);
      expect(piped.stdout).toContain(`${name} `);
      expect(piped.stdout).not.toContain(ESC);
      // The premise: on a terminal it does colour, so the pipe's plain text is a decision, not an accident.
      expect(onTerminal(`${process.execPath} ${bin} --help`)).toContain(ESC);
      expect(onTerminal(`${process.execPath} ${bin} --help`, { NO_COLOR: '1' })).not.toContain(ESC);
    });
  }
});

describe('routerctl completion', () => {
  const script = spawnSync(process.execPath, [ROUTERCTL, 'completion', 'bash'], { encoding: 'utf8' });

  /** What bash offers after `words` (the last one is the word being completed), with the real script loaded. */
  function complete(...words: string[]): string[] {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `eval "$(cat)"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _routerctl_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        'routerctl',
        ...words,
      ],
      { input: script.stdout, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('prints a bash script that completes commands, sub-commands and options', () => {
    expect(script.status).toBe(0);
    expect(script.stdout).toMatch(/^# routerctl bash completion/);
    expect(complete('fed')).toEqual(['federation']);
    expect(complete('federation', 'event', '')).toEqual(['emit', 'get', 'list', 'prune']);
    expect(complete('federation', 'event', 'emit', '--ty')).toEqual(['--type']);
    // An option's value is not a command word: --type's value is skipped, and the options go on.
    expect(complete('federation', 'event', 'emit', '--type', 'x', '--sub')).toEqual(['--subject']);
    expect(complete('backup', '--')).toEqual(['--force', '--out', '--socket', '--state-dir']);
  });

  it('every command that --help lists completes, word by word', () => {
    const help = spawnSync(process.execPath, [ROUTERCTL, '--help'], { encoding: 'utf8' }).stdout;
    const commands = help
      .split('\n')
      .filter((l) => l.startsWith('  routerctl '))
      .map((l) => {
        const tokens = l.trim().split(/\s+/).slice(1);
        const end = tokens.findIndex((t) => /^[[<-]/.test(t));
        return end < 0 ? tokens : tokens.slice(0, end);
      });
    expect(commands.length).toBeGreaterThan(20);
    for (const words of commands) {
      words.forEach((word, i) => {
        expect(complete(...words.slice(0, i), word.slice(0, 2)), words.join(' ')).toContain(word);
      });
    }
  });

  it('prints a zsh script that runs the same completion through bashcompinit', () => {
    const zsh = spawnSync(process.execPath, [ROUTERCTL, 'completion', 'zsh'], { encoding: 'utf8' });
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef routerctl\n/);
    expect(zsh.stdout).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh.stdout).toContain('complete -F _routerctl_complete routerctl');
    expect(spawnSync('bash', ['-n'], { input: zsh.stdout }).status).toBe(0);
  });

  it('refuses a shell it does not know, with the ones it does', () => {
    const r = spawnSync(process.execPath, [ROUTERCTL, 'completion', 'fish'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected one of "bash" or "zsh"/);
  });
});

describe('routerd-eventd --log-format', () => {
  it('pretty: one readable line per event, no JSON, no colour into a pipe', async () => {
    const dir = tempDir('routerd-logfmt-');
    const config = writeFile(dir, 'f.yaml', groupConfig());
    const child = spawn(
      process.execPath,
      [DAEMON_BIN, '--config', config, '--state-dir', `${dir}/state`, '--log-format', 'pretty'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await expect.poll(() => stderr, { timeout: 15_000 }).toContain('routerd-eventd ready');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const ready = stderr.split('\n').find((l) => l.includes('routerd-eventd ready'))!;
    expect(ready).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO: routerd-eventd ready \{/,
    );
    expect(ready).toContain(`"socket":"${dir}/state/routerd.sock"`);
    expect(stderr).not.toContain(ESC);
    expect(stderr).toMatch(/INFO: stopped/);
  });

  it('refuses a format it does not know, naming the ones it does', () => {
    const r = spawnSync(process.execPath, [DAEMON_BIN, '--config', 'x.yaml', '--log-format', 'xml'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^routerd-eventd: --log-format must be one of json, pretty\n/);
  });
});
