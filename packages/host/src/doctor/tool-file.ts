/** An ActionPolicy's tool as the daemon's own user sees it (action-tool-path): there, a file, executable. */
import { accessSync, constants, statSync } from 'node:fs';
import type { ToolFileState } from './action-checks.js';

export function inspectToolFile(path: string): ToolFileState {
  try {
    if (!statSync(path).isFile()) return 'not-a-file';
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not-executable';
  }
}
