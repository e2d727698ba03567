import type { Issue } from '@routerd/plugin-sdk';

/** Where a resource came from: enough to point an operator at the exact line. */
export interface Origin {
  file: string;
  /** 1-based position of the YAML document in its file. */
  document: number;
  /** 1-based line of the node at a JSON Pointer inside this document (nearest existing ancestor). */
  lineOf(pointer: string): number | undefined;
}

export interface ConfigIssue extends Issue {
  file: string;
  document?: number;
  line?: number;
  /** `Kind/name`, when the document got far enough to have one. */
  resource?: string;
}

export interface Located<R> {
  resource: R;
  origin: Origin;
}

export function resourceId(r: { kind: string; metadata: { name: string } }): string {
  return `${r.kind}/${r.metadata.name}`;
}

export function issueAt(
  origin: Origin,
  resource: string | undefined,
  path: string,
  message: string,
): ConfigIssue {
  return { file: origin.file, document: origin.document, line: origin.lineOf(path), resource, path, message };
}

export function issueIn(
  located: Located<{ kind: string; metadata: { name: string } }>,
  path: string,
  message: string,
) {
  return issueAt(located.origin, resourceId(located.resource), path, message);
}

/** `federation.yaml:14: document 2 (EventPeer/cloud): /spec/retry/baseDelay must be a duration … (was "5x")` */
export function formatConfigIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}`;
  const doc =
    i.document === undefined ? '' : ` document ${i.document}${i.resource ? ` (${i.resource})` : ''}`;
  return `${where}:${doc}${doc ? ':' : ''} ${i.path || '/'} ${i.message}`;
}

/** Thrown where a caller wants an exception rather than a result, e.g. the daemon's first load. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
