import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drctlCommandLine, requireBuild, TmuxSession, waitFor, workspace } from './helpers.js';
import type { Workspace } from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * What an 80-column terminal shows of a runbook written like the shipped ones: descriptions wrapped
 * by their author at another width, Markdown, and an action whose arguments hold a multi-line query.
 */

const WIDTH = 80;

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata:
  name: layout-demo
  title: Restore the orders database from the newest backup taken before the incident
  description: |
    The PostgreSQL database is gone: the instance, its volume or its data cannot be recovered in
    place. **Use it when** the database is unreachable or empty and will not come back by itself.
objectives:
  rto: 1h
  rpo: 15m
steps:
  - id: announce-the-incident-to-everyone
    title: Announce the incident to the users, the colleagues and the stakeholders
    description: |
      People need to know before you start: users stop retrying, colleagues stop "fixing" things
      in parallel. **Status updates every 30 minutes until the end**, in \`#incident-orders-database\`,
      and see [the status page](https://status.example.com/orders) for the public wording.

      - Post the initial report in the incident channel and by email to the stakeholders listed
        in the on-call handbook, with the *expected* recovery time.
      - [ ] Name an incident commander before anything else is done by anyone on the call.
    run: echo announced > announced.txt
    budget: 1m
  - id: assess-database
    title: Check that the database really is lost before restoring anything over it
    description: |
      Connects to the database and counts the tables. A database that does not answer, or
      answers with no tables, is what this runbook expects (the step may fail: the run goes on).
      **If it answers and holds tables, this may not be a total loss: stop and reconsider before
      going on.** The restore step refuses a database that holds tables anyway.
    uses: postgres.check
    with:
      url: postgres://app@127.0.0.1:1/orders
      checks:
        - name: tables in the database (a lost database has none, a living one has many)
          sql: |
            SELECT count(*) FROM information_schema.tables
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name NOT LIKE 'pg\\_%'
          expect: { equals: 0 }
    budget: 30s
`;

/** Columns a line takes: the screen holds no wide characters (·, ☐, ❯, │ are one column each). */
const columns = (line: string): number => [...line.trimEnd()].length;
const wider = (screen: string): string[] => screen.split('\n').filter((line) => columns(line) > WIDTH);

let session: TmuxSession | undefined;

beforeAll(() => requireBuild());

afterEach(() => {
  session?.kill();
  session = undefined;
});

function startAt80(ws: Workspace, args: string[], env: Record<string, string | undefined> = {}): TmuxSession {
  session = new TmuxSession();
  session.start(`${drctlCommandLine(args, { cwd: ws.dir, env })}; echo EXIT=$? > exitcode; sleep 600`, WIDTH);
  return session;
}

const hasTmux = requireTool('tmux', 'the layout tests look at what a real 80-column terminal shows, through tmux');

describe.skipIf(!hasTmux)('an 80-column terminal', () => {
  it('shows the header, the step cards, Markdown and YAML arguments within 80 columns, no word or timestamp split', async () => {
    const ws = workspace();
    ws.runbook('layout-demo.yaml', RUNBOOK);
    // Colour on, as an operator has it: the wrapping must not count colour codes as columns.
    const terminal = startAt80(ws, ['run', 'layout-demo.yaml', '--state-dir', 'st'], { NO_COLOR: undefined });
    await terminal.waitForScreen('? Step 1/2', 'the first step card and its prompt', 20_000);
    terminal.send(['Enter']);
    await waitFor(() => ws.exists('announced.txt'), 'the first step to run', 20_000);
    await terminal.waitForScreen('? Step 2/2', 'the second step card and its prompt', 20_000);
    const screen = terminal.screen();

    expect(wider(screen)).toEqual([]);
    // The header breaks between its parts: the incident start is whole, on its own line.
    expect(screen).toMatch(/^ {2}· incident start \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    // Descriptions are reflowed (the author's line ends are gone) and wrapped at spaces, indented.
    expect(screen).toMatch(/^ {2}People need to know before you start: users stop retrying, colleagues stop$/m);
    expect(screen).toMatch(/^ {2}"fixing" things in parallel\. Status updates every 30 minutes until the end, in$/m);
    // Markdown: no raw markers; a link as text (url); list items hang under their text; a checklist box.
    expect(screen).not.toMatch(/\*\*|`|\]\(/);
    expect(screen).toContain('the status page');
    expect(screen).toContain('(https://status.example.com/orders)');
    expect(screen).toMatch(/^ {2}- Post the initial report in the incident channel and by email to the\n {4}stakeholders/m);
    expect(screen).toMatch(/^ {2}☐ Name an incident commander/m);
    // The action's arguments are YAML: the query as written, no escaped line breaks, no JSON.
    expect(screen).toMatch(/^ {10}sql: \|\n {12}SELECT count\(\*\) FROM information_schema\.tables\n {13}WHERE table_schema/m);
    expect(screen).not.toContain('\\n');
    expect(screen).not.toMatch(/\[\{"/);

    // Abort at the second step: the query never runs. One key at a time, each waited for, so none overshoots.
    const highlighted = (): string | undefined => [...terminal.screen().matchAll(/❯ (\S.*?)\s*$/gm)].at(-1)?.[1];
    for (let i = 0; i < 8 && highlighted() !== 'abort'; i++) {
      const before = highlighted();
      terminal.send(['Down']);
      await waitFor(() => highlighted() !== before, 'the highlighted choice to move', 10_000);
    }
    expect(highlighted()).toBe('abort');
    terminal.send(['Enter']);
    const exited = (): string | false => ws.exists('exitcode') && ws.read('exitcode').trim();
    const exit = await waitFor(exited, 'drctl to exit', 20_000).catch((error: Error) => {
      throw new Error(`${error.message}\n--- screen ---\n${terminal.screen()}`);
    });
    expect(exit).toBe('EXIT=4');
    // The summary fits too.
    expect(wider(terminal.screen())).toEqual([]);
  });

  it('drctl show takes the width of the terminal it prints to', async () => {
    const ws = workspace();
    ws.runbook('layout-demo.yaml', RUNBOOK);
    const terminal = startAt80(ws, ['show', 'layout-demo.yaml'], { COLUMNS: undefined });
    await waitFor(() => ws.exists('exitcode'), 'drctl show to exit', 20_000);
    const screen = terminal.screen();
    expect(ws.read('exitcode').trim()).toBe('EXIT=0');
    expect(screen).toContain('Use it when the database is unreachable');
    expect(wider(screen)).toEqual([]);
    expect(screen).toMatch(/^ {13}sql: \|$/m);
  });
});
