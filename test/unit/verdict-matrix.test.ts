import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { abandonCommand } from '../../src/cli/commands/abandon.js';
import type { Question, RunSummary } from '../../src/engine/events.js';
import { renderSummary } from '../../src/io/render-run.js';
import { runsRow } from '../../src/io/render-runs.js';
import type { JournalEntry } from '../../src/journal/entries.js';
import { readJournal } from '../../src/journal/journal.js';
import { rebuildRun } from '../../src/journal/record.js';
import { resumeRun, startRun } from '../../src/lifecycle/lifecycle.js';
import type { ProcessResult, ProcessSpec } from '../../src/ports/process.js';
import type { RunReport } from '../../src/report/build.js';
import { actualSeconds, buildReport } from '../../src/report/build.js';
import type { ReportFormat } from '../../src/report/render.js';
import { renderReport } from '../../src/report/render.js';
import { formatDuration } from '../../src/util/duration.js';
import type { Harness } from '../support/lifecycle-harness.js';
import { FakeRunner, harness, noInputs, writeRunbook } from '../support/lifecycle-harness.js';

/**
 * Every run status against every place an operator reads it: the closing summary, `drctl runs`,
 * report.json, Markdown, HTML and JUnit. Each run is a real one, driven through the lifecycle with
 * fake ports; its report is rebuilt from its journal as `drctl report` does, and the files the run
 * wrote at its end are the same text.
 */

const plain = new Chalk({ level: 0 });
const START = Date.parse('2026-11-29T03:00:00Z');
const MINUTE = 60_000;
const RUN_ID = 'matrix-20261129T030000Z-0001';
const EVIDENCE = 's3://bkt/backup_0253.sql.gz';
/** What the operator spends reading the manual step before answering. */
const MANUAL_WAIT_MS = 7_700;
/** How long the restore ran before Ctrl-C cut it short. */
const CUT_SHORT_MS = 90_000;

const RUNBOOK = (restore: string, onFailure: string): string => `apiVersion: drctl/v1
kind: Runbook
metadata: { name: matrix, title: Matrix }
objectives: { rto: 1h, rpo: 15m }
steps:
  - { id: find-backup, title: Find the backup, uses: sleep, with: { duration: 1ms } }
  - { id: is-it-gone, title: Is the database really gone?, run: fail gone, on_failure: continue }
  - { id: stop-app, title: Stop the application, run: ok stop, rollback: ok start-app }
  - { id: restore, title: Restore the database, run: ${restore}, on_failure: ${onFailure}, idempotent: true }
  - { id: announce, title: Announce, manual: "Tell the incident channel." }
`;

/** A clock that moves 10 ms each time it is read, and jumps when the operator reads or a command runs long. */
function testClock(): { now(): number; sleep(ms: number): Promise<void>; advance(ms: number): void } {
  let now = START;
  return {
    now: () => (now += 10),
    sleep: async (ms: number) => void (now += ms),
    advance: (ms: number) => void (now += ms),
  };
}

/** `hang NAME` runs for CUT_SHORT_MS and is then interrupted (Ctrl-C) the first time; it succeeds afterwards. */
class CuttingRunner extends FakeRunner {
  constructor(private readonly cut: { pending: boolean; stop: AbortController; advance: (ms: number) => void }) {
    super();
  }
  override async run(spec: ProcessSpec): Promise<ProcessResult> {
    const script = spec.args.at(-1) ?? spec.file;
    if (!script.startsWith('hang')) return super.run(spec);
    // After the cut the command runs to its end.
    if (!this.cut.pending) return super.run({ ...spec, args: [...spec.args.slice(0, -1), script.replace(/^hang/, 'ok')] });
    this.cut.pending = false;
    spec.onSpawn?.(41_000, 'fake-41000');
    spec.onOutput('stdout', 'restoring...\n');
    this.cut.advance(CUT_SHORT_MS);
    this.cut.stop.abort();
    return { exitCode: null, ended: 'aborted', durationMs: CUT_SHORT_MS };
  }
}

