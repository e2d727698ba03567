/** routerctl's exit codes (documented in the README): scripts rely on them, so they never change meaning. */
export const ExitCodes = {
  ok: 0,
  /** The request failed: refused by the daemon, daemon unreachable, not found. */
  error: 1,
  /** The command line was wrong: unknown command or option, bad option value. Nothing was sent. */
  usage: 2,
} as const;
