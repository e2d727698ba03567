export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const SECRET_KEY = /secret|password|passwd|token|credential|private.?key|api.?key/i;

/** Keys that look like secrets are blanked before anything is written: logs end up in support tickets. */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : v;
  return out;
}

/**
 * The plugin-side logger: one JSON object per line on stderr, `{ts, level, msg, ...fields}`. The host
 * parses these lines and re-emits them under the plugin's name. stdout is never touched.
 */
export function createStderrLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  base: LogFields = {},
): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    write(
      `${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...redact({ ...base, ...fields }) })}\n`,
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createStderrLogger(write, { ...base, ...fields }),
  };
}
