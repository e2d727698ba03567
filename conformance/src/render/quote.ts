import type { CheckResult } from '../report.js';

/**
 * The requirement lines a problem is reported with (`R-W1 (MUST): sentence`): the requirements it
 * broke when the check names them, else every requirement of the check with its sentence.
 */
export function quotes(c: CheckResult): string[] {
  const severity = c.severity.toUpperCase();
  return c.violated?.length
    ? c.violated.map((v) => `${v.requirement} (${severity}): ${v.sentence}`)
    : [`${c.requirements.join(', ')} (${severity}): ${c.sentence}`];
}
