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
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return renderMarkdown(report);
    case 'junit':
    case 'junit-ant':
      return renderJunit(report, format);
    case 'html':
      return renderHtml(report, context.history);
  }
}
