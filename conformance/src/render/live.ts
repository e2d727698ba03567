import type { CheckResult, Report } from '../report.js';
import { type Format, render } from './index.js';
import { prettyCheck, prettyHeader, prettySummary } from './pretty.js';
import { tapPoint, tapStale } from './tap.js';

/**
 * Output written while the suite runs: pretty and TAP print each check as it finishes (TAP 14 with its
 * plan at the end), then the summary; JSON and JUnit are one document each, printed at the end.
 */
export interface LiveOutput {
  /** Once the plugin answered (or failed) its first handshake, before any check. */
  start(start: Pick<Report, 'plugin' | 'granted'>): string;
  /** As each check finishes, in the order they finish. */
  check(result: CheckResult): string;
  end(report: Report): string;
}

const text = (lines: string[]) => (lines.length ? `${lines.join('\n')}\n` : '');

export function liveOutput(format: Format, opts: { colour?: boolean } = {}): LiveOutput {
  switch (format) {
    case 'pretty':
      return {
        start: ({ plugin, granted }) => text([...prettyHeader(plugin, granted), '']),
        check: (c) => text(prettyCheck(c, opts)),
        end: (report) =>
          text([
            '',
            ...(report.startError ? [`could not start the plugin: ${report.startError}`] : []),
            ...prettySummary(report, opts),
          ]),
      };
    case 'tap': {
      let n = 0;
      return {
        start: () => text(['TAP version 14']),
        check: (c) => text(tapPoint(c, ++n)),
        end: (report) => text([...tapStale(report, n + 1), `1..${n + report.staleExpectedFailures.length}`]),
      };
    }
    case 'json':
    case 'junit':
      return { start: () => '', check: () => '', end: (report) => render(report, format) };
  }
}
