import { execFile } from 'node:child_process';

/** Dumps of a 5,000-entry table are a few MB; leave room well beyond that. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Run `ip` (with the configured prefix, e.g. `ip -n lab`) directly — never through a shell — and resolve
 * with its stdout. A non-zero exit rejects with stderr in the message.
 */
export function runIp(ipCommand: string[], args: string[], timeoutMs = 10_000): Promise<string> {
  const [file, ...prefix] = ipCommand;
  return new Promise((resolve, reject) => {
    execFile(
      file!,
      [...prefix, ...args],
      { maxBuffer: MAX_OUTPUT_BYTES, timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${[...ipCommand, ...args].join(' ')} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}
