/**
 * One plugin's log lines on their way into the daemon's log. A plugin is not trusted with the daemon's
 * log: its lines pass a token bucket (`linesPerSecond` on average, `burst` at once), the rest are
 * counted and reported in one summary line per `summaryEveryMs` and whenever the plugin's process
 * ends; its own fields are nested under `pluginFields`, so it cannot overwrite the daemon's (`pid`,
 * `hostname`, `time`…). Lines arrive already cut to 4 KiB (the SDK's MAX_LOG_LINE_BYTES).
 */
import type { MessageParams } from '@routerd/plugin-sdk';
import { MAX_LOG_LINE_BYTES, truncateUtf8 } from '@routerd/plugin-sdk/client';
import type { Clock } from '../clock.js';
import type { PluginHostLog } from './plugin-host.js';

export interface PluginLogLimits {
  linesPerSecond: number;
  burst: number;
  summaryEveryMs: number;
}

export const DEFAULT_PLUGIN_LOG_LIMITS: PluginLogLimits = {
  linesPerSecond: 20,
  burst: 200,
  summaryEveryMs: 10_000,
};

export interface PluginLogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

export class PluginLog {
  private tokens: number;
  private refilledAt: number;
  private suppressed = 0;
  private summarisedAt: number;

  constructor(
    private readonly plugin: string,
    private readonly clock: Clock,
    private readonly log: PluginHostLog,
    private readonly limits: PluginLogLimits = DEFAULT_PLUGIN_LOG_LIMITS,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = clock.now();
    this.summarisedAt = this.refilledAt;
  }

  write(entry: PluginLogEntry): void {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.limits.burst,
      this.tokens + (Math.max(0, now - this.refilledAt) * this.limits.linesPerSecond) / 1000,
    );
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.suppressed++;
      if (now - this.summarisedAt >= this.limits.summaryEveryMs) this.flush();
      return;
    }
    this.tokens--;
    const level = LEVELS.has(entry.level) ? (entry.level as 'info') : 'debug';
    const fields: Record<string, unknown> = { plugin: this.plugin };
    if (Object.keys(entry.fields).length > 0) fields.pluginFields = entry.fields;
    this.log(level, `plugin ${this.plugin}: ${entry.msg}`, fields);
  }

  /** Reports the lines suppressed since the last summary, if there were any. */
  flush(): void {
    this.summarisedAt = this.clock.now();
    if (this.suppressed === 0) return;
    const suppressedLines = this.suppressed;
    this.suppressed = 0;
    this.log(
      'warn',
      `plugin ${this.plugin}: ${suppressedLines} log lines suppressed (a plugin may log ${this.limits.linesPerSecond} lines/s, ${this.limits.burst} at once)`,
      { plugin: this.plugin, suppressedLines },
    );
  }
}

/** A `notifications/message` as a log entry: its data (text, or JSON) is the message, cut like a line. */
export function messageEntry(params: MessageParams): PluginLogEntry {
  let text: string;
  try {
    text = typeof params.data === 'string' ? params.data : (JSON.stringify(params.data) ?? '');
  } catch {
    text = '(data that cannot be shown as JSON)';
  }
  return {
    level: params.level,
    msg: truncateUtf8(text, MAX_LOG_LINE_BYTES),
    fields: params.logger === undefined ? {} : { logger: truncateUtf8(params.logger, 256) },
  };
}
