import { stringify } from 'yaml';
import type { Report } from '../report.js';

/** TAP version 14: one test point per check; SKIP for undeclared capabilities, TODO for expected failures. */
export function renderTap(report: Report): string {
  const lines = ['TAP version 14', `1..${report.checks.length + report.staleExpectedFailures.length}`];
  report.checks.forEach((c, i) => {
    const ok = c.status !== 'fail' && c.status !== 'xfail';
    let directive = '';
    if (c.status === 'skip') directive = ` # SKIP ${c.message}`;
    if (c.status === 'xfail') directive = ` # TODO expected failure: ${c.expectedFailure}`;
    lines.push(`${ok ? 'ok' : 'not ok'} ${i + 1} - ${c.id}${directive}`);
    if (c.status === 'fail' || c.status === 'warn' || c.status === 'xfail') {
      const diag = {
        message: c.message,
        severity: c.status === 'warn' ? 'warning' : 'failure',
        requirements: c.requirements,
        sentence: c.sentence,
        ...(c.details.length ? { details: c.details } : {}),
        ...(c.files?.length ? { files: c.files } : {}),
      };
      lines.push(
        '  ---',
        ...stringify(diag, { lineWidth: 0 })
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`),
        '  ...',
      );
    }
  });
  report.staleExpectedFailures.forEach((e, i) => {
    lines.push(
      `not ok ${report.checks.length + i + 1} - stale expected failure: ${e.entry} now passes; remove it`,
    );
  });
  return `${lines.join('\n')}\n`;
}
