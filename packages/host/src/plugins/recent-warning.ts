/**
 * The last warning a plugin logged, while it is recent: what the doctor shows for a plugin that runs but
 * says something is wrong (a configured lease file that does not exist). A condition that lasts is
 * logged again by the plugin, so it stays visible; one that went away drops out after the window.
 */
import { type Clock, isoAt } from '../clock.js';
import type { PluginLogEntry } from './plugin-log.js';

/** How long a warning is shown after the plugin last logged one. */
export const RECENT_WARNING_MS = 15 * 60_000;

export interface PluginWarning {
  message: string;
  at: string;
}

export class RecentWarning {
  private last?: { message: string; atMs: number };

  constructor(private readonly clock: Clock) {}

  note(entry: PluginLogEntry): void {
    if (entry.level !== 'warn' && entry.level !== 'error') return;
    this.last = { message: entry.msg, atMs: this.clock.now() };
  }

  current(): PluginWarning | undefined {
    const now = this.clock.now();
    if (!this.last || now - this.last.atMs >= RECENT_WARNING_MS) return undefined;
    return { message: this.last.message, at: isoAt(this.last.atMs) };
  }
}
