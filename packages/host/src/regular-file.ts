/**
 * Read an operator's file (a config file, a key file) only if it is a regular file. A FIFO would block
 * the read until some writer appeared — a silent hang at start, a frozen daemon on reload — and a
 * directory or device is never what was meant. Opening with O_NONBLOCK returns at once for a FIFO, and
 * fstat on the open descriptor checks the very file that is then read (no swap between stat and read).
 * A size bound comes first too: a path pointing at a log or an image by mistake must be refused, not read
 * into memory and parsed on a router with little of either.
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

/** The most a config file may hold: a config with thousands of resources is a few hundred KiB. */
export const CONFIG_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** The most a key, certificate or CA file may hold (a system CA bundle is ~200 KiB). */
export const KEY_FILE_MAX_BYTES = 1024 * 1024;

export interface RegularFile {
  text: string;
  stats: Stats;
}

export function readRegularFile(path: string, maxBytes: number): RegularFile {
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
    if (stats.size > maxBytes)
      throw new NotReadableError(
        path,
        `it holds ${mebibytes(stats.size)}, more than the ${mebibytes(maxBytes)} such a file may hold`,
      );
    // A file with a size reads that many bytes, however it grows meanwhile.
    return { text: readFileSync(fd, 'utf8'), stats };
  } catch (err) {
    if (err instanceof NotReadableError) throw err;
    throw new NotReadableError(path, (err as Error).message);
  } finally {
    closeSync(fd);
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}
