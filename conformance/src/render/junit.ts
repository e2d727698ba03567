import { GROUPS } from '../catalogue.js';
import type { CheckResult, Report } from '../report.js';
import { quotes } from './quote.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(CONTROL_CHARACTERS, '');
const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(c: CheckResult): string {
  const open = `    <testcase classname="${esc(`routerd-plugin.${c.group}`)}" name="${esc(c.id)}" time="${seconds(c.durationMs)}"`;
  const body: string[] = [];
  const text = [...quotes(c), ...c.details].join('\n');
  if (c.status === 'fail')
    body.push(
      `      <failure message="${esc(c.message)}" type="${c.notTestable ? 'not-testable' : 'violation'}">${esc(text)}</failure>`,
    );
  if (c.status === 'skip') body.push(`      <skipped message="${esc(c.message)}"/>`);
  if (c.status === 'xfail')
    body.push(`      <skipped message="${esc(`expected failure: ${c.expectedFailure}: ${c.message}`)}"/>`);
  if (c.status === 'warn')
    body.push(`      <system-out>${esc(`warning: ${c.message}\n${text}`)}</system-out>`);
  if (c.stderrTail && c.status !== 'pass') body.push(`      <system-err>${esc(c.stderrTail)}</system-err>`);
  return body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`;
}

/** JUnit XML for CI dashboards: one testsuite per group; stale expected failures fail a synthetic testcase. */
export function renderJunit(report: Report): string {
  const suites = GROUPS.map((group) => {
    const checks = report.checks.filter((c) => c.group === group);
    if (!checks.length && !(group === 'lifecycle' && report.staleExpectedFailures.length)) return '';
    const stale =
      group === 'lifecycle'
        ? report.staleExpectedFailures.map(
            (e) =>
              `    <testcase classname="routerd-plugin.expected-failures" name="${esc(e.entry)}" time="0">\n      <failure message="${esc(`stale expected failure: ${e.entry} now passes; remove it`)}" type="stale"/>\n    </testcase>`,
          )
        : [];
    const failures = checks.filter((c) => c.status === 'fail').length + stale.length;
    const skipped = checks.filter((c) => c.status === 'skip' || c.status === 'xfail').length;
    const time = checks.reduce((t, c) => t + c.durationMs, 0);
    return [
      `  <testsuite name="${group}" tests="${checks.length + stale.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(time)}">`,
      ...checks.map(testcase),
      ...stale,
      '  </testsuite>',
    ].join('\n');
  }).filter(Boolean);
  const s = report.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(`routerd plugin conformance: ${report.plugin.name ?? report.plugin.executable}`)}" tests="${s.total + s.staleExpectedFailures}" failures="${s.fail + s.staleExpectedFailures}" errors="0" skipped="${s.skip + s.xfail}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
