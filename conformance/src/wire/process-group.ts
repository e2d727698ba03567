import { execFileSync } from 'node:child_process';

/** The plugin is spawned detached, so its pid is its process group id; signal 0 probes without delivering. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * `pid command` of every live process in the group. Zombies are left out: a killed child whose parent
 * is gone waits for whoever adopted it to reap it, and signal 0 still finds it meanwhile.
 * Falls back to the signal probe when ps is missing.
 */
export function liveGroupMembers(pgid: number): string[] {
  if (!groupAlive(pgid)) return [];
  try {
    const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8', timeout: 2000 });
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === String(pgid) && !f[2]?.startsWith('Z'))
      .map((f) => `${f[0]} ${f.slice(3).join(' ')}`.slice(0, 200));
  } catch {
    return [`(ps is not available) process group ${pgid} still has members`];
  }
}