interface Scenario {
  /** Minutes from the incident start to the run's start. */
  incidentAgo: number;
  /** Minutes from the backup to the incident start. */
  backupAge: number;
  restore: 'ok restore' | 'fail restore' | 'hang restore';
  onFailure: 'abort' | 'rollback';
  /** The operator chooses abort at the restore's menu. */
  abort?: true;
  /** After the interruption: drctl died without journaling it (the run is still "running"). */
  crash?: true;
  abandon?: true;
  resume?: true;
}

interface Outcome {
  entries: JournalEntry[];
  /** The journal's head hash, as the reports written from the file show it. */
  head: string | null;
  code: number;
  /** The closing summary the host was given, if the run showed one. */
  summary: RunSummary | undefined;
  /** The report files the run (or its resume) wrote at its end. */
  files: Partial<Record<ReportFormat, string>>;
}

const harnesses: Harness[] = [];
afterAll(() => harnesses.forEach((h) => h.remove()));

async function play(s: Scenario): Promise<Outcome> {
  const clock = testClock();
  const stop = new AbortController();
  const cut = { pending: true, stop, advance: clock.advance };
  const answer = (q: Question): unknown => {
    if (q.kind === 'manual.done') clock.advance(MANUAL_WAIT_MS);
    if (q.kind === 'step.action' && q.card.id === 'restore' && s.abort) return 'abort';
    return q.default;
  };
  const session = (h: Harness): Harness => {
    const runner = new CuttingRunner(cut);
    Object.assign(h.deps, {
      clock,
      runner,
      actions: () => ({
        run: async (task: { stepId: string }) => ({
          outputs: { key: 'backup_0253.sql.gz' },
          ...(task.stepId === 'find-backup'
            ? { recoveryPoint: { at: new Date(START - (s.incidentAgo + s.backupAge) * MINUTE).toISOString(), evidence: EVIDENCE } }
            : {}),
        }),
        canRollback: () => false,
        rollback: async () => undefined,
      }),
    });
    harnesses.push(h);
    return h;
  };
  const h = session(harness({ answer }));
  h.deps.signal = stop.signal;
  const runbook = writeRunbook(h.dir, 'matrix', RUNBOOK(s.restore, s.onFailure));
  const reports = (['md', 'html', 'junit'] as const).map((format) => ({ format, file: join(h.dir, `out.${format}`) }));
  const journalFile = join(h.stateDir, 'runs', RUN_ID, 'journal.jsonl');
  let code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'drill',
      runId: RUN_ID,
      incidentStart: new Date(START - s.incidentAgo * MINUTE),
      yes: false,
      interactive: true,
      acceptManual: false,
      reports,
      aws: {},
    },
    h.deps,
  );
  let host = h.host;
  if (s.crash) {
    const lines = readFileSync(journalFile, 'utf8').split('\n').filter(Boolean);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'run.interrupted' });
    writeFileSync(
      journalFile,
      lines
        .slice(0, -1)
        .map((l) => `${l}\n`)
        .join(''),
    );
  }
  if (s.abandon) {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await abandonCommand(RUN_ID, { stateDir: h.stateDir })).toBe(0);
    } finally {
      out.mockRestore();
    }
  }
  if (s.resume) {
    const again = session(harness({ dir: h.dir, answer }));
    code = await resumeRun(
      {
        stateDir: again.stateDir,
        runId: RUN_ID,
        inputs: { pairs: {} },
        force: false,
        skipPreflight: false,
        reports: undefined,
        yes: false,
        interactive: true,
        acceptManual: false,
        aws: {},
      },
      again.deps,
    );
    host = again.host;
  }
  const summaries = host.events.flatMap((e) => (e.type === 'run.summary' ? [e.summary] : []));
  expect(summaries.length).toBeLessThanOrEqual(1);
  const files: Outcome['files'] = {};
  for (const { format, file } of reports) {
    try {
      files[format] = readFileSync(file, 'utf8');
    } catch {
      // An interrupted run writes its --report files too; a crashed or abandoned one only report.json.
    }
  }
  const journal = readJournal(journalFile);
  return { entries: journal.entries, head: journal.head, code, summary: summaries[0], files };
}

