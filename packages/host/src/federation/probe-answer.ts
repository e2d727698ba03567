/**
 * The authenticated probe between peers (`POST /v1/probe`): signed like a delivery, body `{}`, answered
 * without storing anything. The answer is signed back with the key that verified the request (echoing
 * its `webhook-id`), so the prober learns that the peer holds the same key and reads the same time —
 * in either direction, before any event has to travel.
 */
import { type } from 'arktype';

export const PROBE_PATH = '/v1/probe';
export const PROBE_BODY_LIMIT_BYTES = 1024;

export const ProbeAnswer = type({
  /** The answering node (its EventGroup's nodeName). */
  node: 'string',
  group: 'string',
  /** The answering node's clock when it answered (RFC 3339, milliseconds). */
  time: 'string',
  /** Fingerprint of the key that verified the probe (sha256, 12 hex digits; never the key). */
  keyFingerprint: 'string',
});
export type ProbeAnswer = typeof ProbeAnswer.infer;
