import { GROUPS } from '../catalogue.js';
import type { CheckResult, Report } from '../report.js';
import { quotes } from './quote.js';

const MARK: Record<CheckResult['status'], string> = {
  pass: '✓',
  fail: '✗',
  warn: '!',
  skip: '-',
  xfail: 'x',
};
const COLOUR: Record<CheckResult['status'], number> = { pass: 32, fail: 31, warn: 33, skip: 90, xfail: 35 };

type Paint = (code: number, text: string) => string;
const painter =
  (colour: boolean | undefined): Paint =>
  (code, text) =>
    colour ? `\x1b[${code}m${text}\x1b[0m` : text;

/** Who is being tested: the first lines of the pretty output. */
export function prettyHeader(p: Report['plugin'], granted: readonly string[]): string[] {
  return [
    `routerd plugin conformance — ${p.name ?? p.executable}${p.version ? ` ${p.version}` : ''}${p.sdk ? ` (${p.sdk.name} ${p.sdk.version})` : ''}`,
    `  executable: ${[p.executable, ...p.args].join(' ')}`,
    `  declares:   ${p.declaredCapabilities?.join(', ') || '(nothing)'}; granted: ${granted.join(', ') || '(nothing)'}`,
  ];
}

/** One check: its mark, id and message; for a problem, the details, the requirement it breaks and the transcript. */
export function prettyCheck(c: CheckResult, opts: { colour?: boolean } = {}): string[] {
  const paint = painter(opts.colour);
  const lines = [`  ${paint(COLOUR[c.status], MARK[c.status])} ${c.id}  ${paint(90, c.message)}`];
  if (c.status === 'fail' || c.status === 'warn' || c.status === 'xfail') {
    if (c.expectedFailure) lines.push(paint(35, `      expected failure: ${c.expectedFailure}`));
    for (const d of c.details.slice(0, 8)) lines.push(`      • ${d}`);
    if (c.details.length > 8) lines.push(`      • … ${c.details.length - 8} more (see --format json)`);
    for (const q of quotes(c)) lines.push(paint(90, `      ${q}`));
    if (c.files?.length) lines.push(paint(90, `      transcript: ${c.files[0]}`));
  }
  return lines;
}

/** The end of the pretty output: stale expected failures, then PASS/FAIL with the counts. */
export function prettySummary(report: Report, opts: { colour?: boolean } = {}): string[] {
  const paint = painter(opts.colour);
  const s = report.summary;
  const lines: string[] = [];
  for (const e of report.staleExpectedFailures) {
    lines.push(
      paint(31, `stale expected failure: ${e.entry} now passes — remove it from the expected-failures file`),
    );
  }
  const parts = [`${s.pass} passed`, `${s.fail} failed`, `${s.warn} warnings`, `${s.skip} skipped`];
  if (s.xfail) parts.push(`${s.xfail} expected failures`);
  lines.push(
    `${paint(report.ok ? 32 : 31, report.ok ? 'PASS' : 'FAIL')}  ${parts.join(', ')}  (${(report.durationMs / 1000).toFixed(1)} s)`,
  );
  if (report.outputDir) lines.push(paint(90, `transcripts and stderr: ${report.outputDir}`));
  return lines;
}

/** Human output for a terminal: grouped, failures with their details and the protocol sentence they break. */
export function renderPretty(report: Report, opts: { colour?: boolean } = {}): string {
  const paint = painter(opts.colour);
  const lines = prettyHeader(report.plugin, report.granted);
  if (report.startError) lines.push(paint(31, `  could not start the plugin: ${report.startError}`));
  for (const group of GROUPS) {
    const checks = report.checks.filter((c) => c.group === group);
    if (!checks.length) continue;
    lines.push('', paint(1, group));
    for (const c of checks) lines.push(...prettyCheck(c, opts));
  }
  lines.push('', ...prettySummary(report, opts));
  return `${lines.join('\n')}\n`;
}
