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

/** A date as the doctor prints it: the UTC day (2026-12-02). */
export const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The whole days from `now` until `ms` (none once it is past), spelled for a sentence: "1 day", "12 days". */
export const daysLeft = (ms: number, now: number) => {
  const n = Math.max(0, Math.ceil((ms - now) / 86_400_000));
  return `${n} day${n === 1 ? '' : 's'}`;
};
