// The one install path: `pnpm release:tarball` makes the tarball (once for this file), deploy/install.sh
// installs it into a temporary DESTDIR, and the installed binaries run from there — `--help`, `check`,
// and the daemon itself on loopback with a temporary state directory, fed by the installed ARP observer
// plugin and read by the installed routerctl. Nothing here runs from the repository's own packages.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@routerd/host/testing';
import { osDefaults } from '@routerd/host-wire/constants';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arpObserverPlugin, freePort, keyFile, nodeConfig } from './support/federation.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The unpacked release: install.sh, RELEASE, lib/, deploy/, examples/. */
let release: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  const out = tempDir('routerd-release-');
  // --no-build: the test command builds every package before the tests run.
  const tarball = execFileSync(
    process.execPath,
    [join(REPO, 'scripts/release-tarball.mjs'), '--no-build', '--out', out],
    { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  ).trim();
  expect(tarball).toMatch(
    new RegExp(`/routerd-\\d+\\.\\d+\\.\\d+-${process.platform}-${process.arch}-node\\d+\\.tar\\.gz$`),
  );
  const unpacked = tempDir('routerd-unpacked-');
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
  const [top] = readdirSync(unpacked);
  release = join(unpacked, top!);
}, 180_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Run install.sh as an operator would, from the unpacked tarball, with these variables. */
function install(env: Record<string, string>, dir = release) {
  const r = spawnSync('sh', [join(dir, 'install.sh')], {
    cwd: '/',
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run an installed binary by its path, from /, so nothing resolves through the repository. */
function run(bin: string, ...args: string[]) {
  const r = spawnSync(bin, args, { cwd: '/', encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('release tarball + deploy/install.sh (Linux, systemd)', () => {
  let root: string;
  let installed: ReturnType<typeof install>;
  beforeAll(() => {
    root = tempDir('routerd-destdir-');
    installed = install({ DESTDIR: root });
  }, 60_000);

  it('installs the binaries, the plugins under libexec, the directories and the unit; says what DESTDIR skipped', () => {
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain("DESTDIR is set: not creating the user 'routerd' nor setting owners");
    expect(installed.stdout).toContain(
      'useradd --system --user-group --home-dir /var/lib/routerd --no-create-home --shell /usr/sbin/nologin routerd',
    );
    for (const bin of ['routerd-eventd', 'routerctl', 'routerd-plugin']) {
      const link = join(root, 'usr/local/bin', bin);
      // Relative links: the same tree works in DESTDIR and once copied to /.
      expect(readlinkSync(link)).toMatch(/^\.\.\/lib\/routerd\/current\//);
      expect(mode(realpathSync(link)) & 0o111).not.toBe(0);
    }
    for (const plugin of ['arp-observer', 'aws', 'azure', 'oci']) {
      const exe = join(root, 'usr/local/libexec/routerd/plugins', `routerd-plugin-${plugin}`);
      expect(existsSync(exe)).toBe(true);
      expect(mode(realpathSync(exe)) & 0o111).not.toBe(0);
    }
    const linux = osDefaults('linux');
    expect(mode(join(root, linux.configDir))).toBe(0o750);
    expect(mode(join(root, linux.configDir, 'keys'))).toBe(0o750);
    expect(mode(join(root, linux.stateDir))).toBe(0o700);
    const unit = readFileSync(join(root, 'etc/systemd/system/routerd-eventd.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/routerd-eventd --state-dir \/var\/lib\/routerd /m);
    // Nothing installed points back into the build machine.
    expect(execFileSync('find', [root, '-lname', '/*'], { encoding: 'utf8' })).toBe('');
    expect(lstatSync(join(root, 'usr/local/lib/routerd/current')).isSymbolicLink()).toBe(true);
  });

  it('the installed binaries run: --help (no colour into a pipe), check', () => {
    const bin = (name: string) => join(root, 'usr/local/bin', name);
    const daemonHelp = run(bin('routerd-eventd'), '--help');
    expect(daemonHelp.code).toBe(0);
    expect(daemonHelp.stdout).toMatch(/^usage:\n {2}routerd-eventd --config FILE/);
    for (const name of ['routerctl', 'routerd-plugin']) {
      const help = run(bin(name), '--help');
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toContain(`$ ${name} <command>`);
      expect(help.stdout).not.toContain('\x1b[');
    }
    const example = join(root, 'usr/local/share/routerd/examples/onprem.yaml');
    expect(existsSync(example)).toBe(true);
    const dir = tempDir('routerd-installed-check-');
    writeFileSync(
      join(dir, 'f.yaml'),
      'apiVersion: federation.routerd.net/v1alpha1\nkind: EventGroup\nmetadata: { name: lab }\nspec: { nodeName: onprem-1 }\n',
    );
    const check = run(bin('routerd-eventd'), 'check', '--config', join(dir, 'f.yaml'));
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^config OK: 1 EventGroup/);
  });

  it('the installed daemon runs on loopback; the installed observer plugin feeds it; the installed routerctl reads it', async () => {
    const dir = tempDir('routerd-installed-run-');
    const stateDir = join(dir, 'state');
    const leases = join(dir, 'dnsmasq.leases');
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(leases, `${expiry} 52:54:00:12:34:56 10.88.60.9 laptop *\n`);
    const observer = join(root, 'usr/local/libexec/routerd/plugins/routerd-plugin-arp-observer');
    const config = join(dir, 'onprem.yaml');
    const group = nodeConfig({ name: 'onprem-1', port: await freePort(), key: keyFile(dir), peers: [] });
    const plugin = arpObserverPlugin(observer, [
      'domains: [{ name: lan, cidrs: [10.88.60.0/24] }]',
      'ownerSide: onprem',
      'ttl: 30s',
      `sources: { neighbours: false, dnsmasq: ${leases} }`,
    ]);
    writeFileSync(config, `${group}---\n${plugin}`);
    const daemon = spawn(
      join(root, 'usr/local/bin/routerd-eventd'),
      ['--config', config, '--state-dir', stateDir],
      { cwd: '/', env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(daemon);
    let log = '';
    daemon.stderr!.setEncoding('utf8').on('data', (c: string) => {
      log += c;
    });
    const exited = new Promise<number | null>((r) => daemon.on('close', r));
    await expect.poll(() => log, { timeout: 30_000 }).toContain('"msg":"routerd-eventd ready"');

    const routerctl = (...args: string[]) =>
      run(join(root, 'usr/local/bin/routerctl'), '--state-dir', stateDir, ...args);
    await expect
      .poll(() => JSON.parse(routerctl('federation', 'event', 'list', '-o', 'json').stdout || '[]'), {
        timeout: 15_000,
      })
      .toEqual([
        expect.objectContaining({
          type: 'routerd.client.ipv4.observed',
          payload: expect.objectContaining({ address: '10.88.60.9/32' }),
        }),
      ]);
    const plugins = JSON.parse(routerctl('plugin', 'list', '-o', 'json').stdout) as { state: string }[];
    expect(plugins).toEqual([expect.objectContaining({ name: 'arp-observer', state: 'running' })]);

    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('PREFIX moves the binaries and the unit follows', () => {
    const other = tempDir('routerd-destdir-prefix-');
    const r = install({ DESTDIR: other, PREFIX: '/opt/routerd' });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(other, 'opt/routerd/bin/routerd-eventd'))).toBe(true);
    expect(existsSync(join(other, 'opt/routerd/libexec/routerd/plugins/routerd-plugin-aws'))).toBe(true);
    const unit = readFileSync(join(other, 'etc/systemd/system/routerd-eventd.service'), 'utf8');
    expect(unit).toMatch(/^ExecStartPre=\/opt\/routerd\/bin\/routerd-eventd check /m);
    expect(unit).toMatch(/^ExecStart=\/opt\/routerd\/bin\/routerd-eventd --state-dir /m);
    expect(unit).not.toContain('/usr/local/bin/routerd-eventd');
  });

  it('another version installs beside the first, `current` moves to it, and the first stays for a rollback', () => {
    const next = tempDir('routerd-next-');
    cpSync(release, next, { recursive: true, verbatimSymlinks: true });
    const releaseFile = join(next, 'RELEASE');
    writeFileSync(releaseFile, readFileSync(releaseFile, 'utf8').replace(/^version=.*$/m, 'version=99.0.0'));
    const r = install({ DESTDIR: root }, next);
    expect(r.code, r.stderr).toBe(0);
    const lib = join(root, 'usr/local/lib/routerd');
    const first = readFileSync(join(release, 'RELEASE'), 'utf8').match(/^version=(.*)$/m)![1]!;
    expect(readdirSync(lib).sort()).toEqual([first, '99.0.0', 'current'].sort());
    expect(readlinkSync(join(lib, 'current'))).toBe('99.0.0');
    expect(run(join(root, 'usr/local/bin/routerd-eventd'), '--help').code).toBe(0);
  });

  it('refuses a Node.js whose module ABI the native module was not built for, and installs nothing', () => {
    const wrong = tempDir('routerd-wrong-abi-');
    cpSync(release, wrong, { recursive: true, verbatimSymlinks: true });
    const releaseFile = join(wrong, 'RELEASE');
    writeFileSync(releaseFile, readFileSync(releaseFile, 'utf8').replace(/^node_abi=.*$/m, 'node_abi=1'));
    const target = tempDir('routerd-destdir-abi-');
    const r = install({ DESTDIR: target }, wrong);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^install\\.sh: this release was built for Node\\.js module ABI 1 \\(.+\\), but .+ is ${process.version} \\(ABI ${process.versions.modules}\\)`,
      ),
    );
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('deploy/install.sh staging a FreeBSD root', () => {
  it('puts the rc.d script, the newsyslog entry and the directories where FreeBSD expects them', () => {
    const root = tempDir('routerd-destdir-freebsd-');
    const r = install({ DESTDIR: root, ROUTERD_INSTALL_OS: 'FreeBSD' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "pw useradd routerd -d /var/db/routerd -s /usr/sbin/nologin -c 'routerd federation daemon'",
    );
    const bsd = osDefaults('freebsd');
    expect(mode(join(root, bsd.configDir))).toBe(0o750);
    expect(mode(join(root, bsd.stateDir))).toBe(0o700);
    expect(mode(join(root, 'var/log/routerd'))).toBe(0o750);
    const rc = readFileSync(join(root, 'usr/local/etc/rc.d/routerd_eventd'), 'utf8');
    expect(mode(join(root, 'usr/local/etc/rc.d/routerd_eventd'))).toBe(0o555);
    expect(rc).toContain(`: "\${routerd_eventd_bin:=/usr/local/bin/routerd-eventd}"`);
    expect(rc).toContain(
      `: "\${routerd_eventd_node:=${execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim()}}"`,
    );
    expect(rc).toContain(`: "\${routerd_eventd_state_dir:=${bsd.stateDir}}"`);
    expect(rc).toContain(`: "\${routerd_eventd_config:=${bsd.configDir}/federation.yaml}"`);
    expect(readFileSync(join(root, 'usr/local/etc/newsyslog.conf.d/routerd.conf'), 'utf8')).toMatch(
      /^\/var\/log\/routerd\/routerd-eventd\.log\s/m,
    );
    expect(existsSync(join(root, 'etc/systemd'))).toBe(false);
  });
});
