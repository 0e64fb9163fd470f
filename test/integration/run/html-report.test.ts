import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, CHROMIUM } from '../../support/chromium.js';
import type { Page } from '../../support/chromium.js';
import { requireTool } from '../../support/tools.js';
import type { Report, Workspace } from './helpers.js';
import { drctl, exitWithin, header, onlyRunId, readReport, requireBuild, ROOT, runIds, startDrctl, waitFor, workspace } from './helpers.js';

/**
 * The HTML report in a real browser (headless Chromium, the network off): reports of real drills
 * (a step retried, a step that failed, a manual step, a note) and a failed run with hostile text,
 * each loaded at 1280 and 390 px. The DOM is checked as an auditor's browser lays it out, and
 * screenshots of each are kept in test-artifacts/html-report/ (printed).
 */

const ARTIFACTS = join(ROOT, 'test-artifacts', 'html-report');

const haveChromium = requireTool(CHROMIUM, 'the HTML report is tested in headless Chromium');

/** A drill with an RPO (a backup found by backup.latest), a flaky step, a step allowed to fail and a manual checklist. */
const DRILL = (
  dir: string,
): string => `${header('orders-restore', 'Restore the orders store from its newest backup', '  owner: platform-team\n  severity: drill\n')}objectives: { rto: 40s, rpo: 15m }
steps:
  - id: prepare
    title: Create the data and back it up
    run: |
      rm -rf ${dir}/data ${dir}/backups ${dir}/counter && mkdir -p ${dir}/data ${dir}/backups
      for i in 1 2 3; do echo "order $i" > ${dir}/data/order-$i.txt; done
      backup=${dir}/backups/backup_$(date -u -d '6 minutes ago' +%Y%m%d_%H%M%S).tar.gz
      tar -czf "$backup" -C ${dir} data
      touch -d '6 minutes ago' "$backup"
    budget: 5s
  - id: find-backup
    title: Find the newest backup taken before the incident
    uses: backup.latest
    with: { location: "file://${dir}/backups/", match: "backup_*.tar.gz" }
    budget: 5s
  - id: fetch
    title: Fetch the backup over a flaky link
    budget: 4s
    retries: { attempts: 3, delay: 300ms }
    run: |
      n=$(cat ${dir}/counter 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/counter
      sleep 0.5
      if [ $n -lt 3 ]; then echo "connection reset by peer" >&2; exit 7; fi
      echo fetched
  - id: warm-cache
    title: Warm the cache (allowed to fail)
    on_failure: continue
    run: echo "cache node unreachable" >&2; exit 3
  - id: restore
    title: Restore the data
    run: rm -rf ${dir}/data && tar -xzf ${dir}/backups/backup_*.tar.gz -C ${dir} && sleep 1
    budget: 5s
  - id: smoke
    title: Smoke-test the shop
    manual: |
      - [ ] The home page loads
      - [ ] An order can be placed
    budget: 30s
`;

/** A run that fails, with a title, output and note that try to inject markup and fetch from the network. */
const HOSTILE_TITLE = 'Restore <script>alert(1)</script> & <img src="http://example.invalid/x.png">';
const HOSTILE = `${header('hostile', JSON.stringify(HOSTILE_TITLE))}objectives: { rto: 2m }
steps:
  - id: first
    title: First <b>bold</b>
    run: echo ok
  - id: breaks
    title: "Breaks </title><style>body{display:none}</style>"
    run: |
      echo '<link rel="stylesheet" href="http://example.invalid/x.css"><iframe src="http://example.invalid/"></iframe>' >&2
      exit 1
  - id: never
    title: Never runs
    run: echo never
`;

/** A run stopped by Ctrl-C (SIGINT) in its second step, then resumed. */
const RESUMED = `${header('resumed', 'Resumed after a stop')}objectives: { rto: 2m }
steps:
  - id: first
    title: First
    run: echo first
  - id: slow
    title: Wait for the go flag
    idempotent: true
    run: |
      echo $$ > slow.pid
      i=0; while [ ! -f go.flag ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
  - id: last
    title: Last
    run: echo last
`;

