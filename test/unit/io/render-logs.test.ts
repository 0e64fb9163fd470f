import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../src/journal/entries.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { renderLogs } from '../../../src/io/render-logs.js';

/**
 * `drctl logs` numbers a step's attempts across the whole run: a step run again from the menu,
 * or cut short by Ctrl-C and finished after `drctl resume`, starts the executor's count again at 1,
 * but the report counts every attempt (attempts: 3), and the logs must tell them apart the same way.
 */

const lines = [
  '{"type":"run.started","run_id":"rv-20261130T005112Z-faad","runbook":"rv","title":"Review runbook","file":"/tmp/rv/rb.yaml","digest":"e2dbd361a41254dafa446b8025bc1b2cfc1c3c7d254841f28eef5ea60b394d16","mode":"real","incident_start":"2026-11-30T00:47:12.819Z","inputs":{},"secret_inputs":[],"objectives":{"rto_ms":900000,"rpo_ms":null},"options":{"yes":false,"accept_manual":false,"start_at":null,"reports":[],"aws_profile":null,"aws_region":null},"steps":[{"id":"slow","title":"Slow step","budget_ms":60000}],"pid":32287,"operator":{"user":"root","host":"vm","terminal":"pts/1"},"t":"2026-11-30T00:51:12.990Z"}',
  '{"type":"step.started","step":"slow","number":1,"kind":"run","t":"2026-11-30T00:51:24.194Z"}',
  '{"type":"step.attempt","step":"slow","attempt":1,"exit_code":0,"duration_ms":8017,"ended":"exited","error":null,"stdout_tail":"first run\\n","stderr_tail":"","truncated":false,"t":"2026-11-30T00:51:32.219Z"}',
  '{"type":"step.finished","step":"slow","number":1,"status":"succeeded","attempts":1,"exit_code":0,"duration_ms":8029,"waiting_ms":3180,"over_budget":false,"outputs":{},"reason":null,"redacted_outputs":[],"budget_ms":60000,"t":"2026-11-30T00:51:32.224Z"}',
  '{"type":"step.rerun","step":"slow","number":1,"previous":"succeeded","t":"2026-11-30T00:51:53.210Z"}',
  '{"type":"step.started","step":"slow","number":1,"kind":"run","t":"2026-11-30T00:51:53.211Z"}',
  '{"type":"step.attempt","step":"slow","attempt":1,"exit_code":null,"duration_ms":3029,"ended":"aborted","error":null,"stdout_tail":"","stderr_tail":"","truncated":false,"t":"2026-11-30T00:51:56.258Z"}',
  '{"type":"run.interrupted","signal":"SIGINT","t":"2026-11-30T00:51:56.259Z"}',
  '{"type":"run.resumed","pid":1729,"in_flight":"slow","torn_tail":false,"forced":false,"preflight":"ran","steps":[{"id":"slow","title":"Slow step","budget_ms":60000}],"operator":{"user":"root","host":"vm","terminal":"pts/1"},"t":"2026-11-30T00:52:00.541Z"}',
  '{"type":"step.started","step":"slow","number":1,"kind":"run","t":"2026-11-30T00:52:05.739Z"}',
  '{"type":"step.attempt","step":"slow","attempt":1,"exit_code":0,"duration_ms":8015,"ended":"exited","error":null,"stdout_tail":"second run\\n","stderr_tail":"","truncated":false,"t":"2026-11-30T00:52:13.977Z"}',
  '{"type":"step.finished","step":"slow","number":1,"status":"succeeded","attempts":1,"exit_code":0,"duration_ms":8235,"waiting_ms":5189,"over_budget":false,"outputs":{},"reason":null,"redacted_outputs":[],"budget_ms":60000,"t":"2026-11-30T00:52:13.978Z"}',
];

describe('drctl logs after a rerun and a resume', () => {
  it('labels the attempts 1, 2 and 3, as many as the report counts', () => {
    const entries = lines.map((line) => JSON.parse(line) as JournalEntry);
    const record = rebuildRun(entries);
    expect(record.steps.get('slow')?.attempts).toBe(3);
    const text = renderLogs(record, entries, 'slow', new Chalk({ level: 0 }));
    const labels = text.split('\n').filter((line) => /^ {2}attempt /.test(line));
    expect(labels).toEqual([
      '  attempt 1 · exit 0 · 8s · 2026-11-30T00:51:32.219Z',
      '  attempt 2 · no exit code (aborted) · 3s · 2026-11-30T00:51:56.258Z',
      '  attempt 3 · exit 0 · 8s · 2026-11-30T00:52:13.977Z',
    ]);
  });
});
