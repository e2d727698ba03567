import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  ControlRoutes,
  type ErrorResponse,
  type GetEventResponse,
  ListEventsQuery,
  type ListEventsResponse,
  type StatusResponse,
} from '@routerd/host-wire';
import type { Database } from 'better-sqlite3';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { FederationConfig } from '../config/index.js';
import type { ConfigState } from '../doctor/federation.js';
import { type EmitPipeline, EmitRefused } from '../events/emit.js';
import type { Federation } from '../federation/service.js';
import { type BodyReadError, guardedListener, pathOf, sendJson } from '../http-exchange.js';
import type { Metrics } from '../metrics.js';
import type { PluginHost } from '../plugins/plugin-host.js';
import type { Retention } from '../retention/service.js';
import type { Stores } from '../store/stores.js';
import { TraceRows } from '../store/trace-rows.js';
import { check } from '../validation.js';
import { type ActionRouteDeps, actionRoutes } from './action-routes.js';
import { backupRoutes } from './backup-routes.js';
import { doctorRoutes } from './doctor-routes.js';
import { type DynamicRouteDeps, dynamicRoutes } from './dynamic-routes.js';
import { emitRoutes } from './emit-routes.js';
import { federationRoutes } from './federation-routes.js';
import { HttpError, invalidRequest, shuttingDown, storageFull } from './http-error.js';
import { pluginRoutes } from './plugin-routes.js';
import { retentionRoutes } from './retention-routes.js';
import { traceRoutes } from './trace-routes.js';

export interface ControlAppOptions {
  pipeline: EmitPipeline;
  /** Every store, built once by the daemon: routes read tables here, never through a service. */
  stores: Stores;
  status: () => StatusResponse;
  /** True once shutdown began: new writes are refused with 503 while in-flight ones finish. */
  stopping: () => boolean;
  logger: Logger;
  federation?: Federation;
  config?: () => FederationConfig;
  metrics?: Metrics;
  clock: Clock;
  /** Request bodies larger than this are refused with 413. */
  bodyLimit?: string;
  plugins?: PluginHost;
  dynamic?: Omit<DynamicRouteDeps, 'runs'>;
  /** Whether the files on disk are the config in force, for the doctor's config-current check. */
  configState?: () => ConfigState;
  /** The state directory, for the doctor's free-space check. */
  stateDir?: string;
  /** The state database, for POST /v1/backup (its copy is made in stateDir first). */
  database?: Database;
  retention?: Retention;
  /** The action journal and executor (approve, reject, undo, dry run). */
  actions?: ActionRouteDeps;
}

const STATUS_OF_REFUSAL = { invalid_event: 400, self_captured_address: 422, id_conflict: 409 } as const;

/**
 * Resolves once the peer pushes a commit started are handed to their sockets. The commit's listeners
 * start them at once (the federation outbox), but Node writes an HTTP request on the next tick after it
 * is made; an answer written before that wakes its caller — a local process, on a router with one or two
 * cores — which can take the CPU before the push has left (issue 18: 1–2 ms of emit → peer's slowest
 * 1 % on this 2-core machine). Ticks run in order, so this waits for the requests made before it and
 * for nothing else.
 */
const pushesWritten = () => new Promise<void>((resolve) => process.nextTick(resolve));

/**
 * A query field given twice (`?type=a&type=b`) reaches the routes as a list, which no filter takes: said
 * as what it is, before a route's schema calls it "an object".
 */
function refuseRepeatedQueryFields(req: Request, _res: Response, next: NextFunction): void {
  const repeated = Object.entries(req.query).filter(([, value]) => Array.isArray(value));
  if (repeated.length === 0) {
    next();
    return;
  }
  next(
    invalidRequest(
      repeated.map(([field, values]) => ({
        path: `/${field}`,
        message: `is given ${(values as unknown[]).length} times: give it once`,
      })),
      'query',
    ),
  );
}

/**
 * The control API's request listener: the emit routes on plain node:http (emit-routes.ts) when the
 * request is a plain JSON body at exactly their path, everything else through Express.
 */
