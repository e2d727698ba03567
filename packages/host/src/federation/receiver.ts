import type { Server } from 'node:http';
import { createServer } from 'node:http';
import {
  type Event,
  formatIssues,
  type Issue,
  MAX_EVENT_BYTES,
  validateEventPayload,
} from '@routerd/plugin-sdk';
import express, { type Request, type Response } from 'express';
import type { Clock } from '../clock.js';
import { fromCloudEvent, MEDIA_BATCH, MEDIA_SINGLE } from './cloudevents.js';
import { SignatureHeaders, type SigningKey, verify } from './signing.js';

/** Why a request was refused: bounded label values for metrics, and the codes docs/federation.md lists. */
export type RefusalReason =
  | 'signature'
  | 'timestamp'
  | 'unknown-sender'
  | 'wrong-group'
  | 'wrong-source'
  | 'malformed'
  | 'oversize'
  | 'media-type';

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

export interface ReceiverOptions {
  group: string;
  replayWindowMs: number;
  bodyLimitBytes: number;
  /** The keys a sender node may sign with (its peer key, or the group key); undefined = unknown sender. */
  keysFor(node: string): readonly SigningKey[] | undefined;
  store: ReceiverStore;
  clock: Clock;
  metrics?: ReceiverMetrics;
  onRefused?: (reason: RefusalReason, detail: string, sender?: string) => void;
  /** A request failed on our side (e.g. the disk is full): answered 500 so the sender retries. */
  onError?: (err: Error, sender?: string) => void;
  /** A request passed authentication: its sender and `webhook-timestamp` (for the clock-skew check). */
  onAuthenticated?: (sender: string, timestampSeconds: number) => void;
}

const STATUS: Record<RefusalReason, number> = {
  signature: 401,
  timestamp: 401,
  'unknown-sender': 401,
  'wrong-group': 403,
  'wrong-source': 403,
  malformed: 400,
  oversize: 413,
  'media-type': 415,
};

/**
 * The federation receiver: `POST /v1/events` (CloudEvents structured JSON, batch or single, signed with
 * Standard Webhooks v1) and `GET /v1/health`. The signature is checked on the raw bytes before anything
 * is parsed; a refused request stores nothing; an accepted batch is committed before the answer.
 */
