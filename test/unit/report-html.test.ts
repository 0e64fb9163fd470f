import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/build.js';
import { buildHistory } from '../../src/report/history.js';
import { COLOURS, CONTRAST_PAIRS, renderHtml } from '../../src/report/html.js';

/** WCAG 2 relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const channel = (i: number): number => {
    const v = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** A real drill's report.json: a retried step, a step allowed to fail, a manual checklist, a backup found (RPO). */
const drill = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'report', 'drill.json'), 'utf8')) as RunReport;

describe('the HTML report', () => {
  it('computes contrast as WCAG does (black on white 21:1, the old grey #777 4.48:1)', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(4.5);
  });

  it.each(CONTRAST_PAIRS.map((p) => [p.fg, p.bg, p.use] as const))('%s on %s (%s) meets WCAG AA', (fg, bg, use) => {
    const ratio = contrast(COLOURS[fg], COLOURS[bg]);
    expect(ratio, `${COLOURS[fg]} on ${COLOURS[bg]}: ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(
      use === 'text' ? 4.5 : use === 'graphic' ? 3 : 1.3,
    );
  });

  it('uses no colour but those whose contrast is checked', () => {
    const used = new Set([...renderHtml(drill).matchAll(/#[0-9a-fA-F]{3,8}\b/g)].map((m) => m[0].toLowerCase()));
    const paired = new Set(CONTRAST_PAIRS.flatMap((p) => [COLOURS[p.fg], COLOURS[p.bg]]));
    expect([...used].filter((colour) => !paired.has(colour as never))).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });

  it('is one file: no script, no external style, font or image, no URL to fetch', () => {
    const html = renderHtml(drill);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)|src=/i);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
  });

  it('draws waits close together as one bar, and the table counts the answers it stands for', () => {
    const smoke = drill.steps.find((s) => s.id === 'smoke')!;
    const at = (s: number): string => new Date(Date.parse(smoke.started_at!) + s * 1000).toISOString();
    const items = Array.from({ length: 70 }, (_, k) => ({
      at: at(k + 1),
      step: 'smoke',
      question: `item ${k + 1} of 70`,
      answer: 'done',
      wait_s: 1,
      by: 'ada@ops',
    }));
    const lone = { at: at(200), step: 'smoke', question: 'one more question', answer: 'yes', wait_s: 5, by: 'ada@ops' };
    const html = renderHtml({ ...drill, decisions: [...items, lone] });
    expect([...html.matchAll(/<rect class="bar wait" [^>]*data-step="smoke"/g)]).toHaveLength(2);
    expect(html).toContain('<title>waiting for 70 answers: ');
    expect(html).toMatch(/<th scope="row">Waiting for 70 answers<\/th>.*1m10s waiting in all; each question is in Decisions/);
    expect(html).toMatch(/<th scope="row">Waiting for an answer<\/th>.*one more question/);
    expect([...html.matchAll(/<td data-label="Question">item \d+ of 70<\/td>/g)]).toHaveLength(70);
  });

  it('lists the cleanup ledger: what the run made and what became of it', () => {
    const html = renderHtml({
      ...drill,
      cleanup: [{ path: '/var/tmp/orders.tar.gz', kind: 'file', step: 'fetch', status: 'failed', error: 'EACCES', at: drill.finished_at }],
    });
    expect(html).toContain('<caption>What the run made and what became of it</caption>');
    expect(html).toMatch(
      /<code>\/var\/tmp\/orders\.tar\.gz<\/code><\/th><td data-label="Kind">file<\/td>.*<span class="bad">failed<\/span><br>EACCES/,
    );
  });

  it('draws the attempt of a step the rollback undid as it ended: succeeded (exit code 0), not failed', () => {
    const rolledBack: RunReport = {
      ...drill,
      status: 'rolled_back',
      steps: drill.steps.map((s) => (s.id === 'restore' ? { ...s, status: 'rolled_back' } : s)),
    };
    const html = renderHtml(rolledBack);
    expect(html).toMatch(/<rect class="bar attempt ok" [^>]*data-step="restore" data-attempt="1"/);
    expect(html).toMatch(
      /<code>restore<\/code> #1<\/th>(<td[^>]*>[^<]*<\/td>){4}<td data-label="Result"><span class="ok">succeeded<\/span>/,
    );
  });

  it('draws a run that started days after the incident at the scale of the run, its axis counting from its start', () => {
    const days = 3 * 86_400;
    const late: RunReport = {
      ...drill,
      incident_start: new Date(Date.parse(drill.incident_start) - days * 1000).toISOString(),
      elapsed_s: drill.elapsed_s + days,
      rto: { ...drill.rto!, target_s: 336 * 3600, elapsed_s: drill.elapsed_s + days },
    };
    const html = renderHtml(late);
    const scale = /data-scale="([^"]+)"/
      .exec(html)![1]!
      .split(' ')
      .map((p) => p.split(':').map(Number));
    const [from, to] = scale.at(-1)!;
    // The run took about 14s: its piece of the axis is that long (and a margin), not hours.
    expect(to! - from!).toBeGreaterThan(13);
    expect(to! - from!).toBeLessThan(30);
    const widths = [...html.matchAll(/<rect class="bar attempt[^"]*" x="[^"]+" y="[^"]+" width="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...widths)).toBeGreaterThan(50);
    const ticks = [...html.matchAll(/<text [^>]*fill="#57606a" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]!);
    // The run's start (T0+72h01m: 72h and 30s, to the minute), then seconds from it, no two ticks alike.
    const run = ticks.filter((t) => t.startsWith('run+'));
    expect(run.length).toBeGreaterThan(2);
    expect(new Set(run).size).toBe(run.length);
    expect(ticks).toContain('T0+72h01m');
  });

  it('draws a wait polled 150,000 times (every second for about two days): one bar per poll, no stack overflow', () => {
    const restore = drill.steps.find((s) => s.id === 'restore')!;
    const start = Date.parse(restore.started_at!);
    const polls = 150_000;
    const log = Array.from({ length: polls }, (_, k) => ({
      attempt: k + 1,
      started_at: new Date(start + k * 1000).toISOString(),
      finished_at: new Date(start + k * 1000 + 20).toISOString(),
      duration_s: 0.02,
      exit_code: k === polls - 1 ? 0 : 1,
      error: null,
      error_tail: null,
      output_tail: 'replication lag: 3s',
    }));
    const html = renderHtml({
      ...drill,
      steps: drill.steps.map((s) => (s.id === 'restore' ? { ...s, attempts: polls, attempt_log: log } : s)),
    });
    expect(html).toMatch(/<rect class="bar attempt ok" [^>]*data-step="restore" data-attempt="150000"/);
    expect(html).toContain('</html>');
  }, 60_000);

  it('escapes every text a runbook, a command or an operator wrote', () => {
    const hostile = '<script>alert(1)</script>"\'&';
    const shown = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&apos;&amp;';
    const report: RunReport = {
      ...drill,
      title: hostile,
      runbook: hostile,
      steps: drill.steps.map((s) => ({
        ...s,
        title: hostile,
        id: hostile,
        reason: hostile,
        error_tail: hostile,
        attempt_log: s.attempt_log.map((a) => ({ ...a, error: hostile, error_tail: hostile })),
        ...(s.checklist ? { checklist: s.checklist.map((i) => ({ ...i, text: hostile, by: hostile })) } : {}),
      })),
      notes: [{ at: drill.started_at, user: hostile, host: hostile, text: hostile }],
      participants: drill.participants.map((p) => ({ ...p, name: hostile, role: hostile })),
      findings: drill.findings.map((f) => ({ ...f, text: hostile, by: hostile })),
      remediation: drill.remediation.map((m) => ({ ...m, text: hostile, owner: hostile })),
      sign_offs: drill.sign_offs.map((o) => ({ ...o, name: hostile, role: hostile })),
      scope: { ...drill.scope, environment: hostile, tags: [hostile] },
      decisions: drill.decisions.map((d) => ({ ...d, question: hostile, answer: hostile, by: hostile })),
      rpo: drill.rpo && { ...drill.rpo, evidence: hostile },
    };
    const html = renderHtml(report);
    expect(html).not.toContain('<script');
    expect(html).not.toContain(hostile);
    expect(html.split(shown).length).toBeGreaterThan(20);
  });
});

describe('the HTML report with the runbook history', () => {
  const earlier = (n: number, elapsed: number): RunReport => ({
    ...drill,
    run_id: `orders-restore-earlier-${n}`,
    started_at: `2026-0${n}-01T03:00:00.000Z`,
    finished_at: `2026-0${n}-01T03:01:00.000Z`,
    elapsed_s: elapsed,
    rto: drill.rto && {
      ...drill.rto,
      elapsed_s: elapsed,
      met: elapsed <= drill.rto.target_s,
      verdict: elapsed <= drill.rto.target_s ? 'met' : 'missed',
    },
    steps: drill.steps.map((s) => (s.id === 'restore' ? { ...s, duration_s: 2 } : s)),
  });

  it('draws each run against its RTO, marks this one, and names a step that regressed', () => {
    const slow: RunReport = { ...drill, steps: drill.steps.map((s) => (s.id === 'restore' ? { ...s, duration_s: 60 } : s)) };
    const history = buildHistory([earlier(1, 30), earlier(2, 50), earlier(3, 35), slow]).find((h) => h.runbook === drill.runbook)!;
    expect(history.steps.find((s) => s.id === 'restore')!.regression).not.toBeNull();
    const html = renderHtml(slow, history);
    const bars = [...html.matchAll(/<rect class="history-bar( current)?" data-run="([^"]+)"[^>]* fill="([^"]+)"/g)].map((m) => [
      m[2],
      Boolean(m[1]),
      m[3],
    ]);
    expect(bars).toEqual([
      ['orders-restore-earlier-1', false, COLOURS.barOk],
      ['orders-restore-earlier-2', false, COLOURS.barBad],
      ['orders-restore-earlier-3', false, COLOURS.barOk],
      [drill.run_id, true, drill.rto!.met ? COLOURS.barOk : COLOURS.barBad],
    ]);
    expect(html).toContain('<caption>Past runs: the RTO and RPO each achieved</caption>');
    expect(html).toMatch(/<td data-label="Suggested budget">\d+m?s?<\/td>/);
    expect(html).toMatch(
      /Restore the database <code>restore<\/code><\/th>.*<span class="bad">slower<\/span>: 1m against a median of 2s over 3 earlier runs/,
    );
  });

  it('leaves the chart out without another run to compare with', () => {
    const alone = buildHistory([drill]).find((h) => h.runbook === drill.runbook)!;
    expect(renderHtml(drill, alone)).not.toContain('svg class="history"');
    expect(renderHtml(drill)).not.toContain('svg class="history"');
  });
});

describe('the drill interval in the after-action facts', () => {
  it('is written in days as the runbook writes it (90d, not 2160h)', () => {
    const html = renderHtml({ ...drill, drill_every_s: 90 * 86_400 });
    expect(html).toContain('90d');
    expect(html).not.toContain('2160h');
  });
});
