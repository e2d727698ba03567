import { pino } from 'pino';

export type { Logger } from 'pino';

/** JSON lines on stderr (stdout stays free for command output such as `check`). Synchronous, so the last lines before an exit are never lost. */
export function createLogger(level = 'info') {
  return pino(
    {
      level,
      base: { service: 'routerd-eventd', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
