import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  type Event,
  formatIssues,
  type Issue,
  MAX_EVENT_BYTES,
  payloadHolds,
  validateEventPayload,
} from '@routerd/plugin-sdk';
import type { Clock } from '../clock.js';
import {
  type BodyReadError,
  guardedListener,
  isIdentityEncoded,
  pathOf,
  readBody,
  sendJson,
} from '../http-exchange.js';
import { fromCloudEvent, MEDIA_BATCH, MEDIA_SINGLE } from './cloudevents.js';
import { parseArrayElements } from './json-array-elements.js';
import { elementBytes, MAX_BODY_DEPTH, scanJson } from './json-depth.js';
import { isUtf8, parseMediaType } from './media-type.js';
import { PROBE_BODY_LIMIT_BYTES, PROBE_PATH, type ProbeAnswer } from './probe-answer.js';
import { errorBody, type RefusalReason, type RequestRefusal, STATUS } from './refusal.js';
import {
  isHmacKey,
  SignatureHeaders,
  type SignKey,
  sign,
  type VerifyKey,
  type VerifyResult,
  verify,
} from './signing.js';

export {
  ListenError,
  type ListenOptions,
  type ListenRefused,
  listenReceiver,
  RECEIVER_TIMEOUTS,
} from './receiver-listener.js';
export type { ConnectionRefusal, RefusalReason, RequestRefusal } from './refusal.js';

/**
 * Resolves once what a commit started in this daemon is under way: a subscription's plugin request is
 * written from promise continuations that follow the commit (subscriptions/batcher.ts), which a task
 * queued now runs after. The sender's answer is only bookkeeping for it, while the run is the event's
 * purpose here: answered first, its write (on loopback the whole TCP receive path) and the sender it
 * wakes came before the plugin's request (issue 18: observe → claim p99 ~2 ms longer on 2 cores).
 */
const commitsConsequencesStarted = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ReceiveOutcome {
  accepted: string[];
  duplicates: string[];
  rejected: { id: string; reason: string }[];
}

/** What the receiver needs from the store: two operations, both atomic. */
export interface ReceiverStore {
  /** Has this sender's webhook-id been seen inside the replay window? */
  webhookSeen(sender: string, webhookId: string): boolean;
  /** Store the batch and record the webhook-id, in ONE transaction, before the 2xx goes out. */
  commitReceived(sender: string, webhookId: string, events: Event[]): ReceiveOutcome;
}

export interface ReceiverMetrics {
  refused(reason: RefusalReason): void;
  received(outcome: ReceiveOutcome): void;
  replayed(): void;
}

/** A refused request as the receiver's owner records it (log, refused-request counts, clock skew). */
export interface RequestRefused {
  reason: RequestRefusal;
  detail: string;
  /** The `routerd-node` header: unauthenticated unless the refusal came after the signature check. */
  sender?: string;
  /** A well-formed `webhook-timestamp` of a request refused by its signature check (unauthenticated). */
  timestampSeconds?: number;
}

export interface ReceiverOptions {
  group: string;
  /** This node's name (the EventGroup's nodeName): the probe's answer says who answered. */
  node: string;
  replayWindowMs: number;
  bodyLimitBytes: number;
  /**
   * The keys a sender node's signature is checked with — its peer secret or the group's (hmac), or its
   * public keys (ed25519); undefined = unknown sender.
   */
  keysFor(node: string): readonly VerifyKey[] | undefined;
  /**
   * This node's own Ed25519 private keys: a probe verified with a peer's public key is answered signed
   * with them (an HMAC-verified probe is answered with the secret that verified it).
   */
  ownKeys?: () => readonly SignKey[];
  store: ReceiverStore;
  clock: Clock;
  metrics?: ReceiverMetrics;
  onRefused?: (refused: RequestRefused) => void;
  /** A request failed on our side (e.g. the disk is full): answered 500 so the sender retries. */
  onError?: (err: Error, sender?: string) => void;
  /**
   * A request (a delivery or a probe) passed authentication: its sender, `webhook-timestamp` (clock skew)
   * and the fingerprint of the key that verified it (the doctor's peer-key-rotation).
   */
  onAuthenticated?: (sender: string, timestampSeconds: number, keyFingerprint: string) => void;
}

