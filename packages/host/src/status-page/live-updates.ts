/**
 * Server-Sent Events for every open page: while at least one is connected, the snapshot is read every
 * `refreshMs` on the injected clock, and sent when what the page shows has changed. Nothing is read while
 * no page is open, and reading never takes more than a tenth of the daemon's time (nextReadDelayMs).
 */
import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../clock.js';
import { pageData } from './render.js';
import type { StatusSnapshot } from './snapshot.js';

/** Pages open at once: each holds a socket of the daemon's; one more is answered 503 until one closes. */
export const MAX_LIVE_PAGES = 32;
/**
 * A page this far behind (a stalled tab, an ssh tunnel whose laptop sleeps, a client that never reads) is
 * dropped: what it has not read would otherwise pile up in the daemon, a snapshot per change (a cloud
 * holding 5,000 claims writes ~0.5 MB a second). A browser reconnects once it reads again.
 */
export const MAX_UNREAD_BYTES = 1024 * 1024;

/** The page may spend at most 1/READ_SHARE of the time reading (the outbox summary scans its ledger). */
const READ_SHARE = 10;

/** Wait `refreshMs`, or longer when the last read was slow: a big store slows the page, not the daemon. */
export const nextReadDelayMs = (refreshMs: number, lastReadMs: number) =>
  Math.max(refreshMs, READ_SHARE * lastReadMs);

export class LiveUpdates {
  private readonly clients = new Set<ServerResponse>();
  private last: string | undefined;
  private timer: TimerHandle | undefined;
  private reading = false;
  private lastReadMs = 0;
  private closed = false;

  constructor(
    private readonly o: {
      read: () => Promise<StatusSnapshot>;
      clock: Clock;
      refreshMs: number;
      log: (level: 'warn', msg: string, fields?: Record<string, unknown>) => void;
      /** Defaults: MAX_LIVE_PAGES, MAX_UNREAD_BYTES. */
      maxPages?: number;
      maxUnreadBytes?: number;
    },
  ) {}

  /** A page opened /events: it gets the current state at once, then every change. */
  add(res: ServerResponse): void {
    if (this.closed) {
      res.end();
      return;
    }
    const maxPages = this.o.maxPages ?? MAX_LIVE_PAGES;
    if (this.clients.size >= maxPages) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '10' });
      res.end(`${maxPages} live pages are open already: close one, then reload this page\n`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    // The browser waits this long before reconnecting after a dropped stream.
    res.write(`retry: ${this.o.refreshMs}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    if (this.last !== undefined) res.write(this.last);
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.reading || this.closed) return;
    this.reading = true;
    const started = this.o.clock.now();
    let message: string;
    try {
      message = `event: snapshot\ndata: ${JSON.stringify(pageData(await this.o.read()))}\n\n`;
      this.lastReadMs = this.o.clock.now() - started;
    } catch (err) {
      this.o.log('warn', 'status page: could not read the daemon', { err: (err as Error).message });
      message = `event: trouble\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`;
    }
    this.reading = false;
    // A comment keeps idle connections open through proxies; the page only changes on news.
    const out = message === this.last ? ': unchanged\n\n' : message;
    this.last = message;
    const maxUnread = this.o.maxUnreadBytes ?? MAX_UNREAD_BYTES;
    for (const c of this.clients) {
      const unreadBytes = c.writableLength;
      if (unreadBytes > maxUnread) {
        this.clients.delete(c);
        c.destroy();
        this.o.log('warn', 'status page: dropped a live page that stopped reading', { unreadBytes });
      } else c.write(out);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.clients.size === 0) return;
    this.timer = this.o.clock.setTimeout(
      () => {
        this.timer = undefined;
        void this.tick();
      },
      nextReadDelayMs(this.o.refreshMs, this.lastReadMs),
    );
  }

  /** End every stream (a server close would otherwise wait for them). */
  close(): void {
    this.closed = true;
    this.o.clock.clear(this.timer);
    this.timer = undefined;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
