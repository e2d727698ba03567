import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/errors.js';
import { parseOptions } from '../src/options.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

const parse = (...argv: string[]) => parseOptions(argv, '/work');
const refusal = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('options', () => {
  it('defaults: the directory names the package, the proposer template with its capability, install', () => {
    vi.stubEnv('npm_config_user_agent', 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false');
    expect(parse('my-plugin')).toEqual({
      dir: '/work/my-plugin',
      shownDir: 'my-plugin',
      name: 'my-plugin',
      template: 'proposer',
      capabilities: ['propose.dynamicConfig'],
      install: true,
      packageManager: 'npm',
      routerdTarballs: undefined,
    });
  });

  it('takes the package manager that runs it from npm_config_user_agent, or --package-manager', () => {
    vi.stubEnv('npm_config_user_agent', 'pnpm/12.4.2 npm/? node/v20.20.2 linux x64');
    expect(parse('p')).toMatchObject({ packageManager: 'pnpm' });
    expect(parse('p', '--package-manager', 'npm')).toMatchObject({ packageManager: 'npm' });
    vi.stubEnv('npm_config_user_agent', '');
    expect(parse('p')).toMatchObject({ packageManager: 'npm' });
    expect(refusal('p', '--package-manager', 'yarn')).toBe('--package-manager yarn: choose npm or pnpm');
  });

  it('refuses an invalid package name and says what to pass instead', () => {
    expect(refusal('My Plugin')).toMatch(
      /^"My Plugin" \(the directory name\) is not a valid npm package name: .*capital letters.*\nPass --name my-plugin, or choose another directory name\.$/s,
    );
    expect(refusal('ok-dir', '--name', '.hidden')).toMatch(
      /^"\.hidden" is not a valid npm package name: .*period/,
    );
    expect(parse('x', '--name', '@acme/load-watch')).toMatchObject({
      name: '@acme/load-watch',
      dir: '/work/x',
    });
  });

  it('takes capabilities from the protocol, and the template needs its own', () => {
    expect(
      parse(
        'p',
        '--capabilities',
        'propose.dynamicConfig,propose.providerAction',
        '--capabilities',
        'propose.dynamicConfig',
      ),
    ).toMatchObject({ capabilities: ['propose.dynamicConfig', 'propose.providerAction'] });
    expect(parse('p', '--template', 'observer')).toMatchObject({ capabilities: ['observe.events'] });
    expect(refusal('p', '--capabilities', 'propose.dynamicConfig,propose.everything')).toMatch(
      /^--capabilities: propose\.everything is not a capability of plugin protocol v1 \(known: .*observe\.events/,
    );
    expect(refusal('p', '--capabilities', 'observe.events')).toBe(
      "--capabilities: the proposer template's handler needs propose.dynamicConfig: add it, or choose another --template (observer)",
    );
  });

  it('refuses an unknown template, option or a missing directory, with the usage', () => {
    expect(refusal('p', '--template', 'executor')).toBe(
      '--template executor is not a template: choose one of proposer, observer',
    );
    expect(refusal('p', '--colour')).toMatch(
      /Unknown option '--colour'.*\n\nUsage: npm create @routerd\/plugin@latest/s,
    );
    expect(refusal()).toMatch(
      /^say where to write the project: npm create @routerd\/plugin@latest my-plugin/,
    );
    expect(parse('-h')).toBe('help');
  });
});
