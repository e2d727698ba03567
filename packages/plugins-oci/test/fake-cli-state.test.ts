// The fake oci's $FAKE_CLI_STATE: a cloud that changes when a create, a delete or a VNIC's
// skip-source-dest-check update takes effect, a throttle that is spent once per count, and a state file it
// cannot read refused with the field named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const OCI = fileURLToPath(new URL('fake-cli/oci', import.meta.url));
const OURS = 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrrouter';
const AUTH = ['--auth', 'instance_principal'];
const HOLDER = [
  'network',
  'private-ip',
  'list',
  '--subnet-id',
  'ocid1.subnet.oc1.ap-tokyo-1.aaaaaaaaedge',
  '--ip-address',
  '10.88.60.9',
  ...AUTH,
  '--query',
  'data[0]."vnic-id"',
  '--raw-output',
];
const CREATE = ['network', 'private-ip', 'create', '--vnic-id', OURS, '--ip-address', '10.88.60.9', ...AUTH];
let dir: string;
const state = () => join(dir, 'cloud.json');
const oci = (...args: string[]) =>
  spawnSync(OCI, args, { encoding: 'utf8', env: { PATH: process.env.PATH, FAKE_CLI_STATE: state() } });
const saved = () =>
  JSON.parse(readFileSync(state(), 'utf8')) as { scenario: string; throttle?: number; forwarding?: boolean };
const VNIC = ['--vnic-id', OURS, ...AUTH];
const GET_SKIP = [
  'network',
  'vnic',
  'get',
  ...VNIC,
  '--query',
  'data."skip-source-dest-check"',
  '--raw-output',
];
const setSkip = (skip: boolean) =>
  oci('network', 'vnic', 'update', ...VNIC, '--skip-source-dest-check', `${skip}`);
/** What the CLI's render() says when the query selects a falsy value (false included). */
const EMPTY = 'Query returned empty result, no output to show.\n';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fake-oci-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('fake oci with FAKE_CLI_STATE', () => {
  it('private-ip create makes the address on-self, a delete of its OCID absent; list answers from the file', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent' }));
    expect([oci(...HOLDER).stdout, oci(...HOLDER).stderr]).toEqual(['', '']);
    expect(oci(...CREATE).status).toBe(0);
    expect(saved().scenario).toBe('on-self');
    expect(oci(...HOLDER).stdout).toBe(`${OURS}\n`);
    const del = [
      'network',
      'private-ip',
      'delete',
      '--private-ip-id',
      'ocid1.privateip.oc1.ap-tokyo-1.abxhiljr109',
      '--force',
    ];
    expect(oci(...del, ...AUTH).status).toBe(0);
    expect(saved().scenario).toBe('absent');
  });

  it('a refused create (409 Conflict, held elsewhere) changes nothing', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'held-elsewhere' }));
    const r = oci(...CREATE);
    expect([r.status, /"code": "Conflict"/.test(r.stderr)]).toEqual([1, true]);
    expect(saved().scenario).toBe('held-elsewhere');
  });

  it('throttle answers 429 TooManyRequests once per count, then the scenario', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'on-self', throttle: 1 }));
    const first = oci(...HOLDER);
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/"code": "TooManyRequests"/);
    expect(saved()).toEqual({ scenario: 'on-self', throttle: 0 });
    expect(oci(...HOLDER).stdout).toBe(`${OURS}\n`);
  });

  it('vnic update --skip-source-dest-check sets forwarding, which vnic get prints (false: the empty-query notice)', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent', forwarding: false }));
    const off = oci(...GET_SKIP);
    expect([off.status, off.stdout, off.stderr]).toEqual([0, '', EMPTY]);
    const update = setSkip(true);
    expect(update.status).toBe(0);
    expect(JSON.parse(update.stdout)).toEqual({ data: { id: OURS, 'skip-source-dest-check': true } });
    expect(saved()).toEqual({ scenario: 'absent', forwarding: true });
    expect(oci(...GET_SKIP).stdout).toBe('true\n');
    expect(setSkip(false).status).toBe(0);
    expect(saved()).toEqual({ scenario: 'absent', forwarding: false });
    expect(oci(...GET_SKIP).stderr).toBe(EMPTY);
  });

  it('skip-source-dest-check is true when the state file does not say, as without a file', () => {
    writeFileSync(state(), JSON.stringify({ scenario: 'absent' }));
    expect(oci(...GET_SKIP).stdout).toBe('true\n');
  });

  it.each([
    ['{"scenario": 3}', 'scenario must be a string'],
    ['{"scenario": "absent", "forwarding": 1}', 'forwarding must be true or false'],
    ['{"scenario": "absent", "throttle": 1.5}', 'throttle must be a whole number >= 0'],
    ['not json', 'is not valid JSON'],
  ])('refuses the state file %s naming what is wrong', (text, problem) => {
    writeFileSync(state(), text);
    const r = oci(...HOLDER);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`fake oci: FAKE_CLI_STATE ${state()}: `);
    expect(r.stderr).toContain(problem);
  });
});