export function createReceiverApp(opts: ReceiverOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const refuse = (
    res: Response,
    reason: RefusalReason,
    message: string,
    extra: Record<string, unknown> = {},
    sender?: string,
  ) => {
    opts.metrics?.refused(reason);
    opts.onRefused?.(reason, message, sender);
    // Authentication failures get a generic body: the receiver must not become a signing oracle.
    const body =
      STATUS[reason] === 401
        ? { error: { code: 'unauthorized', message: 'unauthorized' } }
        : { error: { code: reason, message, ...extra } };
    res.status(STATUS[reason]).json(body);
  };

  app.get('/v1/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post(
    '/v1/events',
    (req, res, next) => {
      const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (media !== MEDIA_BATCH && media !== MEDIA_SINGLE) {
        refuse(res, 'media-type', `content-type must be ${MEDIA_BATCH} or ${MEDIA_SINGLE}`);
        return;
      }
      next();
    },
    express.raw({ type: () => true, limit: opts.bodyLimitBytes }),
    (req: Request, res: Response) => {
      const raw = req.body as Buffer;
      const sender = String(req.headers[SignatureHeaders.node] ?? '');
      const keys = sender ? opts.keysFor(sender) : undefined;
      if (!keys) {
        refuse(res, 'unknown-sender', `no peer named "${sender}"`, {}, sender);
        return;
      }
      const now = opts.clock.now();
      const v = verify(
        keys,
        req.headers,
        raw,
        Math.floor(now / 1000),
        Math.floor(opts.replayWindowMs / 1000),
      );
      if (!v.ok) {
        refuse(res, v.reason === 'timestamp' ? 'timestamp' : 'signature', v.detail, {}, sender);
        return;
      }
      opts.onAuthenticated?.(sender, v.timestamp);
      const parsed = parseBody(raw, (req.headers['content-type'] ?? '').startsWith(MEDIA_BATCH));
      if (!parsed.ok) {
        refuse(res, parsed.reason, parsed.message, { issues: parsed.issues }, sender);
        return;
      }
      for (const [i, ev] of parsed.events.entries()) {
        if (ev.group !== opts.group) {
          refuse(
            res,
            'wrong-group',
            `event ${ev.id} is for group "${ev.group}", this is "${opts.group}"`,
            { path: `/${i}/routerdgroup` },
            sender,
          );
          return;
        }
        // The authenticated sender may only speak for itself: no impersonating other group members.
        if (ev.sourceNode !== sender) {
          refuse(
            res,
            'wrong-source',
            `event ${ev.id} claims source node "${ev.sourceNode}" but was signed by "${sender}"`,
            { path: `/${i}/source` },
            sender,
          );
          return;
        }
      }
      if (opts.store.webhookSeen(sender, v.id)) {
        // A replay (or a retry whose answer was lost): answer as a duplicate, reprocess nothing.
        opts.metrics?.replayed();
        res
          .status(200)
          .json({ accepted: [], duplicates: parsed.events.map((e) => e.id), rejected: [], replay: true });
        return;
      }
      const outcome = opts.store.commitReceived(sender, v.id, parsed.events);
      opts.metrics?.received(outcome);
      res.status(200).json(outcome);
    },
  );

  // body-parser's errors (oversize, aborted) and anything unexpected: a JSON answer, never a stack trace.
  app.use((err: Error & { type?: string; status?: number }, req: Request, res: Response, _next: unknown) => {
    if (err.type === 'entity.too.large') {
      refuse(res, 'oversize', `request body exceeds ${opts.bodyLimitBytes} bytes`);
      return;
    }
    const status = err.status && err.status < 500 ? err.status : 500;
    // The peer only sees a generic 500: without this the receiver's own log would say nothing at all.
    if (status >= 500) opts.onError?.(err, String(req.headers[SignatureHeaders.node] ?? '') || undefined);
    res.status(status).json({ error: { code: 'internal', message: 'internal error' } });
  });
  return app;
}

type Parsed =
  | { ok: true; events: Event[] }
  | { ok: false; reason: RefusalReason; message: string; issues?: Issue[] };

function parseBody(raw: Buffer, batch: boolean): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
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
  const events: Event[] = [];
  for (const [i, item] of items.entries()) {
    if (Buffer.byteLength(JSON.stringify(item)) > MAX_EVENT_BYTES) {
      return { ok: false, reason: 'oversize', message: `event ${i} exceeds ${MAX_EVENT_BYTES} bytes` };
    }
    const r = fromCloudEvent(item, batch ? `/${i}` : '');
    if (!r.ok) return { ok: false, reason: 'malformed', message: formatIssues(r.issues), issues: r.issues };
    const payloadIssues = validateEventPayload(r.event.type, r.event.payload, `${batch ? `/${i}` : ''}/data`);
    if (payloadIssues.length) {
      return { ok: false, reason: 'malformed', message: formatIssues(payloadIssues), issues: payloadIssues };
    }
    events.push(r.event);
  }
  return { ok: true, events };
}

export interface ListenOptions {
  address: string;
  port: number;
  allowWildcard: boolean;
}

export class ListenError extends Error {}

/**
 * Bind exactly the configured address (the overlay address in production). A wildcard would expose the
 * receiver on every interface, so it needs an explicit `allowWildcard: true`. Timeouts are tightened from
 * Node's defaults (300 s request, 60 s headers) because peers are configured, near and fast.
 */
export function listenReceiver(app: express.Express, listen: ListenOptions): Promise<Server> {
  if ((listen.address === '0.0.0.0' || listen.address === '::') && !listen.allowWildcard) {
    return Promise.reject(
      new ListenError(
        `listen.address ${listen.address} is a wildcard: bind the overlay address instead, or set listen.allowWildcard: true`,
      ),
    );
  }
  const server = createServer(app);
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new ListenError(`cannot listen on ${listen.address}:${listen.port}: ${err.message}`)),
    );
    server.listen(listen.port, listen.address, () => resolve(server));
  });
}
