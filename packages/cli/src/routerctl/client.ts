/** A thin HTTP-over-unix-socket client of the control API. Types come from @routerd/host-wire. */
import { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, request } from 'node:http';
import { basename, dirname } from 'node:path';
// Types only from the schema module: loading the schemas costs start-up time that the happy path does
// not need. The error path loads them (see parseError) to check what the daemon sent.
import type {
  ActionDryRunResponse,
  ActionResponse,
  ActionsResponse,
  BatchEmitResponse,
  DeliveriesResponse,
  DeliveriesSummaryResponse,
  DoctorResponse,
  DynamicPartResponse,
  DynamicPartsResponse,
  EmitRequest,
  EmitResponse,
  EventFilter,
  ExecutionResponse,
  ExecutionState,
  ExecutionsResponse,
  GetEventResponse,
  ListEventsResponse,
  PeerRetryResponse,
  PeersResponse,
  PluginRunsResponse,
  PluginsResponse,
  PruneResponse,
  RedeliverResponse,
  RenderResponse,
  RunPluginRequest,
  RunPluginResponse,
  StatusResponse,
  SubscriptionRetryResponse,
  SubscriptionRunsResponse,
  TraceResponse,
} from '@routerd/host-wire';
import {
  BACKUP_MEDIA_TYPE,
  ControlRoutes,
  eventFilterToQuery,
  SCHEMA_VERSION_HEADER,
  SOCKET_FILE,
} from '@routerd/host-wire/constants';
import type { Issue } from '@routerd/plugin-sdk';
import { errnoWords } from './errno.js';
import type { SocketChoice } from './socket.js';

/** The daemon answered with an error: its code, message and field issues are shown as they are. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

/** Nobody answers on the socket: say which one was tried and how to get a daemon there. */
export class DaemonUnreachable extends Error {
  override name = 'DaemonUnreachable';
  constructor(socket: SocketChoice, cause: NodeJS.ErrnoException) {
    const why = errnoWords(cause, {
      ENOENT: 'no socket there',
      ECONNREFUSED: 'nothing is listening (a stale socket?)',
      EACCES: 'permission denied (the socket is mode 0600: run as the daemon’s user)',
    });
    super(
      `cannot reach routerd-eventd at ${socket.path} (chosen by ${socket.from}): ${why}.\n` +
        `Start the daemon with:  routerd-eventd --config FILE --state-dir ${stateDirOf(socket.path)}\n` +
        'or point routerctl at a running one with --socket PATH, --state-dir DIR or ROUTERD_SOCKET.',
    );
  }
}

/** The --state-dir that puts the socket at this path, or a placeholder when the name is not routerd.sock. */
function stateDirOf(socketPath: string): string {
  return basename(socketPath) === SOCKET_FILE
    ? dirname(socketPath)
    : 'DIR   (the socket is DIR/routerd.sock)';
}

export class ControlClient {
  constructor(
    readonly socket: SocketChoice,
    private readonly timeoutMs = 30_000,
  ) {}

  emit(event: EmitRequest): Promise<EmitResponse> {
    return this.call('POST', ControlRoutes.events, event);
  }

  emitBatch(events: EmitRequest[]): Promise<BatchEmitResponse> {
    return this.call('POST', ControlRoutes.eventsBatch, { events });
  }

  listEvents(filter: EventFilter): Promise<ListEventsResponse> {
    return this.call('GET', ControlRoutes.events + eventFilterToQuery(filter));
  }

  getEvent(id: string, includeExpired = false): Promise<GetEventResponse> {
    return this.call('GET', ControlRoutes.event(id) + (includeExpired ? '?includeExpired=true' : ''));
  }

