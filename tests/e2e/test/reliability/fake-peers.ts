/** Stand-ins for a peer, on loopback only: one that hangs, one that answers a fixed status, a recording proxy. */
import { createServer as createHttpServer, type IncomingHttpHeaders, request } from 'node:http';
import { createServer, type Socket } from 'node:net';

export interface Closable {
  close(): Promise<void>;
}

/** Accepts connections and never answers: how long each was held open until the client gave up. */
export async function hungServer(port: number): Promise<Closable & { held: number[]; open: () => number }> {
  const sockets = new Set<Socket>();
  const held: number[] = [];
  const server = createServer((s) => {
    const since = Date.now();
    sockets.add(s);
    s.on('data', () => {}); // read the request, answer nothing
    s.on('close', () => {
      sockets.delete(s);
      held.push(Date.now() - since);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    held,
    open: () => sockets.size,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers every POST with `status` (and `headers`) until told otherwise; records when requests came. */
export async function statusServer(
  port: number,
  status: number,
  headers: Record<string, string> = {},
): Promise<Closable & { times: number[]; set(status: number, headers?: Record<string, string>): void }> {
  let current = { status, headers };
  const times: number[] = [];
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      times.push(Date.now());
      const body =
        current.status === 200
          ? JSON.stringify({ accepted: [], duplicates: [], rejected: [] })
          : JSON.stringify({ error: { code: `fake-${current.status}`, message: `fake ${current.status}` } });
      res.writeHead(current.status, { 'content-type': 'application/json', ...current.headers });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    times,
    set: (s, h = {}) => {
      current = { status: s, headers: h };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

/** Forwards POST /v1/events to `target` unchanged and keeps each request's raw body and headers. */
export async function recordingProxy(
  port: number,
  target: URL,
): Promise<Closable & { captured: Captured[] }> {
  const captured: Captured[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const up = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          const out: Buffer[] = [];
          answer.on('data', (c: Buffer) => out.push(c));
          answer.on('end', () => {
            captured.push({ headers: req.headers, body, status: answer.statusCode ?? 0 });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(out));
          });
        },
      );
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    captured,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