/** A verdict as the run earned it: the time it took and whether it was within the objective; null when nothing was recovered. */
interface Verdict {
  /** "10m07s", matched against the report's own figure. */
  took: RegExp;
  met: boolean;
}

interface Expected {
  status: RunReport['status'];
  /** The outcome, `<took>` standing for the elapsed time. */
  outcome: string;
  rto: Verdict | null;
  rpo: Verdict | null;
  /** Why there is no verdict, in brief, for a run that recovered nothing. */
  why?: string;
  exit: number;
  /** The exit code of the drctl that ran last (abandon itself exits 0; the run's is 4). */
  code: number;
  summary: boolean;
  /** failures="…" of the JUnit suite. */
  junitFailures: number;
}

const MATRIX: Record<string, [Scenario, Expected]> = {
  'succeeded, RTO and RPO met': [
    { incidentAgo: 10, backupAge: 7, restore: 'ok restore', onFailure: 'abort' },
    {
      status: 'succeeded',
      outcome: 'recovered in <took>',
      rto: { took: /^10m0\ds$/, met: true },
      rpo: { took: /^7m$/, met: true },
      exit: 0,
      code: 0,
      summary: true,
      junitFailures: 0,
    },
  ],
  'succeeded, RTO missed': [
    { incidentAgo: 120, backupAge: 7, restore: 'ok restore', onFailure: 'abort' },
    {
      status: 'succeeded',
      outcome: 'recovered in <took>',
      rto: { took: /^2h$/, met: false },
      rpo: { took: /^7m$/, met: true },
      exit: 3,
      code: 3,
      summary: true,
      junitFailures: 1,
    },
  ],
  'succeeded, RPO missed': [
    { incidentAgo: 10, backupAge: 60, restore: 'ok restore', onFailure: 'abort' },
    {
      status: 'succeeded',
      outcome: 'recovered in <took>',
      rto: { took: /^10m0\ds$/, met: true },
      rpo: { took: /^1h$/, met: false },
      exit: 3,
      code: 3,
      summary: true,
      junitFailures: 1,
    },
  ],
  'succeeded after an interrupted attempt and a resume': [
    { incidentAgo: 10, backupAge: 7, restore: 'hang restore', onFailure: 'abort', resume: true },
    {
      status: 'succeeded',
      outcome: 'recovered in <took>',
      rto: { took: /^11m3\ds$/, met: true },
      rpo: { took: /^7m$/, met: true },
      exit: 0,
      code: 0,
      summary: true,
      junitFailures: 0,
    },
  ],
  'failed at a named step': [
    { incidentAgo: 10, backupAge: 7, restore: 'fail restore', onFailure: 'abort' },
    {
      status: 'failed',
      outcome: 'not recovered (failed at restore after <took>)',
      rto: null,
      rpo: null,
      why: 'not recovered',
      exit: 1,
      code: 1,
      summary: true,
      junitFailures: 2,
    },
  ],
  'rolled back': [
    { incidentAgo: 10, backupAge: 7, restore: 'fail restore', onFailure: 'rollback' },
    {
      status: 'rolled_back',
      outcome: 'rolled back',
      rto: null,
      rpo: null,
      why: 'rolled back',
      exit: 1,
      code: 1,
      summary: true,
      junitFailures: 2,
    },
  ],
  aborted: [
    { incidentAgo: 10, backupAge: 7, restore: 'ok restore', onFailure: 'abort', abort: true },
    { status: 'aborted', outcome: 'aborted', rto: null, rpo: null, why: 'aborted', exit: 4, code: 4, summary: true, junitFailures: 1 },
  ],
  interrupted: [
    { incidentAgo: 10, backupAge: 7, restore: 'hang restore', onFailure: 'abort' },
    {
      status: 'interrupted',
      outcome: 'interrupted',
      rto: null,
      rpo: null,
      why: 'interrupted',
      exit: 130,
      code: 130,
      summary: false,
      junitFailures: 1,
    },
  ],
  'running (in progress: drctl died in a step)': [
    { incidentAgo: 10, backupAge: 7, restore: 'hang restore', onFailure: 'abort', crash: true },
    {
      status: 'running',
      outcome: 'in progress',
      rto: null,
      rpo: null,
      why: 'in progress',
      exit: -1,
      code: 130,
      summary: false,
      junitFailures: 1,
    },
  ],
  abandoned: [
    { incidentAgo: 10, backupAge: 7, restore: 'hang restore', onFailure: 'abort', abandon: true },
    { status: 'aborted', outcome: 'aborted', rto: null, rpo: null, why: 'aborted', exit: 4, code: 130, summary: false, junitFailures: 1 },
  ],
};

