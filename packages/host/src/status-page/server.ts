/**
 * The status page's HTTP server (express): GET and HEAD only, on a loopback address or a unix socket
 * (EventGroup.spec.statusPage; the config refuses anything else). Read-only by construction: it has no
 * route that changes anything, and it reads the daemon through GET requests on the control socket.
 */
import { createServer, type Server } from 'node:http';
import { ControlRoutes, type StatusResponse, TraceQuery } from '@routerd/host-wire';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Clock } from '../clock.js';
import { listenOnSocket } from '../control/server.js';
import { check } from '../validation.js';
import { ControlError, type ControlGet } from './control-reader.js';
import { LiveUpdates, MAX_LIVE_PAGES } from './live-updates.js';
import { SCRIPT, STYLE } from './page.js';
import { renderPage, renderTimeline } from './render.js';
import { readSnapshot, readTrace } from './snapshot.js';

/** Open TCP connections to the page (live pages and plain reads together); more are closed at once. */
export const MAX_CONNECTIONS = 2 * MAX_LIVE_PAGES;

export type StatusPageTarget = { address: string; port: number } | { socket: string };

/** Where EventGroup.spec.statusPage says to listen (the config has checked it is one of the two). */
export const targetOf = (spec: { address?: string; port: number; socket?: string }): StatusPageTarget =>
  spec.socket !== undefined ? { socket: spec.socket } : { address: spec.address!, port: spec.port };

export interface StatusPageOptions {
  /** GET on the daemon's control API. */
  get: ControlGet;
  clock: Clock;
  log: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
  /** How often an open page's data is read again (a change is sent at once after). */
  refreshMs?: number;
}

export interface StatusPage {
  /** http://127.0.0.1:9480/ or unix:/path — for the log and the demo. */
  readonly url: string;
  close(): Promise<void>;
}

/** Scripts, styles and connections from the page itself only; no frames, no forms, no referrer. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function statusPageApp(o: StatusPageOptions, live: LiveUpdates, hosts?: ReadonlySet<string>): Express {
  const read = () => readSnapshot(o.get, () => o.clock.now());
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.set(SECURITY_HEADERS);
    // A web page elsewhere could point a name at 127.0.0.1 (DNS rebinding) and read this one: only the
    // names this page is served under are answered.
    if (hosts && !hosts.has(String(req.headers.host ?? '').toLowerCase())) {
      res.status(421).type('text/plain').send('this status page answers only to its own loopback address\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).set('Allow', 'GET, HEAD').type('text/plain').send('the status page is read-only\n');
      return;
    }
    next();
  });
  app.get('/', async (_req, res) => {
    try {
      res.type('html').send(renderPage(await read()));
    } catch (err) {
      res
        .status(503)
        .type('text/plain')
        .send(`routerd status: cannot read the daemon (${(err as Error).message}); retry in a moment\n`);
    }
  });
  app.get('/trace', async (req, res) => {
    const q = check(TraceQuery, req.query);
    if (!q.ok) {
      const first = q.issues[0]!;
      res
        .status(400)
        .type('text/plain')
        .send(
          `invalid query: ${first.path || '/'} ${first.message} (e.g. /trace?address=10.88.60.9/32 or /trace?event=<event id>)\n`,
        );
      return;
    }
    try {
      const [status, trace] = await Promise.all([
        o.get<StatusResponse>(ControlRoutes.status),
        readTrace(o.get, q.value),
      ]);
      const at = new Date(o.clock.now()).toISOString();
      res.type('html').send(renderTimeline(status, at, trace, q.value.address ?? q.value.event!));
    } catch (err) {
      const notFound = err instanceof ControlError && err.status === 404;
      res
        .status(notFound ? 404 : 503)
        .type('text/plain')
        .send(`${(err as Error).message}\n`);
    }
  });
  app.get('/page.css', (_req, res) => {
    res.type('css').send(STYLE);
  });
  app.get('/page.js', (_req, res) => {
    res.type('js').send(SCRIPT);
  });
  app.get('/events', (req, res) => {
    live.add(res);
    req.socket.setTimeout(0);
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('not found: the status page is at /\n');
  });
  return app;
}

export async function startStatusPage(target: StatusPageTarget, o: StatusPageOptions): Promise<StatusPage> {
  const live = new LiveUpdates({
    ...o,
    read: () => readSnapshot(o.get, () => o.clock.now()),
    refreshMs: o.refreshMs ?? 1000,
  });
  if ('socket' in target) {
    const server = await listenOnSocket(statusPageApp(o, live), target.socket, o.clock);
    return {
      url: `unix:${server.path}`,
      close: async () => {
        live.close();
        await server.close(1000);
      },
    };
  }
  const hosts = new Set([`${target.address}:${target.port}`, `localhost:${target.port}`]);
  const server = createServer(statusPageApp(o, live, hosts));
  // Every connection is a descriptor of the daemon's, which its receiver, store and plugins need too.
  server.maxConnections = MAX_CONNECTIONS;
  await listen(server, target);
  const { port } = server.address() as { port: number };
  if (target.port === 0) hosts.add(`${target.address}:${port}`).add(`localhost:${port}`);
  return {
    url: `http://${target.address}:${port}/`,
    close: async () => {
      live.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: Server, target: { address: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target.port, target.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
