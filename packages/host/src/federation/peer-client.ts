import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Event } from '@routerd/plugin-sdk';
import type { Clock } from '../clock.js';
import type { StoredEvent } from '../store/events.js';
import { clockOffsetFromDate } from './auth-refusal.js';
import { cloudEventJson, MEDIA_BATCH, toCloudEvent } from './cloudevents.js';
import {
  type DeliveredAnswer,
  MAX_ANSWER_BYTES,
  MAX_PEER_TEXT_CHARS,
  readDeliveredAnswer,
} from './delivered-answer.js';
import { jsonArrayBytes } from './json-array-bytes.js';
import { describeNetworkError } from './network-error.js';
import { type PeerTlsContext, peerAgent } from './peer-tls.js';
import { type AttemptOutcome, classifyStatus } from './retry-policy.js';
import { SignatureHeaders, type SignKey, sign } from './signing.js';

export interface PeerClientOptions {
  endpoint: string;
  /** This node's name, sent so the receiver picks the right key. */
  node: string;
  keys: () => readonly SignKey[];
  maxSockets: number;
  /** EventPeer.spec.tls, read: the peer's trust anchor and our client certificate (https:// only). */
  tls?: PeerTlsContext;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  clock: Clock;
}

type PushFields = AttemptOutcome & {
  status?: number;
  /** On a 2xx: the events of the batch the peer rejected, and what of its answer was ignored. */
  answer?: DeliveredAnswer;
  /**
   * A refused batch whose every problem the peer placed in an event (`/3/time`): each such event's place
   * in the batch, with its problems. Absent when a problem is the request's own (`/`, a bad header…).
   */
  refusedEvents?: ReadonlyMap<number, string>;
  /** On a 401: the peer's clock minus ours, from its Date header (see auth-refusal.ts). */
  clockOffsetMs?: number;
};
export type PushResult = PushFields & { latencyMs: number };

/**
 * The webhook-id of a batch: stable for retries of the identical content (id + expiresAt of each event),
 * so a retry whose first answer was lost is recognised by the receiver as a replay; a TTL refresh changes
 * expiresAt and so gets a new id and is processed.
 */
export function batchId(events: readonly Pick<Event, 'id' | 'expiresAt'>[]): string {
  const h = createHash('sha256');
  for (const e of events) h.update(`${e.id}\u0000${e.expiresAt ?? ''}\u0001`);
  return `b_${h.digest('base64url').slice(0, 32)}`;
}

/**
 * A refusal's message, and an event's issues together, as kept in a delivery's last error (each issue to
 * MAX_PEER_TEXT_CHARS): as much as a person reads, not as much as a peer may send.
 */
const MAX_MESSAGE_CHARS = 500;

/** A refusal's body as the receiver writes it (docs/federation.md § Status codes). */
interface RefusalBody {
  message?: string;
  issues?: { path?: unknown; message?: unknown }[];
}

/**
 * The events a refusal's issues name, by their place in a batch of `count` (`/3/time` is the fourth
 * event), with their problems; undefined unless every issue names one (a peer that blames the request
 * itself, or says nothing, fails the whole batch).
 */
function eventsNamed(issues: RefusalBody['issues'], count: number): Map<number, string> | undefined {
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  const named = new Map<number, string>();
  for (const issue of issues) {
    const path = typeof issue?.path === 'string' ? issue.path : '';
    const place = /^\/(\d{1,6})(?:\/|$)/.exec(path);
    if (!place || Number(place[1]) >= count) return undefined;
    const index = Number(place[1]);
    const problem = `${path}: ${String(issue.message).slice(0, MAX_PEER_TEXT_CHARS)}`;
    const before = named.get(index);
    if (before === undefined) named.set(index, problem);
    else if (before.length < MAX_MESSAGE_CHARS) named.set(index, `${before}; ${problem}`);
  }
  return named;
}

