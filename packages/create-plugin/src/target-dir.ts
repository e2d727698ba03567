import { readdirSync, statSync } from 'node:fs';
import { UsageError } from './errors.js';

/** Refuses a target that holds anything: a new project never overwrites or mixes with existing files. */
export function checkTargetDir(dir: string, shown: string): void {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      throw new UsageError(`${shown} exists and is not a directory: choose another name for the project`);
    }
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (entries.length > 0) {
    const listed = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    throw new UsageError(
      `${shown} is not empty (${listed}): choose a new directory name, or move its ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} away`,
    );
  }
}
