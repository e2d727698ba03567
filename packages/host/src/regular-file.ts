/**
 * Read an operator's file (a config file, a key file) only if it is a regular file. A FIFO would block
 * the read until some writer appeared — a silent hang at start, a frozen daemon on reload — and a
 * directory or device is never what was meant. Opening with O_NONBLOCK returns at once for a FIFO, and
 * fstat on the open descriptor checks the very file that is then read (no swap between stat and read).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

export class NotReadableError extends Error {
  override name = 'NotReadableError';
  constructor(
    readonly path: string,
    /** Why, without the path: e.g. "no such file", "it is a FIFO (named pipe), not a regular file". */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export interface RegularFile {
  text: string;
  stats: Stats;
}

export function readRegularFile(path: string): RegularFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new NotReadableError(path, e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotReadableError(path, `it is ${kindOf(stats)}, not a regular file`);
    return { text: readFileSync(fd, 'utf8'), stats };
  } catch (err) {
    if (err instanceof NotReadableError) throw err;
    throw new NotReadableError(path, (err as Error).message);
  } finally {
    closeSync(fd);
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}
