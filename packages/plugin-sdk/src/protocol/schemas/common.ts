import { type } from 'arktype';
import { DURATION_PATTERN } from '../duration.js';
import { IPV4_CIDR_PATTERN, IPV4_HOST_CIDR_PATTERN, IPV4_PATTERN } from '../ip.js';
import { narrows } from '../narrows.js';
import { TIMESTAMP_PATTERN } from '../time.js';

/**
 * RFC 3339 timestamp with a zone, e.g. 2026-11-27T06:00:00Z, that names a real instant: the pattern
 * bounds each field (month 01-12, hour 00-23, second 00-59, offset at most ±23:59) and the narrow
 * rejects days a month does not have. Without it `2026-02-30T…` parses to NaN downstream, and an event
 * whose expiry is NaN never expires (issue 12). Leap seconds (:60) are refused: Date cannot hold them.
 */
export const Timestamp = type(TIMESTAMP_PATTERN)
  .narrow(narrows.realTimestamp.narrow)
  .describe('an RFC 3339 timestamp such as 2026-11-27T06:00:00Z');
/** A Go-style duration of at most MAX_DURATION_MS, so adding it to any timestamp stays a real date. */
export const Duration = type(DURATION_PATTERN)
  .narrow(narrows.boundedDuration.narrow)
  .describe('a duration such as 300ms, 30s, 5m or 1h30m');
/** A DNS-label-like name: node names, group names, plugin names. */
export const Name = type(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/).describe(
  'a lowercase name of letters, digits and dashes (at most 63), starting and ending with a letter or digit',
);
/** Resource names may also contain dots (Kubernetes DNS subdomain). */
export const ResourceName = type(/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/).describe(
  'a lowercase name of letters, digits, dots and dashes (at most 253)',
);
export const IPv4 = type(IPV4_PATTERN).describe('an IPv4 address such as 10.88.60.9');
export const IPv4Cidr = type(IPV4_CIDR_PATTERN).describe('an IPv4 CIDR such as 10.88.60.0/24');
export const IPv4HostCidr = type(IPV4_HOST_CIDR_PATTERN).describe(
  'a single IPv4 address as a /32, e.g. 10.88.60.9/32',
);
export const Mac = type(/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/).describe(
  'a lowercase MAC address such as 52:54:00:12:34:56',
);
/** A JSON object: `Record<string, unknown>` alone would also let an array through. */
export const JsonObject = type('Record<string, unknown>').narrow(narrows.jsonObject.narrow);

export const Metadata = type({
  name: ResourceName,
  'annotations?': 'Record<string, string>',
  'labels?': 'Record<string, string>',
});

export const Severity = type("'error' | 'warning' | 'info'");

/** A domain problem reported inside a result (not a protocol error). */
export const Diagnostic = type({
  severity: Severity,
  summary: 'string > 0',
  'detail?': 'string',
  /** JSON Pointer into the request that the problem is about. */
  'path?': 'string',
});
export type Diagnostic = typeof Diagnostic.infer;
