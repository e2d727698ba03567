/** Why a request was refused: bounded label values for metrics, and the codes docs/federation.md lists. */
export type RequestRefusal =
  | 'signature'
  | 'timestamp'
  | 'unknown-sender'
  | 'wrong-group'
  | 'wrong-source'
  | 'malformed'
  | 'oversize'
  | 'media-type'
  | 'content-encoding'
  | 'not-found'
  | 'method'
  | 'timeout'
  | 'bad-request'
  | 'headers-too-large';

/**
 * Refused before any HTTP exchange: the connection is closed, nothing is answered — a connection over the
 * caps, a TLS handshake that failed, a client certificate that is missing or not the one configured.
 */
export type ConnectionRefusal = 'connection-limit' | 'tls-handshake' | 'client-certificate';

export type RefusalReason = RequestRefusal | ConnectionRefusal;

export const STATUS: Record<RequestRefusal, number> = {
  signature: 401,
  timestamp: 401,
  'unknown-sender': 401,
  'wrong-group': 403,
  'wrong-source': 403,
  malformed: 400,
  oversize: 413,
  'media-type': 415,
  'content-encoding': 415,
  'not-found': 404,
  method: 405,
  timeout: 408,
  'bad-request': 400,
  'headers-too-large': 431,
};

/** The JSON error body every refusal carries. */
export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}
