// Runs the repository's layer check (.dependency-cruiser.cjs) exactly as `pnpm lint:layers` does, on a
// directory laid out like the repository, and reads what it printed.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const depcruise = fileURLToPath(new URL('../node_modules/.bin/depcruise', import.meta.url));

export interface Violation {
  rule: string;
  /** The importing module, or for a folder cycle its first folder. */
  from: string;
  /** A folder cycle: its folders, in order. */
  cycle?: string[];
}

/** Writes `files` (path → source) under `dir`. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/**
 * The layer check on `roots` (relative to `dir`), run in `dir`: its exit code (what fails `pnpm lint`) and the
 * violations its report lists — `error RULE: FROM → TO`, a cycle continuing one folder per line.
 */
export async function checkLayers(
  dir: string,
  roots: string[],
): Promise<{ code: number; violations: Violation[]; output: string }> {
  const args = ['--config', join(repoRoot, '.dependency-cruiser.cjs'), ...roots];
  const result = await run(depcruise, args, { cwd: dir, maxBuffer: 64 << 20 }).then(
    (r) => ({ ...r, code: 0 }),
    (e) => ({ stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? ''), code: Number(e.code ?? 1) }),
  );
  const output = `${result.stdout}${result.stderr}`;
  if (!/dependencies cruised/.test(output))
    throw new Error(`depcruise did not run (exit ${result.code}): ${output}`);
  const violations: Violation[] = [];
  for (const line of result.stdout.split('\n')) {
    const head = /^\s*error (\S+): (\S+) →\s*(\S*)$/.exec(line);
    if (head) {
      const [, rule, from, to] = head;
      violations.push(to ? { rule: rule!, from: from! } : { rule: rule!, from: from!, cycle: [from!] });
      continue;
    }
    const next = /^\s+(\S+?)(?: →)?$/.exec(line);
    const last = violations.at(-1);
    if (next && last?.cycle) last.cycle.push(next[1]!);
  }
  return { code: result.code, violations, output };
}
