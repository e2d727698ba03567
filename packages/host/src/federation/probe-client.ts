/**
 * The prober's side of `POST /v1/probe` (probe-answer.ts): one signed request on a fresh connection, and
 * what its answer proves — the peer verified our signature with the same key, answered as the node we
 * expect, and reads about the same time; or why not, in the terms the doctor reports.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isArkErrors } from '@routerd/plugin-sdk';
import { clockOffsetFromDate, describeAuthRefusal } from './auth-refusal.js';
import { freshConnection } from './health-probe.js';
import { describeNetworkError, type NetworkFailureCause } from './network-error.js';
import type { PeerTlsContext } from './peer-tls.js';
import { PROBE_PATH, ProbeAnswer } from './probe-answer.js';
import { SignatureHeaders, type SignKey, sign, type VerifyKey, verify } from './signing.js';

export type PeerProbeResult =
  /** Verified both ways; `clockOffsetMs` is the peer's clock minus ours (at the middle of the round trip). */
  | { outcome: 'ok'; node: string; keyFingerprint: string; clockOffsetMs: number }
  /** 401 while the clocks agree (its Date header): the peer holds another key, or none for us. */
  | { outcome: 'key'; detail: string; clockOffsetMs?: number }
  /** 401 with the peer's Date header further off than the replay window. */
  | { outcome: 'clock'; detail: string; clockOffsetMs: number }
  | { outcome: 'unreachable'; detail: string; cause?: NetworkFailureCause }
  /** 404 or 405: the peer's routerd predates the probe. */
  | { outcome: 'unsupported'; detail: string }
  /** Another answer: another node at that endpoint, an answer not signed with our key, an HTTP error. */
  | { outcome: 'bad-answer'; detail: string };

export interface ProbeOptions {
  endpoint: string;
  /** Our node name (the `routerd-node` header). */
  node: string;
  /** The node name the peer must answer as (its EventPeer's spec.nodeName). */
  peerNode: string;
  /** What we sign with: the shared secret, or this node's Ed25519 private keys. */
  keys: readonly SignKey[];
  /** What the answer is verified with: the same secret, or the peer's public keys (default: `keys`). */
  peerKeys?: readonly VerifyKey[];
  /** EventPeer.spec.tls, read (https:// only). */
  tls?: PeerTlsContext;
  replayWindowMs: number;
  /** The daemon's clock. */
  now: () => number;
  timeoutMs?: number;
}

export function probePeer(o: ProbeOptions): Promise<PeerProbeResult> {
  let url: URL;
  try {
    url = new URL(PROBE_PATH, o.endpoint);
  } catch {
    return Promise.resolve({ outcome: 'bad-answer', detail: `bad endpoint ${o.endpoint}` });
  }
  const timeoutMs = o.timeoutMs ?? 2000;
  const body = Buffer.from('{}');
  const id = `probe_${randomBytes(12).toString('base64url')}`;
  const sentAt = o.now();
  const headers = {
    ...sign(o.keys, id, Math.floor(sentAt / 1000), body),
    [SignatureHeaders.node]: o.node,
    'content-type': 'application/json',
    'content-length': String(body.length),
  };
  const send = url.protocol === 'https:' ? httpsRequest : request;
  // A fresh connection, like the health probe: pooled sockets must not hide a dead link.
  const fresh = freshConnection(url.protocol === 'https:' && o.tls ? { ctx: o.tls, now: o.now } : undefined);
  return new Promise<PeerProbeResult>((resolve) => {
    const req = send(url, { method: 'POST', headers, agent: fresh.agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 64 * 1024) chunks.push(c);
      });
      res.on('error', (err) => resolve({ outcome: 'unreachable', detail: `answer cut off: ${err.message}` }));
      res.on('end', () => {
        const answeredAt = o.now();
        const status = res.statusCode ?? 0;
        if (status === 401) {
          const offset = clockOffsetFromDate(res.headers.date, answeredAt);
          const refusal = describeAuthRefusal('http 401', offset, o.replayWindowMs);
          return resolve(
            refusal.cause === 'clock' && offset !== undefined
              ? { outcome: 'clock', detail: refusal.message, clockOffsetMs: offset }
              : {
                  outcome: 'key',
                  detail: refusal.message,
                  ...(offset === undefined ? {} : { clockOffsetMs: offset }),
                },
          );
        }
        if (status === 404 || status === 405)
          return resolve({
            outcome: 'unsupported',
            detail: `answered HTTP ${status} to POST ${PROBE_PATH}: its routerd predates the probe`,
          });
        if (status !== 200) return resolve({ outcome: 'bad-answer', detail: `answered HTTP ${status}` });
        const text = Buffer.concat(chunks);
        resolve(judgeAnswer(o, id, res.headers, text, sentAt, answeredAt));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const failure = describeNetworkError(err, o.endpoint);
      resolve(
        failure.cause === 'network'
          ? { outcome: 'unreachable', detail: err.code ?? err.message }
          : { outcome: 'unreachable', detail: failure.summary, cause: failure.cause },
      );
    });
    req.end(body);
  }).finally(fresh.done);
}

function judgeAnswer(
  o: ProbeOptions,
  id: string,
  headers: Record<string, string | string[] | undefined>,
  text: Buffer,
  sentAt: number,
  answeredAt: number,
): PeerProbeResult {
  // Signed back — with the secret that verified us (hmac), or with the peer's own private key (ed25519) —
  // echoing our webhook-id: proof the peer holds that secret, or is the node whose public key we list.
  const v = verify(
    o.peerKeys ?? o.keys,
    headers,
    text,
    Math.floor(answeredAt / 1000),
    Math.floor(o.replayWindowMs / 1000),
  );
  if (!v.ok || v.id !== id)
    return {
      outcome: 'bad-answer',
      detail: `answered 200, but the answer is not signed with ${o.peerKeys ? "the peer's key" : 'our key'} for this probe (${v.ok ? 'another webhook-id' : v.detail})`,
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const answer = ProbeAnswer(parsed);
  if (isArkErrors(answer))
    return { outcome: 'bad-answer', detail: `the answer is not a probe answer: ${answer.summary}` };
  if (answer.node !== o.peerNode)
    return {
      outcome: 'bad-answer',
      detail: `the endpoint answers as node "${answer.node.slice(0, 64)}", not "${o.peerNode}"`,
    };
  const theirs = Date.parse(answer.time);
  return {
    outcome: 'ok',
    node: answer.node,
    keyFingerprint: answer.keyFingerprint,
    clockOffsetMs: Number.isFinite(theirs) ? Math.round(theirs - (sentAt + answeredAt) / 2) : 0,
  };
}
