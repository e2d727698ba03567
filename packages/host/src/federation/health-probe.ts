/**
 * One `GET /v1/health` to a peer: "is anybody there", without waiting for traffic. The federation's
 * peer retry asks it when nothing is pending; the doctor's peer-reachable check reads it.
 */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describeNetworkError, type NetworkFailureCause } from './network-error.js';

export type ProbeResult = { ok: true } | { ok: false; detail: string; cause?: NetworkFailureCause };

export function probeHealth(endpoint: string, timeoutMs = 2000): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL('/v1/health', endpoint);
  } catch {
    return Promise.resolve({ ok: false, detail: `bad endpoint ${endpoint}` });
  }
  const send = url.protocol === 'https:' ? httpsRequest : request;
  return new Promise((resolve) => {
    // A fresh connection (agent: false): the outbox's pooled sockets must not hide a dead link.
    const req = send(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve(
          res.statusCode === 200 ? { ok: true } : { ok: false, detail: `answered HTTP ${res.statusCode}` },
        ),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const failure = describeNetworkError(err, endpoint);
      // A TLS failure is named (the doctor then says what to change); otherwise the code says enough.
      if (failure.cause !== 'network') resolve({ ok: false, detail: failure.summary, cause: failure.cause });
      else resolve({ ok: false, detail: err.code ?? err.message });
    });
    req.end();
  });
}
