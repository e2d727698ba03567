import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { PinoPretty } from 'pino-pretty';
import type { LogFormat } from './args.js';

export type { Logger } from 'pino';

/**
 * Log lines on stderr (stdout stays free for command output such as `check`). Synchronous, so the last
 * lines before an exit are never lost. `json` (the default) is one object per line for journald and log
 * shippers; `pretty` is for a person at a terminal — the same fields, one event per line, coloured only
 * when stderr is a terminal.
 */
export function createLogger(level = 'info', format: LogFormat = 'json') {
  const options = {
    level,
    base: { service: 'routerd-eventd', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (format === 'pretty') {
    // Loaded only for a person at a terminal: a router logs JSON, and pino-pretty is ~1 MB (issue 18).
    const pretty = createRequire(import.meta.url)('pino-pretty') as { PinoPretty: typeof PinoPretty };
    return pino(
      options,
      pretty.PinoPretty({
        destination: 2,
        sync: true,
        colorize: process.stderr.isTTY === true && process.stderr.hasColors(),
        singleLine: true,
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
        ignore: 'service,pid,hostname',
      }),
    );
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
