import { type } from 'arktype';
import { lazyType } from './lazy-type.js';

export const ErrorCode = lazyType(() =>
  type(
    "'invalid_json' | 'invalid_request' | 'invalid_event' | 'self_captured_address' | 'id_conflict' | 'not_found' | 'state_conflict' | 'payload_too_large' | 'shutting_down' | 'storage_full' | 'internal'",
  ),
);
export type ErrorCode = typeof ErrorCode.infer;

/** Every non-2xx response. `issues` carries JSON Pointer paths into the request body or query. */
export const ErrorResponse = lazyType(() =>
  type({
    error: {
      code: ErrorCode,
      message: 'string',
      'issues?': type({ path: 'string', message: 'string' }).array(),
    },
  }),
);
export type ErrorResponse = typeof ErrorResponse.infer;
