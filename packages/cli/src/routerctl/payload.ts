import { UsageError } from 'clipanion';

/**
 * `--payload-json '{…}'` first, then each `--payload key=value` on top (values are strings; use
 * --payload-json for numbers, booleans or nesting).
 */
export function buildPayload(pairs: string[], json: string | undefined): Record<string, unknown> {
  let payload: Record<string, unknown> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new UsageError(`--payload-json is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError('--payload-json must be a JSON object, e.g. {"address":"10.88.60.9/32"}');
    }
    payload = parsed as Record<string, unknown>;
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--payload ${pair}: expected key=value, e.g. --payload address=10.88.60.9/32`);
    payload[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return payload;
}
