import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the README example runs and prints the observation and then the expiry', async () => {
  const example = fileURLToPath(new URL('../examples/watch-dnsmasq.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [example], { timeout: 15_000 });
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(
    /^routerd\.client\.ipv4\.observed 10\.88\.60\.9\/32 52:54:00:12:34:56 dhcp arp\.lan\.10-88-60-9\.\d+$/,
  );
  expect(lines[1]).toMatch(
    /^routerd\.client\.ipv4\.expired 10\.88\.60\.9\/32 .* arp\.lan\.10-88-60-9\.\d+\.expired$/,
  );
});
