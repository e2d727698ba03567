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

/** `pid command` of every process in the group, for the report (best effort: ps may be missing). */
export function groupMembers(pgid: number): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8', timeout: 2000 });
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === String(pgid))
      .map((f) => `${f[0]} ${f.slice(2).join(' ')}`.slice(0, 200));
  } catch {
    return [];
  }
}

export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}
