import type { ReportStep, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import { xml } from './text.js';
import { outcomeText, recovered, rpoLabel, rpoText, rtoLabel, rtoText } from './verdict.js';

/**
 * One test case per step, one for the recovery itself and one per objective. A step allowed to
 * fail (on_failure: continue) passes, with its failure in <system-out>; a run that recovered
 * nothing fails the recovery case, and its objectives are skipped: there is no verdict to give.
 */
export function renderJunit(r: RunReport): string {
  const facts = verdictFacts(r);
  const didRecover = recovered(r.status);
  const failed = (s: ReportStep): boolean => s.status === 'failed' && !s.continued;
  const failureBody = (s: ReportStep): string => (s.error_tail ? `${xml(s.error_tail)}` : '');
  const cases = r.steps.map((s) => {
    const head = `    <testcase classname="${xml(r.runbook)}" name="${xml(`${s.id}: ${s.title}`)}" time="${actualSeconds(s) ?? 0}">`;
    const body = failed(s)
      ? `\n      <failure message="${xml(s.reason ?? 'failed')}">${failureBody(s)}</failure>\n    `
      : s.continued
        ? `\n      <system-out>${xml(`failed, allowed to fail: the run went on. ${s.reason ?? ''}${s.error_tail ? `\n${s.error_tail}` : ''}`)}</system-out>\n    `
        : s.status === 'skipped' || s.status === 'not_run'
          ? `\n      <skipped message="${xml(s.reason ?? s.status)}"/>\n    `
          : '';
    return `${head}${body}</testcase>`;
  });
  const objective = (name: string, time: number, text: string, met: boolean): string =>
    `    <testcase classname="${xml(r.runbook)}" name="${xml(name)}" time="${time}">${
      !didRecover
        ? `\n      <skipped message="${xml(text)}"/>\n    `
        : met
          ? `\n      <system-out>${xml(text)}</system-out>\n    `
          : `\n      <failure message="${xml(text)}"/>\n    `
    }</testcase>`;
  const recovery = `    <testcase classname="${xml(r.runbook)}" name="recovery" time="${r.elapsed_s}">${
    didRecover
      ? `\n      <system-out>${xml(outcomeText(facts))}</system-out>\n    `
      : `\n      <failure message="${xml(outcomeText(facts))}"/>\n    `
  }</testcase>`;
  const objectives = [
    recovery,
    r.rto ? objective(rtoLabel(facts), r.rto.elapsed_s, `${rtoLabel(facts)}: ${rtoText(facts)}`, r.rto.met) : '',
    r.rpo ? objective(rpoLabel(facts), 0, `${rpoLabel(facts)}: ${rpoText(facts)}`, r.rpo.met) : '',
  ].filter(Boolean);
  const failures = r.steps.filter(failed).length;
  const skipped =
    r.steps.filter((s) => s.status === 'skipped' || s.status === 'not_run').length + (didRecover ? 0 : (r.rto ? 1 : 0) + (r.rpo ? 1 : 0));
  const missed = didRecover ? (r.rto && !r.rto.met ? 1 : 0) + (r.rpo && !r.rpo.met ? 1 : 0) : 1;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="drctl" tests="${cases.length + objectives.length}" failures="${failures + missed}">`,
    `  <testsuite name="${xml(r.run_id)}" tests="${cases.length + objectives.length}" failures="${failures + missed}" skipped="${skipped}" timestamp="${r.started_at}">`,
    ...cases,
    ...objectives,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
