import { stringify } from 'yaml';
import type { CheckResult, Report } from '../report.js';

/** One TAP 14 test point (numbered `n`), with a YAML block for a problem. */
export function tapPoint(c: CheckResult, n: number): string[] {
  const ok = c.status !== 'fail' && c.status !== 'xfail';
  let directive = '';
  if (c.status === 'skip') directive = ` # SKIP ${c.message}`;
  if (c.status === 'xfail') directive = ` # TODO expected failure: ${c.expectedFailure}`;
  const lines = [`${ok ? 'ok' : 'not ok'} ${n} - ${c.id}${directive}`];
  if (c.status === 'fail' || c.status === 'warn' || c.status === 'xfail') {
    const broken = c.violated?.length ? c.violated : undefined;
    const diag = {
      message: c.message,
      severity: c.status === 'warn' ? 'warning' : 'failure',
      requirements: broken ? broken.map((v) => v.requirement) : c.requirements,
      sentence: broken ? broken.map((v) => v.sentence).join(' ') : c.sentence,
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
  return lines;
}

/** A failing test point for each stale expected-failures entry, numbered from `first`. */
export function tapStale(report: Report, first: number): string[] {
  return report.staleExpectedFailures.map(
    (e, i) => `not ok ${first + i} - stale expected failure: ${e.entry} now passes; remove it`,
  );
}

/** TAP version 14: one test point per check; SKIP for undeclared capabilities, TODO for expected failures. */
export function renderTap(report: Report): string {
  const lines = ['TAP version 14', `1..${report.checks.length + report.staleExpectedFailures.length}`];
  report.checks.forEach((c, i) => {
    lines.push(...tapPoint(c, i + 1));
  });
  lines.push(...tapStale(report, report.checks.length + 1));
  return `${lines.join('\n')}\n`;
}
