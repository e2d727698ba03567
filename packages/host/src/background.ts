/** Where background work reports a failure: the daemon's log. */
export type BackgroundLog = (level: 'error', msg: string, fields: Record<string, unknown>) => void;

/** The fields that name a store failure in the log: its message and, when SQLite set one, its code. */
export function errorFields(err: unknown): { err: string; code?: string } {
  const code = (err as { code?: unknown }).code;
  return {
    err: err instanceof Error ? err.message : String(err),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/**
 * Run one piece of background work (a timer's callback). A throw — SQLITE_FULL on a full state
 * partition, say — is logged instead of ending the daemon; the work is tried again on its next tick.
 * Returns whether it completed.
 */
export function runBackground(what: string, log: BackgroundLog, work: () => void): boolean {
  try {
    work();
    return true;
  } catch (err) {
    log('error', `${what} failed: tried again later`, errorFields(err));
    return false;
  }
}
