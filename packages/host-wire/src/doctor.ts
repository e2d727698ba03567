/** `routerctl doctor federation`: GET /v1/doctor/federation's report (docs/control-api.md lists every code). */
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';
import { BooleanParam } from './query.js';

export const DoctorStatus = lazyType(() => type("'PASS' | 'WARN' | 'FAIL'"));
export type DoctorStatus = typeof DoctorStatus.infer;

export const DoctorCheck = lazyType(() =>
  type({
    /** Stable: scripts and runbooks key on it (docs/control-api.md lists every code). */
    code: 'string',
    status: DoctorStatus,
    /** What was checked: a peer, a group, a file, a plugin, a subscription, a sender. */
    subject: 'string',
    summary: 'string',
    /** What to do; present on every WARN and FAIL. */
    'advice?': 'string',
  }),
);
export type DoctorCheck = typeof DoctorCheck.infer;

/**
 * GET /v1/doctor/federation[?probe=false]: `probe=false` skips the authenticated probe of each peer
 * (the `peer-probe` checks); the health probe behind `peer-reachable` still runs.
 */
export const DoctorQuery = lazyType(() => type({ 'probe?': BooleanParam }).onUndeclaredKey('reject'));
export type DoctorQuery = typeof DoctorQuery.infer;

/** `status` is the worst of the checks. */
export const DoctorResponse = lazyType(() =>
  type({
    status: DoctorStatus,
    generatedAt: 'string',
    checks: DoctorCheck.array(),
  }),
);
export type DoctorResponse = typeof DoctorResponse.infer;
