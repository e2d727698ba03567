/** One doctor check, and how each check function spells a PASS, a WARN or a FAIL. */
import type { DoctorCheck } from '@routerd/host-wire';
import type { DoctorCode } from './federation.js';

export type Check = DoctorCheck;

export const pass = (code: DoctorCode, subject: string, summary: string): Check => ({
  code,
  status: 'PASS',
  subject,
  summary,
});

export const flag = (
  status: 'WARN' | 'FAIL',
  code: DoctorCode,
  subject: string,
  summary: string,
  advice: string,
): Check => ({ code, status, subject, summary, advice });