/** Exact paths and their methods: anything else is a JSON 404 or 405. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/v1/events': ['POST'],
  [PROBE_PATH]: ['POST'],
  '/v1/health': ['GET', 'HEAD'],
};

/**
 * The federation receiver: `POST /v1/events` (CloudEvents structured JSON, batch or single, signed with
 * Standard Webhooks v1 or v1a) and `GET /v1/health`. The signature is checked on the raw bytes before anything
 * is parsed; a refused request stores nothing; an accepted batch is committed before the answer. Plain
 * node:http (../http-exchange.ts): every delivery passes through it.
 */
export function createReceiverHandler(opts: ReceiverOptions): RequestListener {
  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    reason: RequestRefusal,
    message: string,
    extra: Record<string, unknown> = {},
    timestampSeconds?: number,
  ) => {
    opts.metrics?.refused(reason);
    const sender = claimedSender(req);
    opts.onRefused?.({
      reason,
      detail: message,
      ...(sender === undefined ? {} : { sender }),
      ...(timestampSeconds === undefined ? {} : { timestampSeconds }),
    });
    // Authentication failures get a generic body: the receiver must not become a signing oracle.
    const body =
      STATUS[reason] === 401 ? errorBody('unauthorized', 'unauthorized') : errorBody(reason, message, extra);
    // Refused before its body was read: close rather than read and discard what is left of it.
    if (!req.complete) res.setHeader('Connection', 'close');
    sendJson(res, STATUS[reason], body);
  };

  /** Checked before the body is read: a compressed body would be inflated before authentication. */
  const mediaOf = (
    req: IncomingMessage,
    res: ServerResponse,
    allowed: readonly string[],
  ): { batch: boolean } | undefined => {
    if (!isIdentityEncoded(req)) {
      refuse(
        req,
        res,
        'content-encoding',
        'content-encoding must be identity (or absent): compressed bodies are not accepted',
      );
      return undefined;
    }
    const media = parseMediaType(req.headers['content-type']);
    if (!media || !allowed.includes(media.essence)) {
      refuse(req, res, 'media-type', `content-type must be ${allowed.join(' or ')}`);
      return undefined;
    }
    if (!isUtf8(media)) {
      const charset = JSON.stringify(media.params.charset);
      refuse(req, res, 'media-type', `charset must be utf-8 (or absent), not ${charset}`);
      return undefined;
    }
    return { batch: media.essence === MEDIA_BATCH };
  };

  /** The signature on the raw bytes, before anything is parsed; refused (and undefined) when it fails. */
  const authenticate = (
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
  ): { sender: string; v: Extract<VerifyResult, { ok: true }> } | undefined => {
    const sender = claimedSender(req) ?? '';
    const keys = sender ? opts.keysFor(sender) : undefined;
    if (!keys) {
      refuse(req, res, 'unknown-sender', `no peer named "${sender.slice(0, 100)}" with a key in this group`);
      return undefined;
    }
    const now = opts.clock.now();
    const v = verify(keys, req.headers, raw, Math.floor(now / 1000), Math.floor(opts.replayWindowMs / 1000));
    if (!v.ok) {
      refuse(req, res, v.reason === 'timestamp' ? 'timestamp' : 'signature', v.detail, {}, v.timestamp);
      return undefined;
    }
    opts.onAuthenticated?.(sender, v.timestamp, v.key.fingerprint);
    return { sender, v };
  };

  const deliver = async (req: IncomingMessage, res: ServerResponse, raw: Buffer, batch: boolean) => {
    const auth = authenticate(req, res, raw);
    if (!auth) return;
    const { sender, v } = auth;
    const parsed = parseBody(raw, batch);
    if (!parsed.ok) {
      refuse(req, res, parsed.reason, parsed.message, { issues: parsed.issues });
      return;
    }
    // Every event this sender may not send is named (issues), so the sender can fail those alone and
    // send the rest again; the refusal itself is the first one's (reason, message, path).
    const misplaced: { reason: 'wrong-group' | 'wrong-source'; message: string; path: string }[] = [];
    for (const [i, ev] of parsed.events.entries()) {
      if (ev.group !== opts.group)
        misplaced.push({
          reason: 'wrong-group',
          message: `event ${ev.id} is for group "${ev.group}", this is "${opts.group}"`,
          path: `/${i}/routerdgroup`,
        });
      // The authenticated sender may only speak for itself: no impersonating other group members.
      else if (ev.sourceNode !== sender)
        misplaced.push({
          reason: 'wrong-source',
          message: `event ${ev.id} claims source node "${ev.sourceNode}" but was signed by "${sender}"`,
          path: `/${i}/source`,
        });
    }
    const first = misplaced[0];
    if (first) {
      refuse(req, res, first.reason, first.message, {
        path: first.path,
        issues: misplaced.map((m) => ({ path: m.path, message: m.message })),
      });
      return;
    }
    if (opts.store.webhookSeen(sender, v.id)) {
      // A replay (or a retry whose answer was lost): answer as a duplicate, reprocess nothing.
      opts.metrics?.replayed();
      sendJson(res, 200, {
        accepted: [],
        duplicates: parsed.events.map((e) => e.id),
        rejected: [],
        replay: true,
      });
      return;
    }
    const outcome = opts.store.commitReceived(sender, v.id, parsed.events);
    opts.metrics?.received(outcome);
    await commitsConsequencesStarted();
    sendJson(res, 200, outcome);
  };

  // The authenticated probe: verified like a delivery, answered (signed back) without storing anything.
  const probe = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const auth = authenticate(req, res, raw);
    if (!auth) return;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    // Members are ignored (a later version may ask for more), but it must be an object.
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      refuse(req, res, 'malformed', 'a probe body must be a JSON object ({})');
      return;
    }
    const answer: ProbeAnswer = {
      node: opts.node,
      group: opts.group,
      time: new Date(opts.clock.now()).toISOString(),
      keyFingerprint: auth.v.key.fingerprint,
    };
    const text = Buffer.from(JSON.stringify(answer));
    const key = auth.v.key;
    const answerKeys = isHmacKey(key) ? [key] : (opts.ownKeys?.() ?? []);
    if (answerKeys.length === 0) {
      opts.onError?.(new Error('no private key to sign the probe answer with'), auth.sender);
      sendJson(res, 500, errorBody('internal', 'internal error'));
      return;
    }
    res.writeHead(200, {
      ...sign(answerKeys, auth.v.id, Math.floor(opts.clock.now() / 1000), text),
      'content-type': 'application/json; charset=utf-8',
      'content-length': text.length,
    });
    res.end(text);
  };

  /** A body that could not be read (oversize, cut short) and anything unexpected: a JSON answer, never a stack trace. */
  const failed = (req: IncomingMessage, res: ServerResponse, err: BodyReadError, limitBytes: number) => {
    // The client is gone (or a timeout already answered it on the socket): nobody to answer.
    if (req.socket.destroyed || res.headersSent) return;
    if (err.type === 'entity.too.large') {
      refuse(req, res, 'oversize', `request body exceeds ${limitBytes} bytes`);
      return;
    }
    if (err.type !== undefined && err.status !== undefined && err.status < 500) {
      refuse(req, res, 'bad-request', `the request could not be read: ${err.message}`);
      return;
    }
    // The peer only sees a generic 500: without this the receiver's own log would say nothing at all.
    opts.onError?.(err, claimedSender(req));
    sendJson(res, 500, errorBody('internal', 'internal error'));
  };

  const serve = (req: IncomingMessage, res: ServerResponse): Promise<void> | undefined => {
    const path = pathOf(req);
    const allowed = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
    if (!allowed) {
      refuse(
        req,
        res,
        'not-found',
        `no such path ${JSON.stringify(path.slice(0, 100))}: the receiver serves POST /v1/events, POST ${PROBE_PATH} and GET /v1/health`,
      );
      return undefined;
    }
    if (!allowed.includes(req.method ?? '')) {
      res.setHeader('Allow', allowed.join(', '));
      refuse(req, res, 'method', `${path} answers ${allowed.join(' and ')} only`);
      return undefined;
    }
    if (path === '/v1/health') {
      sendJson(res, 200, { status: 'ok' });
      return undefined;
    }
    const isProbe = path === PROBE_PATH;
    const media = mediaOf(req, res, isProbe ? ['application/json'] : [MEDIA_BATCH, MEDIA_SINGLE]);
    if (!media) return undefined;
    const limitBytes = isProbe ? PROBE_BODY_LIMIT_BYTES : opts.bodyLimitBytes;
    return readBody(req, limitBytes)
      .then((raw) => (isProbe ? probe(req, res, raw) : deliver(req, res, raw, media.batch)))
      .catch((err: BodyReadError) => failed(req, res, err, limitBytes));
  };
  // Anything else thrown on the way (a refusal's own reporting, a bug) is a generic 500, never a crash.
  return guardedListener(serve, (err, req, res) => failed(req, res, err as Error, opts.bodyLimitBytes));
}