export function createControlApp(options: ControlAppOptions): RequestListener {
  const { stores } = options;
  const store = stores.events;
  const bodyLimit = options.bodyLimit ?? '32mb';

  // Every error leaves as {error: {code, message, issues?}}, from a route of either kind.
  const answerError = (err: unknown, req: IncomingMessage, res: ServerResponse) => {
    const http = toHttpError(err, options.stateDir);
    const path = pathOf(req);
    if (http.status >= 500)
      options.logger.error({ err, method: req.method, path }, 'control API request failed');
    else
      options.logger.debug({ code: http.code, path, message: http.message }, 'control API request refused');
    // Failed after its answer began (a socket error mid-write): nothing more can be said on it.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: ErrorResponse = { error: { code: http.code, message: http.message } };
    if (http.issues) body.error.issues = http.issues;
    // A body refused while it was still coming, and not read to its end (http-exchange.ts READ_OFF_MAX_BYTES).
    if ((err as BodyReadError).type !== undefined && !req.complete) res.setHeader('Connection', 'close');
    sendJson(res, http.status, body);
  };
  const emits = emitRoutes({
    pipeline: options.pipeline,
    bodyLimit,
    stopping: options.stopping,
    pushesWritten,
    answerError,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // flat key=value only: the list filter has no nested fields
  app.use(refuseRepeatedQueryFields);
  app.use(express.json({ limit: bodyLimit, strict: true }));

  const refuseWhileStopping = (_req: Request, _res: Response, next: NextFunction) => {
    if (options.stopping()) next(shuttingDown());
    else next();
  };

  // The emits emit-routes.ts does not take (a query string, a compressed body, another media type).
  app.post(ControlRoutes.eventsBatch, refuseWhileStopping, (req, res) => emits.batch(req.body, res));
  app.post(ControlRoutes.events, refuseWhileStopping, (req, res) => emits.single(req.body, res));

  app.get(ControlRoutes.events, (req, res) => {
    const query = check(ListEventsQuery, req.query);
    if (!query.ok) throw invalidRequest(query.issues, 'query');
    const response: ListEventsResponse = { events: store.list(query.value) };
    res.json(response);
  });

  app.get(`${ControlRoutes.events}/:id`, (req, res) => {
    const id = req.params.id as string;
    const found = store.lookup(id);
    const includeExpired = req.query.includeExpired === 'true';
    if (!found) throw new HttpError(404, 'not_found', `no event with id ${id}`);
    if (found.expired && !includeExpired) {
      throw new HttpError(
        404,
        'not_found',
        `event ${id} expired at ${found.event.expiresAt}: expired events are hidden (ask with includeExpired=true to see it)`,
      );
    }
    const response: GetEventResponse = { event: found.event, expired: found.expired };
    res.json(response);
  });

  app.get(ControlRoutes.status, (_req, res) => {
    res.json(options.status());
  });

  if (options.retention) app.use(retentionRoutes(options.retention));
  if (options.federation && options.config) {
    app.use(
      federationRoutes(options.federation, stores.deliveries, options.config, () => options.clock.now()),
    );
    app.use(
      doctorRoutes({
        federation: options.federation,
        deliveries: stores.deliveries,
        config: options.config,
        now: () => options.clock.now(),
        plugins: options.plugins,
        subscriptionRuns: stores.subscriptionRuns,
        stateDir: options.stateDir,
        configState: options.configState,
        actionJournal: stores.actionJournal,
      }),
    );
  }

  if (options.actions) app.use(actionRoutes(options.actions));
  if (options.dynamic) app.use(dynamicRoutes({ ...options.dynamic, runs: stores.subscriptionRuns }));

  if (options.database && options.config)
    app.use(traceRoutes(new TraceRows(options.database), options.config));

  if (options.database && options.stateDir)
    app.use(backupRoutes({ db: options.database, stateDir: options.stateDir, stopping: options.stopping }));

  if (options.plugins) {
    app.use(pluginRoutes(options.plugins, stores.pluginRuns, options.stopping));
  }

  if (options.metrics) {
    const registry = options.metrics.registry;
    app.get(ControlRoutes.metrics, async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }

  app.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}: see docs/control-api.md`));
  });

  // Express 5 forwards thrown errors (sync or async) here.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => answerError(err, req, res));
  // A request the emit routes take, or what they throw, never reaches Express; nothing thrown escapes.
  return guardedListener((req, res) => {
    const taken = emits.take(req, res);
    if (taken) return taken;
    app(req, res);
    return undefined;
  }, answerError);
}

/** `null`, `a number`, … when the text is a JSON scalar; undefined when it is not JSON at all. */
function jsonScalarKind(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value === null ? 'null' : `a ${typeof value}`;
  } catch {
    return undefined;
  }
}

function toHttpError(err: unknown, stateDir = 'the state directory'): HttpError {
  if (err instanceof HttpError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return storageFull(stateDir, code);
  if (err instanceof EmitRefused)
    return new HttpError(STATUS_OF_REFUSAL[err.code], err.code, err.message, err.issues);
  // body-parser's errors carry a `type` and a status.
  const parserError = err as { type?: string; status?: number; message?: string; body?: unknown };
  if (parserError.type === 'entity.parse.failed') {
    // The parser takes only an object or an array, and says "not valid JSON" of `null` or `5` too.
    const scalar = jsonScalarKind(parserError.body);
    return new HttpError(
      400,
      'invalid_json',
      scalar
        ? `request body must be a JSON object (was ${scalar})`
        : `request body is not valid JSON: ${parserError.message}`,
    );
  }
  if (parserError.type === 'entity.too.large') {
    return new HttpError(413, 'payload_too_large', 'request body is too large: send fewer events per batch');
  }
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new HttpError(parserError.status, 'invalid_request', parserError.message ?? 'bad request');
  }
  return new HttpError(500, 'internal', 'internal error: see the routerd-eventd log');
}
