import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseMonitorLine } from './neigh-monitor-line.js';
import type { NeighbourEntry } from './neighbour-entry.js';

export interface MonitorHandlers {
  entry(entry: NeighbourEntry): void;
  /** Events may have been lost (monitor exited or restarted, kernel overrun, unreadable line): resync. */
  gap(reason: string): void;
  /**
   * The monitor has joined the kernel's neighbour group: from here on it sees every change. Until then a
   * change is in no line, only in a dump taken after this (the dump taken at its start may come first).
   */
  subscribed?(): void;
  log(level: 'debug' | 'warn', msg: string, fields?: Record<string, unknown>): void;
}

/** Monitor restarts back off from 500 ms to 30 s; a monitor that ran a minute resets the backoff. */
const FIRST_RESTART_MS = 500;
const MAX_RESTART_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

/** RTMGRP_NEIGH: the rtnetlink group `ip monitor neigh` joins, as /proc/<pid>/net/netlink shows it. */
const NEIGH_GROUP = 0x4;
/** How often, and how long, the monitor's netlink socket is looked for after each start. */
const SUBSCRIBED_POLL_MS = 20;
const SUBSCRIBED_WAIT_MS = 10_000;

/**
 * Whether process `pid` has joined the neighbour group on a NETLINK_ROUTE socket: a row of its network
 * namespace's /proc/<pid>/net/netlink with protocol 0, port id `pid` (the kernel gives a process's first
 * netlink socket its pid) and the group's bit. Undefined when it cannot be told (no /proc, process gone).
 */
export function joinedNeighbourGroup(pid: number, netlinkTable?: string): boolean | undefined {
  let table = netlinkTable;
  try {
    table ??= readFileSync(`/proc/${pid}/net/netlink`, 'utf8');
  } catch {
    return undefined;
  }
  return table.split('\n').some((row) => {
    const [, protocol, portId, groups] = row.trim().split(/\s+/);
    return (
      protocol === '0' && portId === String(pid) && (Number.parseInt(groups ?? '', 16) & NEIGH_GROUP) !== 0
    );
  });
}

/** `-s` adds the kernel's `used/confirmed/updated` ages to each line: a new entry says it is new. */
export const MONITOR_ARGS = ['-s', '-4', 'monitor', 'neigh'];

/**
 * Streams `ip -s -4 monitor neigh` (text: iproute2 never writes JSON there) and keeps it running. It
 * watches every interface — with `dev X` iproute2 drops the `dev` token from its lines — and the filters
 * pick the interfaces. It is deliberately not trusted to be complete: any sign of loss is reported as a gap.
 */
export class NeighbourMonitor {
  private child?: ChildProcess;
  private stopped = false;
  private restartDelay = FIRST_RESTART_MS;
  private restartTimer?: NodeJS.Timeout;
  private subscriptionTimer?: NodeJS.Timeout;

  constructor(
    private readonly ipCommand: string[],
    private readonly handlers: MonitorHandlers,
    /** The observer's clock: the lines' ages become times on it. */
    private readonly clock: () => number = Date.now,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopped) return;
    const restarting = this.restartTimer !== undefined;
    this.restartTimer = undefined;
    const [file, ...prefix] = this.ipCommand;
    const startedAt = Date.now();
    const child = spawn(file!, [...prefix, ...MONITOR_ARGS], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.on('error', (err) =>
      this.handlers.log('warn', 'ip monitor failed to start', { error: err.message }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = parseMonitorLine(line, this.clock());
      if (parsed.kind === 'entry') this.handlers.entry(parsed.entry);
      else if (parsed.kind === 'overrun') this.handlers.gap('monitor overrun');
      else if (parsed.kind === 'malformed') {
        this.handlers.log('warn', 'unreadable ip monitor line', { line: parsed.line.slice(0, 200) });
        this.handlers.gap('unreadable monitor line');
      }
    });
    // iproute2 prints "netlink receive error … No buffer space available" on stderr and carries on.
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (parseMonitorLine(line, this.clock()).kind === 'overrun') this.handlers.gap('monitor overrun');
      else this.handlers.log('debug', 'ip monitor stderr', { line: line.slice(0, 200) });
    });
    // Whatever changed while no monitor ran is only in a fresh dump, taken now that one runs again.
    if (restarting) this.handlers.gap('monitor restarted');
    this.watchSubscription(child);
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopped) return;
      if (Date.now() - startedAt > STABLE_AFTER_MS) this.restartDelay = FIRST_RESTART_MS;
      this.handlers.log('warn', 'ip monitor exited; restarting', { code, signal, inMs: this.restartDelay });
      // Resync at once as well: changes during the restart delay would otherwise wait for the timer.
      this.handlers.gap('monitor exited');
      this.restartTimer = setTimeout(() => this.start(), this.restartDelay);
      this.restartDelay = Math.min(this.restartDelay * 2, MAX_RESTART_MS);
    });
  }

  /**
   * `ip` joins the neighbour group some time after it is spawned (tens of ms, more on a loaded router): a
   * dump taken meanwhile may already be done, and a change in between would be in neither. Told as soon
   * as the socket is seen, so the owner can take one more dump; a monitor that cannot be seen (no /proc,
   * an `ip` stand-in) is simply not reported, as before.
   */
  private watchSubscription(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined) return;
    const until = Date.now() + SUBSCRIBED_WAIT_MS;
    const look = () => {
      if (this.stopped || this.child !== child) return;
      const joined = joinedNeighbourGroup(pid);
      if (joined) {
        this.handlers.subscribed?.();
        return;
      }
      if (joined === undefined || Date.now() > until) return;
      this.subscriptionTimer = setTimeout(look, SUBSCRIBED_POLL_MS);
    };
    look();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.subscriptionTimer);
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }
}
