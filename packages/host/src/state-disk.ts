import { statfsSync } from 'node:fs';

export type StateDiskSpace = { path: string; freeBytes: number } | { path: string; error: string };

/** Free space an unprivileged writer may use on the filesystem holding `path` (the state directory). */
export function stateDiskSpace(path: string): StateDiskSpace {
  try {
    const fs = statfsSync(path);
    return { path, freeBytes: fs.bavail * fs.bsize };
  } catch (err) {
    return { path, error: (err as Error).message };
  }
}
