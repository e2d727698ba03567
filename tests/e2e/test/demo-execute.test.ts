// `pnpm demo --execute` as a user runs it: the real AWS CLI v2 (/usr/bin/aws) against the local EC2
// endpoint captures the client's address, and the capture-ready signal arrives on-prem. Then it must have
// cleaned up: no state directory, no network namespace, no EC2 endpoint still listening.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../../scripts/demo.mjs', import.meta.url));

/** Whether something still accepts connections on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
      .on('connect', () => {
        s.destroy();
        resolve(true);
      })
      .on('error', () => resolve(false));
  });

describe('pnpm demo --execute', () => {
  it('assigns the address with the real aws CLI, shows before/after, the journal and the signal on-prem; leaves nothing', async () => {
    const r = spawnSync(process.execPath, [DEMO, '--execute'], { encoding: 'utf8', timeout: 150_000 });
    expect(r.status, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const out = r.stdout;
    const order = [
      / {2}eni-0de0123456789abcd before: 10\.88\.60\.4\n/,
      /client 10\.88\.60\.9 appears/,
      /delivered arp\.lan\.10-88-60-9\.\d+ to cloud/,
      /execution \S+ \(assign-secondary-ip\): running step 1/,
      /execution \S+ \(assign-secondary-ip\): succeeded/,
      /on-prem capture-ready: routerd\.provider\.action\.succeeded from cloud — 10\.88\.60\.9\/32 is now held by eni-0de0123456789abcd/,
      / {2}eni-0de0123456789abcd after: {2}10\.88\.60\.4, 10\.88\.60\.9\n/,
      /The journal of \S+ \(succeeded, approved by ActionPolicy\/aws rules\[0\]\):/,
      /check-assigned +#1 exit 0 .*\$ \/usr\/bin\/aws ec2 describe-network-interfaces --network-interface-ids eni-0de0123456789abcd .*--endpoint-url http:\/\/127\.0\.0\.1:\d+/,
      /assign +#1 exit 0 +succeeded .*\$ \/usr\/bin\/aws ec2 assign-private-ip-addresses --network-interface-id eni-0de0123456789abcd .*--private-ip-addresses 10\.88\.60\.9 /,
      /verify:check-assigned +#1 exit 0 +already-done/,
      /the EC2 endpoint saw 1 AssignPrivateIpAddresses/,
      /\(ensure-forwarding-enabled, medium risk\) waits for a person: routerctl action approve /,
    ];
    let at = 0;
    for (const re of order) {
      const m = re.exec(out.slice(at));
      expect(m, `${re} after position ${at}:\n${out}`).not.toBeNull();
      at += m!.index + m![0].length;
    }
    // The fake profile's secret key never reaches the output.
    expect(out).not.toMatch(/wJalrXUtnFEMI/);
    // Nothing left: the state directory, the namespaces (as root), the EC2 endpoint, the daemons' ports.
    const state = /state\s+(\/\S+)/.exec(out)?.[1];
    expect(state && existsSync(state)).toBe(false);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(/rdemo-/);
    const ports = [...out.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(3);
    for (const port of new Set(ports)) expect(await listening(port), `port ${port}`).toBe(false);
  }, 160_000);

  it('without the AWS CLI it says how to install it and exits non-zero', () => {
    const r = spawnSync(process.execPath, [DEMO, '--execute'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ROUTERD_DEMO_AWS_CLI: '/nonexistent/bin/aws' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/nonexistent\/bin\/aws is missing/);
    expect(r.stderr).toMatch(/apt-get install awscli/);
    expect(r.stdout).toBe('');
  });
});
