// The fake az's $FAKE_CLI_STATE: a cloud that changes when a create, a delete or a forwarding update takes
// effect, a throttle that is spent once per count, and a state file it cannot read refused with the field
// named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const AZ = fileURLToPath(new URL('fake-cli/az', import.meta.url));
const NIC = ['--resource-group', 'rg-edge', '--nic-name', 'router-nic'];
const LIST = [
  'network',
  'nic',
  'ip-config',
  'list',
  ...NIC,
  '--query',
  '[].privateIPAddress',
  '--output',
  'tsv',
];
let dir: string;
const state = () => join(dir, 'cloud.json');
const az = (...args: string[]) =>
  spawnSync(AZ, args, { encoding: 'utf8', env: { PATH: process.env.PATH, FAKE_CLI_STATE: state() } });
const saved = () =>
  JSON.parse(readFileSync(state(), 'utf8')) as { scenario: string; throttle?: number; forwarding?: boolean };
/** The NIC's IP forwarding as `true` or `false` in either key spelling (the plugin's check reads it so). */
const SHOW_FORWARDING = [
  'network',
  'nic',
  'show',
  '--resource-group',
  'rg-edge',
  '--name',
  'router-nic',
  '--query',
  'enableIPForwarding || enableIpForwarding || `false`',
  '--output',
  'tsv',
];
const setForwarding = (on: boolean) =>
  az(
    'network',
    'nic',
    'update',
    '--resource-group',
    'rg-edge',
    '--name',
    'router-nic',
    '--ip-forwarding',
    `${on}`,
  );

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fake-az-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('fake az with FAKE_CLI_STATE', () => {
  it('ip-config create makes the address on-self, delete makes it absent; list answers from the file', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent' }));
    expect(az(...LIST).stdout).toBe('10.88.60.4\n');
    const create = az(
      'network',
      'nic',
      'ip-config',
      'create',
      ...NIC,
      '--name',
      'routerd-10-88-60-9',
      '--private-ip-address',
      '10.88.60.9',
    );
    expect(create.status).toBe(0);
    expect(saved().scenario).toBe('on-self');
    expect(az(...LIST).stdout).toBe('10.88.60.4\n10.88.60.9\n');
    expect(az('network', 'nic', 'ip-config', 'delete', ...NIC, '--name', 'routerd-10-88-60-9').status).toBe(
      0,
    );
    expect(saved().scenario).toBe('absent');
  });

  it('keeps the @2.45 key spelling across a change, and a refused create changes nothing', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent@2.45' }));
    az(
      'network',
      'nic',
      'ip-config',
      'create',
      ...NIC,
      '--name',
      'routerd-10-88-60-9',
      '--private-ip-address',
      '10.88.60.9',
    );
    expect(saved().scenario).toBe('on-self@2.45');
    writeFileSync(state(), JSON.stringify({ scenario: 'held-elsewhere' }));
    const r = az(
      'network',
      'nic',
      'ip-config',
      'create',
      ...NIC,
      '--name',
      'routerd-10-88-60-9',
      '--private-ip-address',
      '10.88.60.9',
    );
    expect([r.status, /PrivateIPAddressIsAllocated/.test(r.stderr)]).toEqual([1, true]);
    expect(saved().scenario).toBe('held-elsewhere');
  });

  it('throttle answers RetryableErrorDueToAnotherOperation once per count, then the scenario', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent', throttle: 1 }));
    const first = az(...LIST);
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/^ERROR: \(RetryableErrorDueToAnotherOperation\) /);
    expect(saved()).toEqual({ scenario: 'absent', throttle: 0 });
    expect(az(...LIST).stdout).toBe('10.88.60.4\n');
  });

  it.each(['absent', 'absent@2.45'])(
    'nic update --ip-forwarding sets forwarding, which nic show prints (%s)',
    (scenario) => {
      writeFileSync(state(), JSON.stringify({ scenario, forwarding: false }));
      expect(az(...SHOW_FORWARDING).stdout).toBe('false\n');
      const update = setForwarding(true);
      expect(update.status).toBe(0);
      expect(JSON.parse(update.stdout)).toMatchObject({ name: 'router-nic' });
      expect(saved()).toEqual({ scenario, forwarding: true });
      expect(az(...SHOW_FORWARDING).stdout).toBe('true\n');
      expect(setForwarding(false).status).toBe(0);
      expect(saved()).toEqual({ scenario, forwarding: false });
      expect(az(...SHOW_FORWARDING).stdout).toBe('false\n');
    },
  );

  it('forwarding is on when the state file does not say, as without a file', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent' }));
    expect(az(...SHOW_FORWARDING).stdout).toBe('true\n');
  });

  it.each([
    ['{"scenario": 3}', 'scenario must be a string'],
    ['{"scenario": "absent", "forwarding": "yes"}', 'forwarding must be true or false'],
    ['{"scenario": "absent", "throttle": -1}', 'throttle must be a whole number >= 0'],
    ['[]', 'scenario must be a string'],
    ['not json', 'is not valid JSON'],
  ])('refuses the state file %s naming what is wrong', (text, problem) => {
    writeFileSync(state(), text);
    const r = az(...LIST);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`fake az: FAKE_CLI_STATE ${state()}: `);
    expect(r.stderr).toContain(problem);
  });
});
