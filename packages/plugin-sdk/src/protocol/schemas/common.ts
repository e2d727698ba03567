import { type } from 'arktype';
import { DURATION_PATTERN } from '../duration.js';
import { IPV4_CIDR_PATTERN, IPV4_HOST_CIDR_PATTERN, IPV4_PATTERN } from '../ip.js';

/** RFC 3339 timestamp with a zone, e.g. 2026-11-27T06:00:00Z. */
export const Timestamp = type(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/,
).describe('an RFC 3339 timestamp such as 2026-11-27T06:00:00Z');
export const Duration = type(DURATION_PATTERN).describe('a duration such as 300ms, 30s, 5m or 1h30m');
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
export const JsonObject = type('Record<string, unknown>');

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
