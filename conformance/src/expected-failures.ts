import { readFileSync } from 'node:fs';
import { isArkErrors } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { parse } from 'yaml';

/**
 * The known-failures file (`--expected-failures`): lets an author track conformance debt. Either a list
 * of selectors (a check id, a group, or an id prefix), optionally with a reason, or a map selector → reason:
 *
 *   - lifecycle.exits-on-stdin-eof
 *   - id: robustness.concurrent-requests
 *     reason: handles one request at a time until #42
 */
export const ExpectedFailuresFile = type('string')
  .or({ '+': 'reject', id: 'string > 0', 'reason?': 'string' })
  .array()
  .or('Record<string, string | null>');

export interface ExpectedFailure {
  entry: string;
  reason?: string;
}

export function parseExpectedFailures(text: string, source = 'expected-failures'): ExpectedFailure[] {
  const data = parse(text) ?? [];
  const r = ExpectedFailuresFile(data);
  if (isArkErrors(r)) throw new Error(`${source}: ${r.summary}`);
  if (Array.isArray(r))
    return r.map((e) => (typeof e === 'string' ? { entry: e } : { entry: e.id, reason: e.reason }));
  return Object.entries(r).map(([entry, reason]) => (reason ? { entry, reason } : { entry }));
}

export function readExpectedFailures(file: string): ExpectedFailure[] {
  return parseExpectedFailures(readFileSync(file, 'utf8'), file);
}
