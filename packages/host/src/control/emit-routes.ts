/**
 * `POST /v1/events` and `POST /v1/events/batch` on plain node:http (../http-exchange.ts): every observation
 * a plugin or routerctl emits comes through one of them, and Express cost each ~0.6 ms of CPU (issue 18).
 * A request they take is a JSON body in UTF-8, not compressed, at exactly its path; anything else (a query
 * string, gzip, another type or charset) goes on to the Express app, whose parser answers it as before.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BatchEmitResponse,
  ControlRoutes,
  type EmitResponse,
  type EmitResult,
  MAX_BATCH_EVENTS,
} from '@routerd/host-wire';
import { type } from 'arktype';
import type { EmitPipeline } from '../events/emit.js';
import { isUtf8, parseMediaType } from '../federation/media-type.js';
import { isIdentityEncoded, readBody, sendJson } from '../http-exchange.js';
import type { InsertOutcome } from '../store/events.js';
import { check } from '../validation.js';
import { HttpError, invalidRequest, shuttingDown } from './http-error.js';

// Only the outer shape: each element is checked by the emit pipeline, whose issues say /events/N/….
const BatchEnvelope = type({ events: type('unknown[]').atLeastLength(1).atMostLength(MAX_BATCH_EVENTS) });

export interface EmitRouteDeps {
  pipeline: EmitPipeline;
  /** Request bodies larger than this are refused with 413 (raw-body's limit: bytes or '32mb'). */
  bodyLimit: number | string;
  stopping: () => boolean;
  /** Resolves once the peer pushes the emit's commit started are on their sockets (app.ts). */
  pushesWritten: () => Promise<void>;
  /** The control API's error answer, shared with its Express routes. */
  answerError: (err: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

export interface EmitRoutes {
  /**
   * Takes a plain JSON emit: the answer under way (it settles once answered, errors included), or
   * undefined for a request it leaves untouched for Express.
   */
  take(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined;
  /** The routes themselves, for the Express app's routes of the same paths (a body its parser decoded). */
  batch(body: unknown, res: ServerResponse): Promise<void>;
  single(body: unknown, res: ServerResponse): Promise<void>;
}

export function emitRoutes(deps: EmitRouteDeps): EmitRoutes {
  const { pipeline } = deps;

  const batch = async (body: unknown, res: ServerResponse) => {
    const checked = check(BatchEnvelope, body);
    if (!checked.ok) throw invalidRequest(checked.issues, 'batch request');
    const outcomes = pipeline.emitBatch(checked.value.events);
    const response: BatchEmitResponse = { results: outcomes.map(resultOf) };
    await deps.pushesWritten();
    sendJson(res, 200, response);
  };

  const single = async (body: unknown, res: ServerResponse) => {
    if (Array.isArray(body))
      throw new HttpError(
        400,
        'invalid_request',
        `request body must be one event, a JSON object (was an array): several go to POST ${ControlRoutes.eventsBatch} as {"events": [...]}`,
      );
    const outcome = pipeline.emit(body);
    const response: EmitResponse = { result: resultOf(outcome), event: outcome.event };
    await deps.pushesWritten();
    sendJson(res, outcome.status === 'stored' ? 201 : 200, response);
  };

  const take = (req: IncomingMessage, res: ServerResponse): Promise<void> | undefined => {
    if (req.method !== 'POST') return undefined;
    const route =
      req.url === ControlRoutes.eventsBatch ? batch : req.url === ControlRoutes.events ? single : undefined;
    if (!route || !plainJson(req)) return undefined;
    const body = deps.stopping() ? Promise.reject(shuttingDown()) : readBody(req, deps.bodyLimit);
    return body
      .then((raw) => route(parseJsonBody(raw), res))
      .catch((err: unknown) => deps.answerError(err, req, res));
  };

  return { take, batch, single };
}

/** A JSON body in UTF-8 (or no charset), neither compressed nor anything else the Express parser decodes. */
function plainJson(req: IncomingMessage): boolean {
  const media = parseMediaType(req.headers['content-type']);
  return isIdentityEncoded(req) && media?.essence === 'application/json' && isUtf8(media);
}

/**
 * As Express's JSON parser in strict mode reads a body: an empty one is `{}`, and only an object or an
 * array is taken. Anything else fails as that parser's error does, so the app answers it the same way.
 */
function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.length === 0) return {};
  let message = 'a JSON scalar';
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value;
  } catch (err) {
    message = (err as Error).message;
  }
  throw Object.assign(new Error(message), { type: 'entity.parse.failed', status: 400, body: text });
}

function resultOf(o: InsertOutcome): EmitResult {
  // emitBatch throws on a conflict (all or nothing), so only stored, duplicate and refreshed get here.
  const r: EmitResult = { id: o.event.id, status: o.status as EmitResult['status'] };
  if (o.event.expiresAt !== undefined) r.expiresAt = o.event.expiresAt;
  return r;
}
