/**
 * A cgroup v2 of its own for each plugin process, so that everything the plugin starts — even a
 * grandchild that called setsid() to leave the process group — is listed and killed when the plugin
 * ends. It needs the host's own cgroup to be writable (root, or systemd `Delegate=yes`); where it is
 * not, PluginProcess falls back to the process group and an environment marker (see survivors.ts).
 * Nothing here ever fails a plugin start: every error means "no cgroup".
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeProcess, type LeftBehind, pidAlive } from './survivors.js';

const PREFIX = 'routerd-plugin-';
/** `routerd-plugin-<name>-<host pid>-<n>`: the host pid tells a crashed host's leftovers from a live one's. */
const NAME = /^routerd-plugin-.*-(\d+)-\d+$/;

export type CgroupHome = { dir: string } | { reason: string };

let home: CgroupHome | undefined;
let created = 0;

/** The directory of this process's own cgroup v2, or why there is none. Looked up once. */
export function cgroupHome(): CgroupHome {
  home ??= locateHome();
  return home;
}

function locateHome(): CgroupHome {
  let path: string | undefined;
  let mounts: string;
  try {
    path = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'))
      ?.slice(3);
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch (err) {
    return { reason: `cannot read /proc: ${(err as Error).message}` };
  }
  if (path === undefined) return { reason: 'this system has no cgroup v2 hierarchy (cgroup v1 only)' };
  for (const line of mounts.split('\n')) {
    const [before, after] = line.split(' - ');
    if (after?.split(' ')[0] !== 'cgroup2') continue;
    // Fields: id parent major:minor root mountpoint …; the mount shows `root` of the hierarchy.
    const [, , , root, mountPoint] = (before ?? '').split(' ').map(unescapeMount);
    if (root === undefined || mountPoint === undefined) continue;
    if (root === '/' || path === root || path.startsWith(`${root}/`))
      return { dir: join(mountPoint, root === '/' ? path : path.slice(root.length)) };
  }
  return { reason: 'no cgroup v2 file system is mounted where this process can see its own cgroup' };
}

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Whether plugin cgroups can be made here: creates and removes one. For a host's start-up log line. */
export function probeCgroups(): CgroupHome {
  const made = PluginCgroup.create('probe');
  if (!(made instanceof PluginCgroup)) return made;
  made.remove();
  return { dir: (cgroupHome() as { dir: string }).dir };
}

export class PluginCgroup {
  /** False once the host could not step back out of this cgroup: it must then never be killed whole. */
  private killable = true;

  private constructor(
    readonly dir: string,
    private readonly homeDir: string,
  ) {}

  /** A new, empty cgroup under the host's own, or the reason there cannot be one. */
  static create(label: string): PluginCgroup | { reason: string } {
    const h = cgroupHome();
    if ('reason' in h) return h;
    const safe = label.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
    const dir = join(h.dir, `${PREFIX}${safe}-${process.pid}-${++created}`);
    try {
      mkdirSync(dir);
    } catch (err) {
      return { reason: `cannot create a cgroup under ${h.dir} (${(err as NodeJS.ErrnoException).code})` };
    }
    return new PluginCgroup(dir, h.dir);
  }

  /**
   * Runs a synchronous spawn with the host itself inside this cgroup, so the child is born in it: a
   * child moved in after spawn() could fork before the move and leave its own children outside. The
   * host steps straight back out. Returns undefined (and spawns nothing) if the host cannot step in.
   */
  spawnInside<T>(spawn: () => T): T | undefined {
    try {
      writeFileSync(join(this.dir, 'cgroup.procs'), String(process.pid));
    } catch {
      return undefined;
    }
    try {
      return spawn();
    } finally {
      try {
        writeFileSync(join(this.homeDir, 'cgroup.procs'), String(process.pid));
      } catch {
        // Stuck inside: the cgroup holds the host too, so it is only ever emptied pid by pid.
        this.killable = false;
      }
    }
  }

  pids(): number[] {
    try {
      return readFileSync(join(this.dir, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(Number)
        .filter((pid) => pid !== process.pid);
    } catch {
      return [];
    }
  }

  /**
   * Kills every process in the cgroup and waits (up to `timeoutMs`) until it is empty. Returns what
   * was there, as found before the kill.
   */
  async killAll(timeoutMs = 1000): Promise<LeftBehind[]> {
    const found = this.pids().map(describeProcess);
    if (found.length === 0) return [];
    const until = Date.now() + timeoutMs;
    const useKillFile = this.killable && existsSync(join(this.dir, 'cgroup.kill'));
    for (;;) {
      if (useKillFile) writeQuietly(join(this.dir, 'cgroup.kill'), '1');
      // Without cgroup.kill (Linux < 5.14) a process may fork between read and kill: go round again.
      else for (const pid of this.pids()) signalQuietly(pid);
      if (await this.emptyWithin(Math.min(100, until - Date.now()))) break;
      if (Date.now() >= until) break;
    }
    return found;
  }

  private async emptyWithin(ms: number): Promise<boolean> {
    const until = Date.now() + Math.max(0, ms);
    for (;;) {
      // `populated 0`: no live process (zombies waiting for their parent to reap them do not count).
      if (!this.populated()) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private populated(): boolean {
    try {
      return /^populated 1$/m.test(readFileSync(join(this.dir, 'cgroup.events'), 'utf8'));
    } catch {
      return this.pids().length > 0;
    }
  }

  /**
   * Kills and removes the plugin cgroups a crashed host left behind (their host pid is gone), next to
   * this host's own. Returns what was killed. Cgroups of live hosts, this one included, are left alone.
   */
  static async sweepStale(): Promise<{ removed: string[]; killed: LeftBehind[] }> {
    const h = cgroupHome();
    const swept = { removed: [] as string[], killed: [] as LeftBehind[] };
    if ('reason' in h) return swept;
    let names: string[];
    try {
      names = readdirSync(h.dir).filter((n) => n.startsWith(PREFIX));
    } catch {
      return swept;
    }
    for (const name of names) {
      const hostPid = Number(NAME.exec(name)?.[1]);
      if (!hostPid || hostPid === process.pid || pidAlive(hostPid)) continue;
      const stale = new PluginCgroup(join(h.dir, name), h.dir);
      swept.killed.push(...(await stale.killAll()));
      if (stale.remove()) swept.removed.push(name);
    }
    return swept;
  }

  /** Removes the (empty) cgroup; false if it is still in use or already gone. */
  remove(): boolean {
    try {
      rmdirSync(this.dir);
      return true;
    } catch {
      return false;
    }
  }
}

function writeQuietly(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch {
    // gone meanwhile
  }
}

function signalQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
