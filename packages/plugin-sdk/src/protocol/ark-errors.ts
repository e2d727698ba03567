import { ArkErrors } from 'arktype';

/**
 * Whether a schema's output is arktype's errors. A schema may come from another copy of arktype than the
 * SDK's — a plugin's `configSchema` is built with the author's — and `instanceof` across copies is false,
 * which would let an invalid value through as if it were the output. So arktype's own brand (the
 * `" arkKind"` key its `hasArkKind` reads) decides; `instanceof` only adds the SDK's own copy.
 */
export function isArkErrors(out: unknown): out is ArkErrors {
  return (
    out instanceof ArkErrors || (out as Record<string, unknown> | null | undefined)?.[' arkKind'] === 'errors'
  );
}
