/**
 * The status page reads the daemon the way routerctl does: GET requests on the control socket, answered
 * by the same routes. It can only read (this module has no other method), and it shows exactly what the
 * control API says.
 */
import { request } from 'node:http';

/** Longest a control answer may take before the page shows the read as failed. */
const READ_TIMEOUT_MS = 5000;

export type ControlGet = <T>(path: string) => Promise<T>;

/** A control answer other than 200, with the control API's own message (it says what was wrong). */
export class ControlError extends Error {
  constructor(
    path: string,
    readonly status: number,
    body: string,
  ) {
    super(`GET ${path}: ${messageOf(body) ?? `HTTP ${status}`}`);
    this.name = 'ControlError';
  }
}

function messageOf(body: string): string | undefined {
  try {
    const m = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

export function controlReader(socketPath: string): ControlGet {
  return <T>(path: string) =>
    new Promise<T>((resolve, reject) => {
      const req = request({ socketPath, path, method: 'GET', timeout: READ_TIMEOUT_MS }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new ControlError(path, res.statusCode ?? 0, text));
          else
            try {
              resolve(JSON.parse(text) as T);
            } catch (err) {
              reject(err);
            }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${READ_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
}
