import type { RunReport } from './build.js';
import type { RunbookHistory } from './history.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export { integrityLines } from './text.js';

export const REPORT_FORMATS = ['json', 'md', 'junit', 'junit-ant', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What a format may show beside the run itself: the HTML report draws the runbook's history. */
export interface RenderContext {
  history?: RunbookHistory | undefined;
}

export function renderReport(report: RunReport, format: ReportFormat, context: RenderContext = {}): string {
  switch (format) {
    case 'json':
      return `${jsonText(report)}\n`;
    case 'md':
      return renderMarkdown(report);
    case 'junit':
    case 'junit-ant':
      return renderJunit(report, format);
    case 'html':
      return renderHtml(report, context.history);
  }
}

/**
 * report.json's text. JSON.stringify escapes only the C0 controls; the C1 controls (CSI, U+009B, a
 * terminal reads as ESC [), DEL, bidirectional overrides and line separators of a command's output
 * are written as \u escapes too, so `drctl report` printing the JSON never drives the terminal.
 * The value parsed back is the same.
 */
function jsonText(report: RunReport): string {
  return JSON.stringify(report, null, 2).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
