// deploy/: the systemd unit keeps its hardening (and systemd itself accepts it), and the FreeBSD rc.d
// script parses and builds the daemon(8) command line an operator's rc.conf asks for.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_BIN, tempDir } from '@routerd/host/testing';
import { osDefaults } from '@routerd/host-wire/constants';
import { describe, expect, it } from 'vitest';
import { ROUTERCTL } from './support/federation.js';

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const UNIT = join(DEPLOY, 'systemd/routerd-eventd.service');
const RC = join(DEPLOY, 'freebsd/routerd_eventd');

/** section → key → values (a key may repeat); comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** Run the script against a stand-in rc.subr that prints what rc.subr would be asked to run. */
function rcRun(rcConf: string, action = 'start') {
  const dir = tempDir('routerd-rc-');
  const stub = join(dir, 'rc.subr');
  writeFileSync(
    stub,
    `load_rc_config() { . "${join(dir, 'rc.conf')}"; }
run_rc_command() {
  echo "action=$1"; echo "rcvar=$rcvar"; echo "command=$command"; echo "pidfile=$pidfile"
  echo "procname=$procname"; echo "extra=$extra_commands"; echo "reload=$reload_cmd"
  echo "args=$command_args"
}
`,
  );
  writeFileSync(join(dir, 'rc.conf'), rcConf);
  const script = join(dir, 'routerd_eventd');
  writeFileSync(script, readFileSync(RC, 'utf8').replace('. /etc/rc.subr', `. ${stub}`));
  const r = spawnSync('sh', [script, action], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('deploy/systemd/routerd-eventd.service', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const service = unit.get('Service')!;
  const value = (key: string) => service.get(key)?.at(-1);

  it('runs as the dedicated user, under the hardening the deploy guide promises', () => {
    expect({
      User: value('User'),
      Group: value('Group'),
      NoNewPrivileges: value('NoNewPrivileges'),
      ProtectSystem: value('ProtectSystem'),
      ReadWritePaths: value('ReadWritePaths'),
      ReadOnlyPaths: value('ReadOnlyPaths'),
      PrivateTmp: value('PrivateTmp'),
      ProtectHome: value('ProtectHome'),
      RestrictAddressFamilies: value('RestrictAddressFamilies'),
      CapabilityBoundingSet: value('CapabilityBoundingSet'),
      AmbientCapabilities: value('AmbientCapabilities'),
      SystemCallFilter: value('SystemCallFilter'),
      ExecReload: value('ExecReload'),
      Restart: value('Restart'),
    }).toEqual({
      User: 'routerd',
      Group: 'routerd',
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ReadWritePaths: '/var/lib/routerd',
      // The config and keys: the daemon reads them and never writes them ("-": absent is no error).
      ReadOnlyPaths: '-/etc/routerd',
      PrivateTmp: 'yes',
      ProtectHome: 'yes',
      // AF_NETLINK for the ARP observer's `ip monitor neigh`; nothing else beyond sockets and IP.
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      SystemCallFilter: '@system-service',
      ExecReload: '/bin/kill -HUP $MAINPID',
      Restart: 'on-failure',
    });
    // Node's JIT needs W+X pages, and the receiver needs the host's network.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(service.has('PrivateNetwork')).toBe(false);
  });

  it('the only writable path is the state directory the daemon is told to use', () => {
    expect(value('StateDirectory')).toBe('routerd');
    expect(value('StateDirectoryMode')).toBe('0700');
    expect(value('ExecStart')).toMatch(/ --state-dir \/var\/lib\/routerd /);
    expect(service.get('ReadWritePaths')).toEqual(['/var/lib/routerd']);
    // The config is validated before every start, with the same files.
    expect(value('ExecStartPre')).toMatch(/routerd-eventd check \$ROUTERD_OPTS$/);
    expect(value('ExecStart')).toMatch(/\$ROUTERD_OPTS$/);
  });

  it('systemd-analyze verify accepts it, with no warning (unknown or misspelt keys are warnings)', () => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      // Not every CI image has systemd; the key-by-key checks above still ran.
      console.warn('systemd-analyze not found: verify not run');
      return;
    }
    // verify insists the executables exist; the real ones are installed later, by the operator.
    const dir = tempDir('routerd-unit-');
    const copy = join(dir, 'routerd-eventd.service');
    writeFileSync(copy, readFileSync(UNIT, 'utf8').replaceAll('/usr/local/bin/routerd-eventd', '/bin/true'));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('deploy/freebsd/routerd_eventd', () => {
  it('is a valid sh script', () => {
    const r = spawnSync('sh', ['-n', RC], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('defaults: daemon(8) supervises routerd-eventd as routerd, restarting it; reload is SIGHUP', () => {
    const out = rcRun('');
    expect(out).toMatchObject({
      action: 'start',
      rcvar: 'routerd_eventd_enable',
      command: '/usr/sbin/daemon',
      pidfile: '/var/run/routerd_eventd.pid',
      procname: '/usr/sbin/daemon',
      extra: 'reload check',
      reload: 'routerd_eventd_reload',
    });
    expect(out.args!.replace(/\s+/g, ' ').trim()).toBe(
      '-f -H -r -R 2 -P /var/run/routerd_eventd.pid -p /var/run/routerd_eventd.child.pid -T routerd_eventd ' +
        '-u routerd -o /var/log/routerd/routerd-eventd.log /usr/local/bin/node --max-semi-space-size=4 ' +
        '/usr/local/bin/routerd-eventd --state-dir /var/db/routerd ' +
        '--log-level info --config /usr/local/etc/routerd/federation.yaml',
    );
    expect(readFileSync(RC, 'utf8')).toMatch(/kill -HUP "\$\(cat "\$\{child_pidfile\}"\)"/);
  });

  it('rc.conf sets the config files (several), the state directory and the user', () => {
    const out = rcRun(
      'routerd_eventd_config="/usr/local/etc/routerd/onprem.yaml /usr/local/etc/routerd/extra.yaml"\n' +
        'routerd_eventd_state_dir=/var/db/routerd-lab\nrouterd_eventd_user=_routerd\n' +
        'routerd_eventd_node_flags=""\n',
    );
    // Empty node flags: Node's own young generation (the least memory), no bound given.
    expect(out.args!.replace(/\s+/g, ' ')).toContain('/usr/local/bin/node /usr/local/bin/routerd-eventd ');
    expect(out.args).toContain('-u _routerd ');
    expect(out.args).toContain('--state-dir /var/db/routerd-lab ');
    expect(out.args!.trim()).toMatch(
      /--config \/usr\/local\/etc\/routerd\/onprem\.yaml --config \/usr\/local\/etc\/routerd\/extra\.yaml$/,
    );
  });
});

describe('the per-OS defaults (host-wire os-defaults.ts) are what the service files and routerctl use', () => {
  it('Linux: the systemd unit’s state directory, writable and read-only paths and config', () => {
    const linux = osDefaults('linux');
    const service = parseUnit(readFileSync(UNIT, 'utf8')).get('Service')!;
    expect(service.get('ExecStart')!.at(-1)).toContain(` --state-dir ${linux.stateDir} `);
    expect(service.get('ReadWritePaths')).toEqual([linux.stateDir]);
    expect(`/var/lib/${service.get('StateDirectory')!.at(-1)}`).toBe(linux.stateDir);
    expect(service.get('ReadOnlyPaths')).toEqual([`-${linux.configDir}`]);
    expect(service.get('Environment')!.find((e) => e.startsWith('ROUTERD_OPTS='))).toBe(
      `ROUTERD_OPTS="--config ${linux.configDir}/federation.yaml"`,
    );
    expect(linux.socketPath).toBe(`${linux.stateDir}/routerd.sock`);
  });

  it('both start node with the same flags (the young generation’s bound)', () => {
    const service = parseUnit(readFileSync(UNIT, 'utf8')).get('Service')!;
    const nodeOptions = service.get('Environment')!.find((e) => e.startsWith('NODE_OPTIONS='));
    expect(nodeOptions).toBe('NODE_OPTIONS=--max-semi-space-size=4');
    expect(rcRun('').args).toContain(` /usr/local/bin/node ${nodeOptions!.slice('NODE_OPTIONS='.length)} `);
  });

  it('FreeBSD: the rc.d script’s state directory and config', () => {
    const bsd = osDefaults('freebsd');
    expect(bsd).toEqual({
      configDir: '/usr/local/etc/routerd',
      stateDir: '/var/db/routerd',
      socketPath: '/var/db/routerd/routerd.sock',
    });
    const out = rcRun('');
    expect(out.args).toContain(`--state-dir ${bsd.stateDir} `);
    expect(out.args!.trim()).toMatch(new RegExp(`--config ${bsd.configDir}/federation\\.yaml$`));
  });

  it('routerctl and routerd-eventd default to this OS’s paths', () => {
    const here = osDefaults();
    const ctl = spawnSync(process.execPath, [ROUTERCTL, 'plugin', 'list'], {
      encoding: 'utf8',
      env: { ...process.env, ROUTERD_SOCKET: '' },
    });
    expect(ctl.status).toBe(1);
    expect(ctl.stderr).toContain(`cannot reach routerd-eventd at ${here.socketPath} (chosen by default)`);
    const help = spawnSync(process.execPath, [DAEMON_BIN, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain(`(default ${here.stateDir})`);
  });
});

describe('deploy/freebsd/newsyslog.conf.d/routerd.conf', () => {
  it('rotates the rc.d script’s log file and signals the daemon(8) supervisor, which reopens it (-H)', () => {
    const out = rcRun('');
    const entries = readFileSync(join(DEPLOY, 'freebsd/newsyslog.conf.d/routerd.conf'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.trim().split(/\s+/));
    expect(entries).toHaveLength(1);
    const [file, owner, , , , , flags, pidFile, signal] = entries[0]!;
    expect(out.args).toContain(`-o ${file} `);
    expect(out.args).toMatch(/^-f -H /);
    expect(owner).toBe('routerd:routerd');
    expect(flags).toContain('C'); // created again after rotation, with that owner
    // The supervisor's pid file (-P), not the child's: the child's SIGHUP reloads the config.
    expect(pidFile).toBe(out.pidfile);
    expect(signal).toBe('SIGHUP');
  });
});