  deliveries(query: {
    peer?: string;
    status?: string;
    eventId?: string;
    limit?: number;
  }): Promise<DeliveriesResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.call('GET', ControlRoutes.deliveries + (qs ? `?${qs}` : ''));
  }

  deliveriesSummary(): Promise<DeliveriesSummaryResponse> {
    return this.call('GET', ControlRoutes.deliveriesSummary);
  }

  peers(): Promise<PeersResponse> {
    return this.call('GET', ControlRoutes.peers);
  }

  redeliver(eventId: string, peer?: string): Promise<RedeliverResponse> {
    return this.call('POST', ControlRoutes.redeliver, peer === undefined ? { eventId } : { eventId, peer });
  }

  /** Every failed delivery matching back to pending (to one peer, failed at or after `since`). */
  redeliverFailed(filter: { peer?: string; since?: string }): Promise<RedeliverResponse> {
    return this.call('POST', ControlRoutes.redeliver, { status: 'failed', ...filter });
  }

  retryPeer(peer: string): Promise<PeerRetryResponse> {
    return this.call('POST', ControlRoutes.peerRetry(peer), {});
  }

  prune(dryRun: boolean): Promise<PruneResponse> {
    return this.call(dryRun ? 'GET' : 'POST', ControlRoutes.prune, dryRun ? undefined : {});
  }

  dynamicParts(): Promise<DynamicPartsResponse> {
    return this.call('GET', ControlRoutes.dynamicParts);
  }

  dynamicPart(name: string): Promise<DynamicPartResponse> {
    return this.call('GET', ControlRoutes.dynamicPart(name));
  }

  render(): Promise<RenderResponse> {
    return this.call('GET', ControlRoutes.dynamicRender);
  }

  subscriptionRuns(query: {
    subscription?: string;
    status?: string;
    limit?: number;
  }): Promise<SubscriptionRunsResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.call('GET', ControlRoutes.subscriptionRuns + (qs ? `?${qs}` : ''));
  }

  /** One observation's causal chain: by event id, or the newest observation of an IPv4 address. */
  trace(query: { event: string } | { address: string }): Promise<TraceResponse> {
    return this.call('GET', `${ControlRoutes.trace}?${new URLSearchParams(query).toString()}`);
  }

  retrySubscription(name: string, eventId?: string): Promise<SubscriptionRetryResponse> {
    return this.call('POST', ControlRoutes.subscriptionRetry(name), eventId === undefined ? {} : { eventId });
  }

  actions(): Promise<ActionsResponse> {
    return this.call('GET', ControlRoutes.actions);
  }

  action(id: string): Promise<ActionResponse> {
    return this.call('GET', ControlRoutes.action(id));
  }

  actionDryRun(id: string): Promise<ActionDryRunResponse> {
    return this.call('GET', ControlRoutes.actionDryRun(id));
  }

  executions(q: { state?: ExecutionState; limit?: number } = {}): Promise<ExecutionsResponse> {
    const qs = new URLSearchParams(
      Object.entries(q).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
    ).toString();
    return this.call('GET', ControlRoutes.executions + (qs ? `?${qs}` : ''));
  }

  execution(id: string): Promise<ExecutionResponse> {
    return this.call('GET', ControlRoutes.execution(id));
  }

  decideExecution(
    id: string,
    decision: 'approve' | 'reject' | 'undo',
    by: string,
  ): Promise<ExecutionResponse> {
    return this.call('POST', ControlRoutes.executionDecision(id, decision), { by });
  }

  plugins(): Promise<PluginsResponse> {
    return this.call('GET', ControlRoutes.plugins);
  }

  runPlugin(name: string, request: RunPluginRequest): Promise<RunPluginResponse> {
    return this.call('POST', ControlRoutes.pluginRun(name), request);
  }

  pluginRuns(query: { plugin?: string; outcome?: string; limit?: number }): Promise<PluginRunsResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.call('GET', ControlRoutes.pluginRuns + (qs ? `?${qs}` : ''));
  }

  status(): Promise<StatusResponse> {
    return this.call('GET', ControlRoutes.status);
  }

  /** `probe: false` skips the authenticated probe of each peer (no peer-probe checks). */
  doctorFederation(opts: { probe?: boolean } = {}): Promise<DoctorResponse> {
    return this.call('GET', ControlRoutes.doctorFederation + (opts.probe === false ? '?probe=false' : ''));
  }

  /**
   * POST /v1/backup: the database copy as a stream (the caller writes it out), with the size the daemon
   * announced (a shorter body means the copy was cut off) and its schema version.
   */
  backup(): Promise<{ body: IncomingMessage; bytes: number; schemaVersion: number }> {
    return new Promise((resolve, reject) => {
      const req = this.request({ method: 'POST', path: ControlRoutes.backup }, reject, (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200 && res.headers['content-type'] === BACKUP_MEDIA_TYPE) {
          req.setTimeout(0); // a large copy may take longer than one request's timeout to stream
          return resolve({
            body: res,
            bytes: Number(res.headers['content-length']),
            schemaVersion: Number(res.headers[SCHEMA_VERSION_HEADER]),
          });
        }
        readJson(res, (text) => `the daemon answered ${status}: ${text}`).then(
          ({ json, text }) => parseError(status, json, text).then(reject, reject),
          reject,
        );
      });
      req.end();
    });
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers =
      payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    return new Promise<T>((resolve, reject) => {
      this.request({ method, path, headers }, reject, (res) => {
        readJson(res, (text) => `the daemon answered ${res.statusCode} with non-JSON: ${text}`).then(
          ({ json, text }) => {
            if ((res.statusCode ?? 500) < 400) return resolve(json as T);
            parseError(res.statusCode ?? 0, json, text).then(reject, reject);
          },
          reject,
        );
      }).end(payload);
    });
  }

  /**
   * A request on the daemon's socket: it fails with DaemonUnreachable when nobody answers there, and with
   * "no answer" when the daemon says nothing within the timeout.
   */
  private request(
    options: { method: string; path: string; headers?: OutgoingHttpHeaders },
    reject: (err: Error) => void,
    onResponse: (res: IncomingMessage) => void,
  ): ClientRequest {
    const req = request({ socketPath: this.socket.path, ...options, timeout: this.timeoutMs }, onResponse);
    req.on('timeout', () =>
      req.destroy(new Error(`no answer from ${this.socket.path} within ${this.timeoutMs}ms`)),
    );
    req.on('error', (err: NodeJS.ErrnoException) => reject(unreachable(this.socket, err) ?? err));
    return req;
  }
}

