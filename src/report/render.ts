import type { RunReport } from './build.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export { integrityLines } from './text.js';

export const REPORT_FORMATS = ['json', 'md', 'junit', 'junit-ant', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(report: RunReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return renderMarkdown(report);
    case 'junit':
    case 'junit-ant':
      return renderJunit(report, format);
    case 'html':
      return renderHtml(report);
  }
}
