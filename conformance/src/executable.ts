import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { delimiter, extname, resolve } from 'node:path';

export interface FoundExecutable {
  /** Absolute path to start (the plugin itself, or the interpreter named in its place). */
  path: string;
  /** Why it cannot be started, with what to do; set instead of failing later with a bare ENOENT/EACCES. */
  problem?: string;
}

/** Interpreters to suggest for a script that is not executable, by extension. */
const INTERPRETERS: Record<string, string> = {
  '.py': 'python3',
  '.mjs': 'node',
  '.js': 'node',
  '.cjs': 'node',
  '.sh': 'sh',
  '.rb': 'ruby',
  '.pl': 'perl',
};

/**
 * Where the plugin to test is: a name with a slash is a path from `cwd`; a bare name is a file in `cwd`
 * when there is one (`plugin.mjs`), else a command on PATH (`python3`, with the script in the arguments).
 */
export function findExecutable(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): FoundExecutable {
  const here = resolve(cwd, name);
  if (name.includes('/') || isFile(here)) return { path: here, problem: problemWith(here, name, args) };
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = resolve(dir, name);
    if (isFile(candidate) && isExecutable(candidate)) return { path: candidate };
  }
  return {
    path: here,
    problem: `${name} is neither a file in ${cwd} nor a command on PATH: name the plugin by its path (./${name}), or its interpreter and script (python3 ./plugin.py)`,
  };
}

function problemWith(path: string, name: string, args: readonly string[]): string | undefined {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code})`;
  }
  if (stat.isDirectory()) return `${path} is a directory, not a plugin executable`;
  if (isExecutable(path)) return undefined;
  const rest = args.length ? ` ${args.join(' ')}` : '';
  if (hasShebang(path)) return `${path} is not executable: chmod +x ${name}`;
  const interpreter = INTERPRETERS[extname(path)] ?? 'INTERPRETER';
  return `${path} is not executable: give it a first line naming its interpreter (#!/usr/bin/env ${interpreter}) and chmod +x ${name}, or name the interpreter before it: routerd-plugin test ${interpreter} ${name}${rest}`;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasShebang(path: string): boolean {
  const head = Buffer.alloc(2);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 2, 0);
    } finally {
      closeSync(fd);
    }
    return head.toString('latin1') === '#!';
  } catch {
    return false;
  }
}
