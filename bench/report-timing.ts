// Times drctl's report code in one process, apart from Node's start: reading and replaying a run's
// journal into the report (report.json's content), then rendering each format from it. bench/report.sh
// bundles this file with drctl's sources (as scripts/build.mjs bundles drctl) and runs it:
//   node timing.cjs <journal.jsonl> <rounds>
// Prints one line per figure: "<what> <median wall ms> <median processor ms>" (processor time, user and
// system, is what the other load of a busy machine does not inflate).
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

interface Timing {
  ms: number;
  cpu: number;
}

function time<T>(work: () => T): Timing & { value: T } {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = work();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpu: (used.user + used.system) / 1000, value };
}

function line(what: string, timings: Timing[]): string {
  return `${what} ${median(timings.map((t) => t.ms)).toFixed(1)} ${median(timings.map((t) => t.cpu)).toFixed(1)}`;
}

function build(): RunReport {
  const { entries, tornTail } = readJournal(file!);
  return buildReport(rebuildRun(entries, tornTail));
}

let report = build();
const builds: Timing[] = [];
for (let i = 0; i < rounds; i++) {
  const result = time(build);
  builds.push(result);
  report = result.value;
}
console.log(line('build', builds));
for (const format of REPORT_FORMATS) {
  renderReport(report, format);
  const renders: Timing[] = [];
  for (let i = 0; i < rounds; i++) renders.push(time(() => renderReport(report, format)));
  console.log(line(format, renders));
}
