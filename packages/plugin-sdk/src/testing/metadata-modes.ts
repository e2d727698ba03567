/**
 * How a fake metadata service misbehaves in provider tests, and the diagnostic summary each must give.
 * `ok` answers like the real service; the others fail on the first request that matters.
 */
export type MetadataMode = 'ok' | 'slow' | 'unauthorized' | 'forbidden' | 'malformed';

export const METADATA_FAILURES: readonly { mode: Exclude<MetadataMode, 'ok'>; summary: RegExp }[] = [
  { mode: 'slow', summary: /no answer within \d+ms/ },
  { mode: 'unauthorized', summary: /refused \(HTTP 401\)/ },
  { mode: 'forbidden', summary: /refused \(HTTP 403\)/ },
  { mode: 'malformed', summary: /malformed answer/ },
];

/** How long a `slow` fake waits: far past any timeout a test sets, and cut short when the server closes. */
export const SLOW_ANSWER_MS = 5_000;
