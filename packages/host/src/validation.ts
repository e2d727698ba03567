import { type Issue, isArkErrors, toPointer, unknownFieldMessage } from '@routerd/plugin-sdk';
import type { type } from 'arktype';

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/**
 * Like the SDK's `validate`, but each message is arktype's `problem` alone ("must be positive (was -1)"):
 * the host always prints the JSON Pointer beside the message, and arktype's full message repeats the
 * path in dotted form ("spec.retention.maxEvents must be…"), which reads twice in every config error.
 */
export function check<S extends type.Any>(schema: S, value: unknown, base = ''): Checked<S['infer']> {
  const out = schema(value);
  if (isArkErrors(out)) {
    return { ok: false, issues: out.map((e) => ({ path: base + toPointer(e.path), message: problemOf(e) })) };
  }
  return { ok: true, value: out as S['infer'] };
}

function problemOf(e: { problem: string; propString: string; code: string }): string {
  // Union problems still start with the dotted path; strip it so every message reads the same way.
  const problem =
    e.propString && e.problem.startsWith(`${e.propString} `)
      ? e.problem.slice(e.propString.length + 1)
      : e.problem;
  if (problem === 'must be removed') return unknownFieldMessage([]);
  return problem;
}