/** The `routerd-node` header as sent: a claim until the signature is checked. */
function claimedSender(req: IncomingMessage): string | undefined {
  const v = req.headers[SignatureHeaders.node];
  const one = Array.isArray(v) ? v[0] : v;
  return one ? one : undefined;
}

type Parsed =
  | { ok: true; events: Event[] }
  | { ok: false; reason: RequestRefusal; message: string; issues?: Issue[] };

function parseBody(raw: Buffer, batch: boolean): Parsed {
  // Before JSON.parse: a deep enough body overflows the stack of the parser or of the validators after it.
  // The same pass measures each event of a batch as sent.
  const scan = scanJson(raw);
  if (scan.tooDeepAt !== undefined) {
    return {
      ok: false,
      reason: 'malformed',
      message: `body nests deeper than ${MAX_BODY_DEPTH} levels (at byte ${scan.tooDeepAt})`,
      issues: [{ path: '/', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }],
    };
  }
  let body: unknown = batch ? parseArrayElements(raw, scan) : undefined;
  try {
    body ??= JSON.parse(raw.toString('utf8'));
  } catch {
    return {
      ok: false,
      reason: 'malformed',
      message: 'body is not valid JSON',
      issues: [{ path: '/', message: 'not valid JSON' }],
    };
  }
  const items = batch ? body : [body];
  if (!Array.isArray(items)) {
    return {
      ok: false,
      reason: 'malformed',
      message: 'a batch must be a JSON array',
      issues: [{ path: '/', message: 'must be an array' }],
    };
  }
  if (items.length === 0) {
    return {
      ok: false,
      reason: 'malformed',
      message: 'a batch must hold at least one event',
      issues: [{ path: '/', message: 'must not be empty' }],
    };
  }
  const events: Event[] = [];
  for (const [i, item] of items.entries()) {
    // A batch JSON.parse took is one array: the scan found where each element ends.
    if ((batch && scan.array ? elementBytes(scan.array, i) : raw.length) > MAX_EVENT_BYTES) {
      return { ok: false, reason: 'oversize', message: `event ${i} exceeds ${MAX_EVENT_BYTES} bytes` };
    }
    const r = fromCloudEvent(item, batch ? `/${i}` : '');
    if (!r.ok) return { ok: false, reason: 'malformed', message: formatIssues(r.issues), issues: r.issues };
    const payloadIssues = payloadHolds(r.event.type, r.event.payload)
      ? []
      : validateEventPayload(r.event.type, r.event.payload, `${batch ? `/${i}` : ''}/data`);
    if (payloadIssues.length) {
      return { ok: false, reason: 'malformed', message: formatIssues(payloadIssues), issues: payloadIssues };
    }
    events.push(r.event);
  }
  return { ok: true, events };
}