const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const NO_VERDICT_WORDS = /recovery took|recovery point|\bmet\b|\bmissed\b|past the RTO/i;

describe.each(Object.entries(MATRIX))('%s', (_name, [scenario, want]) => {
  let played: Outcome;
  let report: RunReport;
  let took: string;
  const render = (format: ReportFormat): string => renderReport(report, format);

  it('ends with its exit code, and the files written at its end are what `drctl report` rebuilds', async () => {
    played = await play(scenario);
    // As drctl report builds it: from the journal file, its size and head included.
    report = buildReport({ ...rebuildRun(played.entries), journal: { entries: played.entries.length, head: played.head } });
    took = formatDuration(report.elapsed_s * 1000);
    expect(played.code).toBe(want.code);
    expect(report.exit_code).toBe(want.exit === -1 ? null : want.exit);
    // A crashed or abandoned run's files are those of the session that stopped; report.json is rewritten.
    if (!scenario.crash && !scenario.abandon) {
      expect(Object.keys(played.files).sort()).toEqual(['html', 'junit', 'md']);
      for (const [format, text] of Object.entries(played.files)) expect(text, format).toBe(render(format as ReportFormat));
    }
    if (scenario.abandon)
      expect(JSON.parse(readFileSync(join(harnesses.at(-1)!.stateDir, 'runs', RUN_ID, 'report.json'), 'utf8'))).toEqual(report);
  });

  const outcome = (): string => want.outcome.replace('<took>', took);
  /** The status and its outcome, or the outcome alone where it says no more than the status. */
  const withStatus = (status: string, separator: string): string =>
    outcome() === want.status.replace('_', ' ') ? outcome() : `${status}${separator}${outcome()}`;
  /** "recovery took 10m07s since the incident start, met", with the verdict word marked as the format marks it. */
  const rtoText = (mark: (word: string, met: boolean) => string): string =>
    want.rto
      ? `recovery took ${formatDuration(report.rto!.elapsed_s * 1000)} since the incident start, ${mark(want.rto.met ? 'met' : 'missed', want.rto.met)}`
      : `no verdict (${want.why!})`;
  const rpoText = (mark: (word: string, met: boolean) => string, evidence = EVIDENCE): string =>
    want.rpo
      ? `recovery point ${formatDuration(report.rpo!.achieved_s * 1000)} before the incident (${evidence}), ${mark(want.rpo.met ? 'met' : 'missed', want.rpo.met)}`
      : `no verdict (${want.why!})`;

  it('report.json: status, outcome, and RTO and RPO verdicts only for a recovery', () => {
    const json = JSON.parse(render('json')) as RunReport;
    expect(json.status).toBe(want.status);
    expect(json.outcome).toBe(outcome());
    if (want.rto) expect(formatDuration(json.rto!.elapsed_s * 1000)).toMatch(want.rto.took);
    if (want.rpo) expect(formatDuration(json.rpo!.achieved_s * 1000)).toMatch(want.rpo.took);
    const verdict = (v: Verdict | null): object =>
      v ? { met: v.met, verdict: v.met ? 'met' : 'missed' } : { met: false, verdict: 'not recovered' };
    expect(json.rto).toMatchObject({ target_s: 3600, ...verdict(want.rto) });
    expect(json.rpo).toMatchObject({ target_s: 900, evidence: EVIDENCE, ...verdict(want.rpo) });
    // The step whose failure ended the run, also when it was then rolled back.
    expect(json.failed_step).toBe(want.status === 'failed' || want.status === 'rolled_back' ? 'restore' : null);
    if (!want.rto) expect(json.outcome).not.toMatch(NO_VERDICT_WORDS);
  });

  it('the closing summary says the same, or is not shown for a run that stopped before its end', () => {
    if (!want.summary) {
      expect(played.summary).toBeUndefined();
      return;
    }
    const text = renderSummary(played.summary!, plain);
    const upper = (word: string): string => word.toUpperCase();
    expect(text).toContain(`\nRun ${RUN_ID}: ${withStatus(want.status, ', ')}\n`);
    expect(text).toContain(`\nRTO 1h: ${rtoText(upper)}\n`);
    expect(text).toContain(`\nRPO 15m: ${rpoText(upper)}\n`);
    if (!want.rto) expect(text).not.toMatch(NO_VERDICT_WORDS);
  });

  it('drctl runs: the status, the outcome, and RTO and RPO cells only for a recovery', () => {
    const row = runsRow(buildReport(rebuildRun(played.entries)));
    const resumable = want.status === 'interrupted' || want.status === 'running';
    expect(row[2]).toBe(resumable ? `${want.status} (resumable)` : want.status);
    expect(row[4]).toBe(outcome());
    const cell = (v: Verdict | null, figure: number, target: string): string =>
      v ? `${formatDuration(figure * 1000)} of ${target}, ${v.met ? 'met' : 'missed'}` : '-';
    expect(row.slice(5)).toEqual([cell(want.rto, report.rto!.elapsed_s, '1h'), cell(want.rpo, report.rpo!.achieved_s, '15m')]);
  });

  it('Markdown', () => {
    const md = render('md');
    const mark = (word: string, met: boolean): string => (met ? word : `**${word}**`);
    expect(md).toContain(`\n| Status | ${withStatus(want.status, ': ')} |\n`);
    expect(md).toContain(`\n| RTO 1h | ${rtoText(mark)} |\n`);
    // The backup's name is escaped as Markdown text (its _ is no emphasis).
    expect(md).toContain(`\n| RPO 15m | ${rpoText(mark, EVIDENCE.replaceAll('_', '\\_'))} |\n`);
    expect(md).toMatch(/\| 2 \| Is the database really gone\? \(`is-it-gone`\) \| failed, allowed: exit code 1/);
    if (!want.rto) expect(md).not.toMatch(NO_VERDICT_WORDS);
  });

  it('HTML', () => {
    const html = render('html');
    const mark = (word: string, met: boolean): string => `<span class="${met ? 'ok' : 'bad'}">${word}</span>`;
    expect(html).toContain(
      `: ${outcome() === want.status.replace('_', ' ') ? `<strong>${outcome()}</strong>` : withStatus(`<strong>${want.status}</strong>`, ', ')}</p>`,
    );
    expect(html).toContain(`<h2>RTO 1h</h2><p>${rtoText(mark)}</p>`);
    expect(html).toContain(`<h2>RPO 15m</h2><p>${rpoText(mark)}</p>`);
    if (!want.rto) expect(html).not.toMatch(NO_VERDICT_WORDS);
  });

  it('JUnit: the recovery and each objective a test case; a step allowed to fail passes with its failure in <system-out>', () => {
    const xml = render('junit');
    const recovered = want.status === 'succeeded';
    expect(xml).toMatch(
      new RegExp(
        `name="recovery" time="0\\.000">\\s*${recovered ? `<system-out>${escapeRe(outcome())}; ` : `<failure type="not-recovered" message="${escapeRe(outcome())}">${escapeRe(outcome())}</failure>`}`,
      ),
    );
    const plainMark = (word: string): string => word;
    for (const [label, text, verdict] of [
      ['RTO 1h', rtoText(plainMark), want.rto],
      ['RPO 15m', rpoText(plainMark), want.rpo],
    ] as const) {
      const body = `${label}: ${text}`;
      const type = label.startsWith('RTO') ? 'rto-missed' : 'rpo-missed';
      const shown = !recovered
        ? `<skipped message="${body}"/>\n      <system-out>${body}</system-out>`
        : verdict!.met
          ? `<system-out>${body}</system-out>`
          : `<failure type="${type}" message="${body}">${body}</failure>\n      <system-out>${body}</system-out>`;
      // The test case is named by the objective as every other format writes it ("RTO 1h", not "RTO 3600s"); it adds no time.
      expect(xml).toMatch(new RegExp(`<testcase classname="matrix" name="${label}" time="0\\.000">\\s*${escapeRe(shown)}\\s*</testcase>`));
    }
    expect(xml).toMatch(
      /name="is-it-gone: Is the database really gone\?" time="[\d.]+">\s*<system-out>status: failed, allowed\n[^<]*failed, allowed to fail: the run went on: exit code 1 \(expected 0\)[^<]*<\/system-out>\s*<\/testcase>/,
    );
    expect(xml).toMatch(new RegExp(`<testsuite name="[^"]+" tests="8" failures="${want.junitFailures}" errors="0" `));
    // Only the step that ended the run fails as a step; the allowed failure never does.
    const failedSteps = [...xml.matchAll(/<testcase [^>]*name="([a-z-]+): [^"]*"[^>]*>\s*<failure/g)].map((m) => m[1]);
    expect(failedSteps).toEqual(want.status === 'failed' || want.status === 'rolled_back' ? ['restore'] : []);
    if (!want.rto) expect(xml).not.toMatch(/recovery took|recovery point|past the RTO|, met|, missed/);
  });

  it('every step shows the same time in the summary and in every report (a manual step its wait, a cut-short attempt counted)', () => {
    const json = JSON.parse(render('json')) as RunReport;
    const md = render('md');
    const html = render('html');
    const xml = render('junit');
    for (const step of json.steps) {
      const actual = actualSeconds(step);
      const shown = actual === null ? '-' : formatDuration(actual * 1000);
      expect(md, step.id).toMatch(new RegExp(`\\(\`${step.id}\`\\) \\|[^\\n]* \\| ${step.attempts} \\| [^|]+ \\| ${escapeRe(shown)} \\|`));
      expect(html, step.id).toMatch(
        new RegExp(
          `<code>${step.id}</code>[\\s\\S]*?<td data-label="Attempts">${step.attempts}</td><td data-label="Budget">[^<]+</td><td data-label="Actual">${escapeRe(shown)}</td>`,
        ),
      );
      expect(xml, step.id).toMatch(new RegExp(`name="${step.id}: [^"]*" time="${(actual ?? 0).toFixed(3)}"`));
      if (played.summary) {
        const row = renderSummary(played.summary, plain)
          .split('\n')
          .find((l) => new RegExp(`^\\s*\\d+\\s+${step.id}\\s`).test(l));
        expect(row, step.id).toMatch(new RegExp(`\\s${escapeRe(shown)}(\\s|$)`));
      }
    }
    const announce = json.steps.find((s) => s.id === 'announce')!;
    if (announce.status === 'succeeded') {
      expect(announce.duration_s).toBe(0);
      expect(formatDuration(actualSeconds(announce)! * 1000)).toMatch(/^7\.\ds$/);
    }
    const restore = json.steps.find((s) => s.id === 'restore')!;
    if (scenario.resume) {
      // The attempt Ctrl-C cut short and the one after the resume.
      expect(restore).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(restore.duration_s!).toBeGreaterThanOrEqual(CUT_SHORT_MS / 1000);
      expect(json.time.running_s).toBeGreaterThanOrEqual(CUT_SHORT_MS / 1000);
    }
    if (scenario.restore === 'hang restore' && !scenario.resume) {
      // Not finished: no time of its own yet, but the running total counts what it ran.
      expect(restore).toMatchObject({ status: 'not_run', duration_s: null });
      expect(json.time.running_s).toBeGreaterThanOrEqual(CUT_SHORT_MS / 1000);
    }
  });
});