/**
 * An answer's whole body, parsed as JSON, with its text; a body that is not JSON fails as bad_response,
 * in the words `nonJson` gives its first 200 characters.
 */
function readJson(
  res: IncomingMessage,
  nonJson: (text: string) => string,
): Promise<{ json: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    res.on('end', () => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return reject(new ApiError(res.statusCode ?? 0, 'bad_response', nonJson(text.slice(0, 200))));
      }
      resolve({ json, text });
    });
  });
}

/** A connection error that means nobody answers on the socket, as DaemonUnreachable; otherwise undefined. */
function unreachable(socket: SocketChoice, err: NodeJS.ErrnoException): DaemonUnreachable | undefined {
  const codes = ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK'];
  return err.code !== undefined && codes.includes(err.code) ? new DaemonUnreachable(socket, err) : undefined;
}

/** An error body, checked against the ErrorResponse schema (loaded only now, on the error path). */
async function parseError(status: number, json: unknown, text: string): Promise<ApiError> {
  const [{ ErrorResponse }, { isArkErrors }] = await Promise.all([
    import('@routerd/host-wire'),
    import('@routerd/plugin-sdk'),
  ]);
  const body = ErrorResponse(json);
  if (isArkErrors(body)) {
    return new ApiError(status, 'bad_response', `the daemon answered ${status}: ${text.slice(0, 200)}`);
  }
  return new ApiError(status, body.error.code, body.error.message, body.error.issues);
}
