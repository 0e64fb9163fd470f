// Times drctl's report code in one process, apart from Node's start: reading and replaying a run's
// journal into the report (report.json's content), then rendering each format from it. bench/report.sh
// bundles this file with drctl's sources (as scripts/build.mjs bundles drctl) and runs it:
//   node timing.cjs <journal.jsonl> <rounds>
// Prints one line per figure: "<what> <median ms>".
import { readJournal } from '../src/journal/journal.js';
import { rebuildRun } from '../src/journal/record.js';
import { buildReport } from '../src/report/build.js';
import type { RunReport } from '../src/report/build.js';
import { REPORT_FORMATS, renderReport } from '../src/report/render.js';

const [file, roundsText = '7'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node timing.cjs <journal.jsonl> [rounds]');
  process.exit(2);
}
const rounds = Number(roundsText);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function time<T>(work: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function build(): RunReport {
  const { entries, tornTail } = readJournal(file!);
  return buildReport(rebuildRun(entries, tornTail));
}

let report = build();
const builds: number[] = [];
for (let i = 0; i < rounds; i++) {
  const result = time(build);
  builds.push(result.ms);
  report = result.value;
}
console.log(`build ${median(builds).toFixed(1)}`);
for (const format of REPORT_FORMATS) {
  renderReport(report, format);
  const renders: number[] = [];
  for (let i = 0; i < rounds; i++) renders.push(time(() => renderReport(report, format)).ms);
  console.log(`${format} ${median(renders).toFixed(1)}`);
}
