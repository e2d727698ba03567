import type { ArkErrors } from 'arktype';

/**
 * Whether a schema's output is arktype's errors. A schema may come from another copy of arktype than the
 * SDK's — a plugin's `configSchema` is built with the author's — and `instanceof` across copies is false,
 * which would let an invalid value through as if it were the output. So arktype's own brand (the
 * `" arkKind"` key its `hasArkKind` reads, which every copy's ArkErrors carries) decides; reading it needs
 * no import of arktype, so a plugin without a config schema never loads it.
 */
export function isArkErrors(out: unknown): out is ArkErrors {
  return (out as Record<string, unknown> | null | undefined)?.[' arkKind'] === 'errors';
}
