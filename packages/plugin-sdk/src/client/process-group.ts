/** Signals a whole process group; the plugin was spawned detached, so its pid is the group id. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process is left in the group (signal 0 probes without delivering anything). */
export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
