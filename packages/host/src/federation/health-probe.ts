/**
 * One `GET /v1/health` to a peer: "is anybody there", without waiting for traffic. The federation's
 * peer retry asks it when nothing is pending; the doctor's peer-reachable check reads it.
 */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describeNetworkError, type NetworkFailureCause } from './network-error.js';
import { type PeerTlsContext, peerAgent } from './peer-tls.js';

export type ProbeResult = { ok: true } | { ok: false; detail: string; cause?: NetworkFailureCause };

/** A peer's TLS settings and the clock its certificate's dates are judged on. */
export interface ProbeTls {
  ctx: PeerTlsContext;
  now: () => number;
}

/**
 * A fresh connection (no pooled socket may hide a dead link): `agent: false`, or a one-request agent
 * that judges the peer's certificate by its EventPeer's TLS settings; `done` releases it.
 */
export function freshConnection(tls: ProbeTls | undefined) {
  if (!tls) return { agent: false as const, done: () => {} };
  const agent = peerAgent(tls.ctx, { keepAlive: false, maxSockets: 1 }, tls.now);
  return { agent, done: () => agent.destroy() };
}

export function probeHealth(endpoint: string, timeoutMs = 2000, tls?: ProbeTls): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL('/v1/health', endpoint);
  } catch {
    return Promise.resolve({ ok: false, detail: `bad endpoint ${endpoint}` });
  }
  const send = url.protocol === 'https:' ? httpsRequest : request;
  const fresh = freshConnection(url.protocol === 'https:' ? tls : undefined);
  return new Promise<ProbeResult>((resolve) => {
    const req = send(url, { method: 'GET', agent: fresh.agent, timeout: timeoutMs }, (res) => {
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
  }).finally(fresh.done);
}