/** POSTs signed CloudEvents batches to one peer over a keep-alive agent. Redirects are never followed. */
export class PeerClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(private readonly opts: PeerClientOptions) {
    this.url = new URL('/v1/events', opts.endpoint);
    const agentOpts = {
      keepAlive: true,
      maxSockets: opts.maxSockets,
      timeout: opts.requestTimeoutMs ?? 10_000,
    };
    this.agent =
      this.url.protocol !== 'https:'
        ? new Agent(agentOpts)
        : opts.tls
          ? peerAgent(opts.tls, agentOpts, () => opts.clock.now())
          : new HttpsAgent(agentOpts);
  }

  push(events: readonly Event[]): Promise<PushResult> {
    return this.post(
      jsonArrayBytes(events.map((e) => JSON.stringify(toCloudEvent(e)))),
      batchId(events),
      events,
    );
  }

  /** Events as stored (the outbox's): each payload goes on the wire as the JSON text it was stored as. */
  pushStored(events: readonly StoredEvent[]): Promise<PushResult> {
    return this.post(jsonArrayBytes(events.map(cloudEventJson)), batchId(events), events);
  }

  private post(body: Buffer, webhookId: string, sent: readonly Pick<Event, 'id'>[]): Promise<PushResult> {
    const now = this.opts.clock.now();
    const headers = {
      ...sign(this.opts.keys(), webhookId, Math.floor(now / 1000), body),
      [SignatureHeaders.node]: this.opts.node,
      'content-type': MEDIA_BATCH,
      'content-length': String(body.length),
    };
    const started = performance.now();
    const send = this.url.protocol === 'https:' ? httpsRequest : request;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: PushFields) => {
        if (settled) return;
        settled = true;
        this.opts.clock.clear(total);
        resolve({ ...r, latencyMs: performance.now() - started });
      };
      const req = send(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes <= MAX_ANSWER_BYTES) chunks.push(c);
          else {
            // Whatever it says, the batch's outcome is not known: sent again (the peer absorbs a duplicate).
            done({ kind: 'retry', reason: `the peer's answer is over ${MAX_ANSWER_BYTES} bytes: not read` });
            req.destroy();
          }
        });
        res.on('error', (err) => done({ kind: 'retry', reason: `response error: ${err.message}` }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const outcome = classifyStatus(status, res.headers['retry-after'] as string | undefined, now);
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          if (outcome.kind === 'failed' || outcome.kind === 'auth') {
            const error = (parsed as unknown as { error?: RefusalBody } | undefined)?.error;
            const msg =
              typeof error?.message === 'string' ? error.message.slice(0, MAX_MESSAGE_CHARS) : undefined;
            const refusedEvents =
              outcome.kind === 'failed' ? eventsNamed(error?.issues, sent.length) : undefined;
            const offset =
              outcome.kind === 'auth'
                ? clockOffsetFromDate(res.headers.date, this.opts.clock.now())
                : undefined;
            done({
              ...outcome,
              reason: msg ? `${outcome.reason}: ${msg}` : outcome.reason,
              status,
              ...(offset === undefined ? {} : { clockOffsetMs: offset }),
              ...(refusedEvents ? { refusedEvents } : {}),
            });
          } else
            done({
              ...outcome,
              status,
              ...(outcome.kind === 'delivered' ? { answer: readDeliveredAnswer(parsed, sent) } : {}),
            });
        });
      });
      // One deadline for the whole exchange: connect, send, wait, read.
      const total = this.opts.clock.setTimeout(() => {
        req.destroy(new Error('timeout'));
      }, this.opts.requestTimeoutMs ?? 10_000);
      req.setTimeout(this.opts.connectTimeoutMs ?? 3_000, () =>
        req.destroy(new Error('socket idle timeout')),
      );
      req.on('error', (err) => {
        const failure = describeNetworkError(err, this.opts.endpoint);
        const reason = failure.advice ? `${failure.summary}: ${failure.advice}` : `network: ${err.message}`;
        done({ kind: 'retry', reason });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