interface Made {
  name: string;
  ws: Workspace;
  report: Report;
  html: string;
}

let browser: Browser | undefined;
const made: Made[] = [];

function makeReport(
  name: string,
  runbook: (dir: string) => string,
  args: string[],
  expectStatus: number,
  ws = workspace(`drctl-html-${name}-`),
): Made {
  const file = ws.runbook('runbook.yaml', runbook(ws.dir));
  const run = drctl(['run', file, '--yes', '--accept-manual', ...args, '--state-dir', ws.stateDir, '--report', 'html:out/report.html'], {
    cwd: ws.dir,
  });
  expect(run.status, run.all).toBe(expectStatus);
  const runId = runIds(ws.stateDir).at(-1)!;
  return { name, ws, report: readReport(ws.stateDir, runId), html: ws.path('out', 'report.html') };
}

describe.runIf(haveChromium)('the HTML report in a browser', () => {
  beforeAll(async () => {
    requireBuild();
    mkdirSync(ARTIFACTS, { recursive: true });
    process.stdout.write(`\nHTML report screenshots: ${ARTIFACTS}\n`);
    // An earlier drill of the same runbook: the report of the second draws the history.
    const earlier = makeReport('earlier', DRILL, ['--drill', '--incident-start', '-30s'], 0);
    const drill = makeReport(
      'drill',
      DRILL,
      [
        '--drill',
        '--incident-start',
        '-20s',
        '--environment',
        'staging',
        '--participant',
        'Ada Lovelace, incident lead',
        '--participant',
        'Grace Hopper, DBA',
      ],
      0,
      earlier.ws,
    );
    expect(drill.report.run_id).not.toBe(earlier.report.run_id);
    const runId = drill.report.run_id;
    const note = drctl(['note', runId, 'DBA on call <confirms> the replica is gone & "rebuilt"', '--state-dir', drill.ws.stateDir], {
      cwd: drill.ws.dir,
    });
    expect(note.status, note.all).toBe(0);
    const review = drctl(
      [
        'review',
        runId,
        '--finding',
        'the fetch needed 3 tries: <flaky> link',
        '--remediation',
        'move the backups next to the restore host; owner: Ada Lovelace; due: 2026-12-15',
        '--sign-off',
        'Grace Hopper, head of operations',
        '--state-dir',
        drill.ws.stateDir,
      ],
      { cwd: drill.ws.dir },
    );
    expect(review.status, review.all).toBe(0);
    const again = drctl(['report', runId, '--format', 'html', '--output', 'out/report.html', '--state-dir', drill.ws.stateDir], {
      cwd: drill.ws.dir,
    });
    expect(again.status, again.all).toBe(0);
    made.push({ ...drill, report: readReport(drill.ws.stateDir, runId) });
    made.push(makeReport('failed', () => HOSTILE, ['--incident-start', '-1m'], 1));
    made.push(await interruptedAndResumed());
    browser = Browser.launch();
  });

  async function interruptedAndResumed(): Promise<Made> {
    const ws = workspace('drctl-html-resumed-');
    ws.runbook('runbook.yaml', RESUMED);
    const running = startDrctl(['run', 'runbook.yaml', '--yes', '--incident-start', '-10s', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('slow.pid'), 'step 2 to start', 30_000);
    running.child.kill('SIGINT');
    const stopped = await exitWithin(running, 30_000);
    expect(stopped.code, running.stderr()).toBe(130);
    ws.write('go.flag', '');
    const runId = onlyRunId(ws.stateDir);
    const resumed = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    const written = drctl(['report', runId, '--format', 'html', '--output', 'report.html', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
    });
    expect(written.status, written.all).toBe(0);
    return { name: 'resumed', ws, report: readReport(ws.stateDir, runId), html: ws.path('report.html') };
  }

  afterAll(async () => {
    await browser?.close();
    for (const m of made) m.ws.remove();
  });

  const each = (name: string): Made => made.find((m) => m.name === name)!;

  async function open(m: Made, width: number): Promise<Page> {
    const page = await browser!.open(m.html, width);
    writeFileSync(join(ARTIFACTS, `${m.name}-${width}.png`), await page.screenshot());
    return page;
  }

  for (const name of ['drill', 'failed', 'resumed']) {
    it(`${name}: loads with no request but the file itself, and draws one bar per executed attempt where its time puts it`, async () => {
      const m = each(name);
      const page = await open(m, 1280);
      expect(page.requests).toEqual([`file://${m.html}`]);
      const drawn = await page.evaluate<{
        scale: string;
        view: number;
        svgLeft: number;
        svgWidth: number;
        bars: Array<{ step: string; attempt: number; left: number }>;
        operator: string[];
        rto: number | null;
        rtoOffScale: string | null;
        t0: number;
      }>(`(() => {
        const svg = document.querySelector('svg.timeline');
        const box = svg.getBoundingClientRect();
        const centre = (el) => { const r = el.getBoundingClientRect(); return r.left + r.width / 2; };
        const rto = svg.querySelector('g.rto:not(.off-scale) line');
        return {
          scale: svg.dataset.scale,
          view: svg.viewBox.baseVal.width,
          svgLeft: box.left,
          svgWidth: box.width,
          bars: [...svg.querySelectorAll('rect.bar.attempt')].map((b) => ({ step: b.dataset.step, attempt: Number(b.dataset.attempt), left: b.getBoundingClientRect().left })),
          operator: [...svg.querySelectorAll('rect.bar.operator')].map((b) => b.dataset.step),
          rto: rto ? centre(rto) : null,
          rtoOffScale: svg.querySelector('g.rto.off-scale')?.textContent ?? null,
          t0: centre(svg.querySelector('g.t0 line')),
        };
      })()`);
      // Seconds from T0 to a client x, by the axis the page declares (pieces of from:to:x0:x1 in SVG units).
      const segments = drawn.scale.split(' ').map((s) => s.split(':').map(Number) as [number, number, number, number]);
      expect(segments.length).toBeGreaterThan(0);
      const px = (s: number): number => {
        const seg = segments.find(([from, to]) => s >= from && s <= to) ?? segments.at(-1)!;
        const [from, to, x0, x1] = seg;
        return drawn.svgLeft + ((x0 + ((s - from) / (to - from)) * (x1 - x0)) * drawn.svgWidth) / drawn.view;
      };
      const t0 = Date.parse(m.report.incident_start);
      const expected = m.report.steps.flatMap((s) =>
        s.attempt_log.map((a) => ({ step: s.id, attempt: a.attempt, left: px((Date.parse(a.started_at) - t0) / 1000) })),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(drawn.bars.map((b) => `${b.step}#${b.attempt}`).sort()).toEqual(expected.map((b) => `${b.step}#${b.attempt}`).sort());
      for (const bar of drawn.bars) {
        const want = expected.find((e) => e.step === bar.step && e.attempt === bar.attempt)!;
        expect(Math.abs(bar.left - want.left), `${bar.step}#${bar.attempt}`).toBeLessThan(1.5);
      }
      expect(Math.abs(drawn.t0 - px(0))).toBeLessThan(1.5);
      // The RTO is a line at its time, or (far past the run's end) named at the edge of the chart.
      const target = m.report.rto!.target_s;
      if (target <= segments.at(-1)![1]) {
        expect(drawn.rtoOffScale).toBeNull();
        expect(Math.abs(drawn.rto! - px(target))).toBeLessThan(1.5);
      } else {
        expect(drawn.rto).toBeNull();
        expect(drawn.rtoOffScale).toMatch(/^RTO \S+ at T0\+\S+, beyond this scale/);
      }
      const manual = m.report.steps.filter((s) => s.status === 'succeeded' && s.attempt_log.length === 0).map((s) => s.id);
      expect(drawn.operator).toEqual(manual);
    });

    it(`${name}: every table has a caption, every th a scope and text; the SVG has a title and a description`, async () => {
      const page = await open(each(name), 1280);
      const facts = await page.evaluate<{
        lang: string;
        viewport: string | null;
        tables: number;
        captions: number;
        th: number;
        scoped: number;
        emptyTh: number;
        title: string;
        desc: string;
      }>(`(() => {
        const th = [...document.querySelectorAll('th')];
        const svg = document.querySelector('svg.timeline');
        const labelled = (svg.getAttribute('aria-labelledby') || '').split(' ').map((id) => document.getElementById(id)?.textContent?.trim() ?? '');
        return {
          lang: document.documentElement.lang,
          viewport: document.querySelector('meta[name=viewport]')?.getAttribute('content') ?? null,
          tables: document.querySelectorAll('table').length,
          captions: [...document.querySelectorAll('table')].filter((t) => t.caption && t.caption.textContent.trim() !== '').length,
          th: th.length,
          scoped: th.filter((h) => h.getAttribute('scope') === 'col' || h.getAttribute('scope') === 'row').length,
          emptyTh: th.filter((h) => h.textContent.trim() === '').length,
          title: labelled[0] ?? '',
          desc: labelled[1] ?? '',
        };
      })()`);
      expect(facts.lang).toBe('en');
      expect(facts.viewport).toContain('width=device-width');
      expect(facts.tables).toBeGreaterThan(3);
      expect(facts.captions).toBe(facts.tables);
      expect(facts.scoped).toBe(facts.th);
      expect(facts.emptyTh).toBe(0);
      expect(facts.title).toMatch(/^Timeline of /);
      expect(facts.desc).toContain('T0 is ');
    });

    it(`${name}: at 390 px nothing is wider than the screen (the timeline scrolls inside its box, tables reflow)`, async () => {
      const page = await open(each(name), 390);
      const layout = await page.evaluate<{ scrollWidth: number; wide: string[]; boxRight: number; tableDisplay: string }>(`(() => {
        const wide = [];
        for (const el of document.body.querySelectorAll('*')) {
          if (el.closest('.timeline-box') && !el.classList.contains('timeline-box')) continue;
          const r = el.getBoundingClientRect();
          if (r.width > 0 && (r.right > 390.5 || r.left < -0.5)) wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
        }
        return {
          scrollWidth: document.documentElement.scrollWidth,
          wide,
          boxRight: document.querySelector('.timeline-box').getBoundingClientRect().right,
          tableDisplay: getComputedStyle(document.querySelector('table.steps tr')).display,
        };
      })()`);
      expect(layout.wide).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(390);
      expect(layout.boxRight).toBeLessThanOrEqual(390);
      expect(layout.tableDisplay).toBe('block');
    });
  }

  it('resumed: the interruption and the resume are marked where they happened, and the time drctl was stopped is shaded', async () => {
    const m = each('resumed');
    expect(m.report.interruptions.length).toBeGreaterThan(0);
    const page = await open(m, 1280);
    const marks = await page.evaluate<{ interrupted: number[]; resumed: number[]; gaps: number }>(`(() => {
      const at = (sel) => [...document.querySelectorAll('svg.timeline ' + sel)].map((g) => Number(g.dataset.atS));
      return { interrupted: at('g.mark.interrupted'), resumed: at('g.mark.resumed'), gaps: document.querySelectorAll('svg.timeline rect.gap').length };
    })()`);
    const t0 = Date.parse(m.report.incident_start);
    const since = (iso: string): number => (Date.parse(iso) - t0) / 1000;
    expect(marks.interrupted).toEqual(m.report.interruptions.map((i) => since(i.at)));
    expect(marks.resumed).toEqual(m.report.operators.slice(1).map((o) => since(o.at)));
    expect(marks.gaps).toBe(m.report.interruptions.filter((i) => i.resumed_at !== null).length);
    const text = await page.evaluate<string>('document.body.innerText');
    expect(text).toContain('Interruptions and resumes');
    expect(text).toContain('SIGINT');
  });

  it('drill: the history of the runbook is drawn, this run marked among its earlier drills', async () => {
    const m = each('drill');
    const page = await open(m, 1280);
    const bars = await page.evaluate<Array<{ run: string; current: boolean }>>(
      `[...document.querySelectorAll('svg.history rect.history-bar')].map((b) => ({ run: b.dataset.run, current: b.classList.contains('current') }))`,
    );
    expect(bars).toHaveLength(2);
    expect(bars.filter((b) => b.current).map((b) => b.run)).toEqual([m.report.run_id]);
    expect(bars[0]!.run).not.toBe(m.report.run_id);
    expect(each('failed').report.run_id).toBeTruthy();
    const failed = await open(each('failed'), 1280);
    expect(await failed.evaluate<number>(`document.querySelectorAll('svg.history').length`)).toBe(0);
  });

  it('hostile titles and outputs stay text: no element, style or request of theirs', async () => {
    const m = each('failed');
    const page = await open(m, 1280);
    const dom = await page.evaluate<{ h1: string; foreign: number; hidden: string; text: string }>(`(() => ({
      h1: document.querySelector('h1').textContent,
      foreign: document.querySelectorAll('script, img, link, iframe, object, embed, b, body style').length,
      hidden: getComputedStyle(document.body).display,
      text: document.body.textContent,
    }))()`);
    expect(dom.h1).toBe(HOSTILE_TITLE);
    expect(dom.foreign).toBe(0);
    expect(dom.hidden).toBe('block');
    expect(dom.text).toContain('<iframe src="http://example.invalid/"></iframe>');
    expect(page.requests).toEqual([`file://${m.html}`]);
  });

  it('drill: the after-action fields are on the page: scope, people, attempts, decisions, note, review and the journal head', async () => {
    const m = each('drill');
    const page = await open(m, 1280);
    const text = await page.evaluate<string>('document.body.innerText');
    expect(text).toContain(`drctl ${m.report.tool.version}`);
    expect(text).toContain(m.report.runbook_file.digest);
    expect(text).toMatch(/environment staging; severity drill; owner platform-team/);
    expect(text).toMatch(/Ada Lovelace\s+incident lead/);
    expect(text).toMatch(/Grace Hopper\s+DBA/);
    expect(text).toContain('the fetch needed 3 tries: <flaky> link');
    expect(text).toMatch(/move the backups next to the restore host\s+Ada Lovelace\s+2026-12-15/);
    expect(m.report.sign_offs).toHaveLength(1);
    expect(text).toMatch(new RegExp(`Grace Hopper\\s+head of operations[\\s\\S]*${m.report.sign_offs[0]!.covers}`));
    expect(text).toContain(m.report.journal.head!);
    for (const d of m.report.decisions) expect(text).toContain(d.answer);
    expect(text).toMatch(/failed: exit code 7\s+connection reset by peer/);
    expect(text).toContain('DBA on call <confirms> the replica is gone & "rebuilt"');
    expect(text).toContain('connection reset by peer');
    expect(text).toContain('The home page loads');
    expect(text).toMatch(/Backup used\s+-\s+T0-5m\d\ds/);
  });

  it('prints: shading is kept and the PDF is made', async () => {
    const m = each('drill');
    const page = await open(m, 1280);
    const pdf = await page.pdf();
    writeFileSync(join(ARTIFACTS, `${m.name}.pdf`), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const adjust = await page.evaluate<string>('getComputedStyle(document.body).printColorAdjust');
    expect(adjust).toBe('exact');
  });
});
