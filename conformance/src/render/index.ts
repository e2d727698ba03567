import type { Report } from '../report.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderPretty } from './pretty.js';
import { renderTap } from './tap.js';

export const FORMATS = ['pretty', 'json', 'tap', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { colour?: boolean } = {}): string {
  switch (format) {
    case 'pretty':
      return renderPretty(report, opts);
    case 'json':
      return renderJson(report);
    case 'tap':
      return renderTap(report);
    case 'junit':
      return renderJunit(report);
  }
}

export { renderJson, renderJunit, renderPretty, renderTap };
