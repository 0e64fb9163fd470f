import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import type { CliResult, Workspace } from '../run/helpers.js';
import { drctl, drctlAsync, header, onlyRunId, requireBuild, ROOT, workspace } from '../run/helpers.js';
import { shellQuote } from '../../../src/runbook/shell-quote.js';

/**
 * The leak scanner: runbooks push secrets through every place drctl writes or shows something,
 * and every byte drctl produced is searched for each secret in every encoding. Found: 0.
 *
 * The secrets: a secret input, the password of a secret PostgreSQL URL, the password of a
 * PostgreSQL URL given through an input that is NOT secret, and the password of a URL that a step
 * prints into an output (it never was an input). Each holds characters that every encoding
 * changes: quotes, a backslash, a space, @, / and %.
 *
 * The places: drctl's stdout and stderr for plan, plan --json, run --dry-run --json and run; every
 * file under the state folder (journal, report.json); the --report files and `drctl report` in
 * every format; `drctl runs` and `drctl runs --json`; and /proc/<pid>/cmdline of every process on
 * the machine, sampled while the steps run (a psql, a sleep with the secret in its environment).
 */

const TOKEN = `Tk9-"q'\\ z@/%41 Lx`;
const PG_PASSWORD = `Pg7-"r'\\ y@/%42 Mw`;
const PLAIN_PASSWORD = `Pl5-"s'\\ x@/%43 Nv`;
const OUTPUT_PASSWORD = `Op3-"t'\\ w@/%44 Ou`;

const SECRETS: Record<string, string> = {
  'the secret input': TOKEN,
  "the secret URL's password": PG_PASSWORD,
  "the plain URL's password": PLAIN_PASSWORD,
  "the output URL's password": OUTPUT_PASSWORD,
};

/** Every form a secret is searched in. A cut-off form (a message quoting the first characters) is found by its start. */
function formsOf(secret: string): Record<string, string> {
  const uri = encodeURIComponent(secret);
  const forms: Record<string, string> = {
    raw: secret,
    'JSON-escaped': JSON.stringify(secret).slice(1, -1),
    'shell-quoted': shellQuote(secret),
    'escaped inside double quotes': secret.replace(/[$`"\\]/g, '\\$&'),
    'URL-encoded': uri,
    'URL-encoded with +': uri.replaceAll('%20', '+'),
    base64: Buffer.from(secret).toString('base64'),
  };
  for (const [name, form] of Object.entries({ ...forms })) forms[`${name}, its first 10 characters`] = form.slice(0, 10);
  return forms;
}

/** Where each secret was found, with a little context: [] when nowhere. */
function leaks(places: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [secretName, secret] of Object.entries(SECRETS)) {
    for (const [formName, form] of Object.entries(formsOf(secret))) {
      for (const [where, text] of places) {
        let at = text.indexOf(form);
        while (at >= 0) {
          const context = text.slice(Math.max(0, at - 60), at + form.length + 60).replaceAll('\0', ' ');
          found.push(`${secretName} (${formName}) in ${where} at ${at}: …${context}…`);
          at = text.indexOf(form, at + 1);
        }
      }
    }
  }
  return found;
}

/** Samples /proc/<pid>/cmdline of every process until stopped: what anyone on the host sees with ps. */
class CommandLineSampler {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 40);
  }

  stop(): string[] {
    clearInterval(this.timer);
    this.sample();
    return [...this.seen];
  }

  private sample(): void {
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline) this.seen.add(cmdline);
      } catch {
        // ended while we looked
      }
    }
  }
}

/** Whether a sampled command line runs this program (psql may be started through a wrapper script). */
function runs(program: string): (cmdline: string) => boolean {
  return (cmdline) =>
    cmdline
      .split('\0')
      .slice(0, 2)
      .some((part) => basename(part) === program);
}

/** Every file under a folder, by path relative to `label`. */
function filesUnder(dir: string, label: string, into: Map<string, string>): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, `${label}/${name}`, into);
    else into.set(`${label}/${name}`, readFileSync(path, 'latin1'));
  }
}

function keep(places: Map<string, string>, what: string, result: CliResult): void {
  places.set(`${what}: stdout`, result.stdout);
  places.set(`${what}: stderr`, result.stderr);
}

/** A plain failure of a step or a refused runbook is fine here; a crash is not. */
function expectNoCrash(result: CliResult, what: string): void {
  expect(result.status, `${what}\n${result.all}`).not.toBeNull();
  expect(result.status, `${what}\n${result.all}`).not.toBe(70);
  expect(result.all, what).not.toMatch(/internal error|\n\s+at .+\(.*:\d+:\d+\)/);
}

/** Everything drctl keeps or can tell about the runs in a workspace: state folder, reports in every format, run lists. */
function collectRuns(ws: Workspace, places: Map<string, string>, label: string, env: Record<string, string>): void {
  filesUnder(ws.stateDir, `${label} state`, places);
  for (const id of readdirSync(join(ws.stateDir, 'runs'))) {
    for (const format of ['json', 'md', 'junit', 'html']) {
      const report = drctl(['report', id, '--format', format, '--state-dir', ws.stateDir], { cwd: ws.dir, env });
      expect(report.status, report.all).toBe(0);
      keep(places, `${label}: drctl report --format ${format}`, report);
    }
  }
  for (const json of [[], ['--json']]) {
    const runs = drctl(['runs', ...json, '--state-dir', ws.stateDir], { cwd: ws.dir, env });
    expect(runs.status, runs.all).toBe(0);
    keep(places, `${label}: drctl runs ${json.join(' ')}`, runs);
  }
}

/** printf escapes for text, so a runbook can make a value appear without holding it. */
function printfEscaped(text: string): string {
  return [...Buffer.from(text)].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}

beforeAll(() => requireBuild());

describe.skipIf(!hasPostgres())('the leak scanner (a real PostgreSQL, the real psql)', () => {
  let pg: TestPostgres;

  /** A URL to the test server with this password (the server trusts local connections: any password is accepted). */
  const urlWith = (password: string, database: string): string =>
    `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/${database}`;

  beforeAll(async () => {
    pg = await startPostgres();
    pg.createDatabase('shop');
    pg.createDatabase('restore_target');
  });

  afterAll(() => pg?.stop());

  it('finds no secret anywhere drctl writes, prints or runs: every sink of a run', { timeout: 240_000 }, async () => {
    const ws = workspace('drctl-leaks-');
    const evidence = ws.path('evidence');
    ws.write('evidence/.keep', '');
    const dsnSource = `postgres://app:${printfEscaped(encodeURIComponent(OUTPUT_PASSWORD))}@db.example/shop`;
    ws.runbook(
      'leaks.yaml',
      `${header('leaks', 'Every sink')}inputs:
  token: { secret: true, env: LEAK_TOKEN }
  pg_url: { secret: true, env: LEAK_PG_URL }
  wrong_db_url: { secret: true, env: LEAK_WRONG_DB_URL }
  plain_url: { env: LEAK_PLAIN_URL, description: "not secret, yet it holds a password" }
  plain_http_url: { env: LEAK_PLAIN_HTTP_URL, description: not secret either }
env:
  EVIDENCE: ${JSON.stringify(evidence)}
steps:
  - id: speak
    title: Prints the secrets on stdout and stderr, and makes outputs of them
    env: { TOKEN: "\${{ inputs.token }}", PG_URL: "\${{ inputs.pg_url }}", PLAIN_URL: "\${{ inputs.plain_url }}" }
    run: |
      printf '%s' "$TOKEN" > "$EVIDENCE/token.txt"
      printf '%s' "$PLAIN_URL" > "$EVIDENCE/plain-url.txt"
      echo "token=$TOKEN"
      printf 'base64=%s\\n' "$(printf '%s' "$TOKEN" | base64 -w0)"
      echo "url=$PG_URL"
      echo "plain=$PLAIN_URL" >&2
      printf 'dsn=${dsnSource}\\n'
    outputs:
      tok: { from: stdout, regex: "token=(.*)" }
      dsn: { from: stdout, regex: "dsn=(\\\\S+)" }
      plain: { from: stderr, regex: "plain=(\\\\S+)" }
  - id: fail-loudly
    title: A failing command that prints the secret
    env: { TOKEN: "\${{ inputs.token }}" }
    run: |
      echo "cannot log in with $TOKEN" >&2
      exit 3
    on_failure: continue
  - id: expect-stdout
    title: An expectation on stdout against a secret
    env: { TOKEN: "\${{ inputs.token }}" }
    run: echo "got $TOKEN"
    expect: { stdout: { equals: "\${{ inputs.token }} and more" } }
    on_failure: continue
  - id: expect-output
    title: An expectation on an output that holds the secret
    env: { TOKEN: "\${{ inputs.token }}" }
    run: echo "$TOKEN"
    outputs:
      value: { from: stdout }
    expect: { outputs: { value: { contains: "\${{ steps.speak.outputs.dsn }}" } } }
    on_failure: continue
  - id: expect-matches
    title: A pattern built from an output that holds a URL password
    run: echo nothing
    expect: { stdout: { matches: "\${{ steps.speak.outputs.dsn }}(" } }
    on_failure: continue
  - id: uses-outputs
    title: Outputs that hold secrets, in a command's environment and its displayed command
    if: \${{ steps.speak.outputs.tok != '' && inputs.plain_url != '' }}
    env: { DSN: "\${{ steps.speak.outputs.dsn }}", TOK: "\${{ steps.speak.outputs.tok }}" }
    run: |
      echo "dsn is $DSN and tok is $TOK"
      echo "plain output is \${{ steps.speak.outputs.plain }}"
  - id: confirm-ask
    title: A confirmation that quotes a secret and the plain URL
    confirm: "Send \${{ inputs.token }} to \${{ inputs.plain_url }}?"
    run: "true"
  - id: confirm-type
    title: A typed confirmation of an output holding a URL password
    confirm: { type: "\${{ steps.speak.outputs.dsn }}" }
    run: "true"
  - id: psql-and-sleep
    title: psql and sleep run with the secrets in their environment
    postgres: "\${{ inputs.pg_url }}"
    env: { TOKEN: "\${{ inputs.token }}", PLAIN_URL: "\${{ inputs.plain_url }}" }
    run: |
      sleep 2 &
      psql -XAtc 'SELECT pg_sleep(2)' > "$EVIDENCE/psql.txt"
      wait
  - id: inline-secret
    title: A secret substituted into the script itself
    run: |
      printf '%s' \${{ inputs.token }} > "$EVIDENCE/inline.txt"
      sleep 1
      echo "the shell stays until here, so its command line is sampled"
  - id: query-ok
    title: postgres.query with the secret URL
    uses: postgres.query
    with: { url: "\${{ inputs.pg_url }}", sql: "SELECT 'connected' AS v" }
  - id: query-wrong-db
    title: postgres.query against a database that does not exist, secret URL
    uses: postgres.query
    with: { url: "\${{ inputs.wrong_db_url }}", sql: "SELECT 1" }
    on_failure: continue
  - id: query-plain-wrong-db
    title: postgres.query against a database that does not exist, plain URL
    uses: postgres.query
    with: { url: "\${{ inputs.plain_url }}", sql: "SELECT 1" }
    on_failure: continue
  - id: http-with-password
    title: http.check with a URL password nobody declared secret
    uses: http.check
    with: { url: "\${{ inputs.plain_http_url }}" }
    on_failure: continue
`,
    );
    const env = {
      LEAK_TOKEN: TOKEN,
      LEAK_PG_URL: urlWith(PG_PASSWORD, 'shop'),
      LEAK_WRONG_DB_URL: urlWith(PG_PASSWORD, 'no_such_database'),
      LEAK_PLAIN_URL: urlWith(PLAIN_PASSWORD, 'no_such_plain_database'),
      // Nothing listens on port 9 of this host: the check fails with the URL in its message.
      LEAK_PLAIN_HTTP_URL: `http://admin:${encodeURIComponent(PLAIN_PASSWORD)}@127.0.0.1:9/health`,
    };
    const places = new Map<string, string>();
    const validate = drctl(['validate', 'leaks.yaml'], { cwd: ws.dir, env });
    expectNoCrash(validate, 'validate');
    keep(places, 'validate', validate);
    for (const args of [['plan'], ['plan', '--json'], ['run', '--dry-run', '--json']]) {
      const result = drctl([...args, 'leaks.yaml'], { cwd: ws.dir, env });
      expect(result.status, result.all).toBe(0);
      keep(places, args.join(' '), result);
    }

    const sampler = new CommandLineSampler();
    sampler.start();
    const reports = ['json:out/report.json', 'md:out/report.md', 'junit:out/report.xml', 'html:out/report.html'];
    const run = await drctlAsync(['run', 'leaks.yaml', '--yes', '--state-dir', ws.stateDir, ...reports.flatMap((r) => ['--report', r])], {
      cwd: ws.dir,
      env,
      timeoutMs: 180_000,
    });
    const commandLines = sampler.stop();
    expectNoCrash(run, 'run');
    keep(places, 'run', run);
    commandLines.forEach((line, i) => places.set(`/proc/*/cmdline sample ${i} (${line.split('\0')[0]})`, line));
    filesUnder(ws.path('out'), 'report files', places);
    collectRuns(ws, places, 'the run', env);

    // The secrets reached the steps that needed them: the scanner looked at a run that used them.
    expect(ws.read('evidence/token.txt')).toBe(TOKEN);
    expect(ws.read('evidence/plain-url.txt')).toBe(env.LEAK_PLAIN_URL);
    expect(ws.read('evidence/psql.txt').trim()).toBe('');
    // And the sampler saw the step's processes while they ran.
    expect(commandLines.some(runs('psql')), 'psql was sampled').toBe(true);
    expect(commandLines.some(runs('sleep')), 'sleep was sampled').toBe(true);
    expect(ws.read('evidence/inline.txt')).toBe(TOKEN);
    expect(
      commandLines.some((line) => runs('bash')(line) && line.includes('inline.txt')),
      'the shell of the script holding the secret was sampled',
    ).toBe(true);
    const journal = readFileSync(join(ws.stateDir, 'runs', onlyRunId(ws.stateDir), 'journal.jsonl'), 'utf8');
    for (const step of [
      'speak',
      'fail-loudly',
      'expect-stdout',
      'expect-output',
      'query-wrong-db',
      'query-plain-wrong-db',
      'http-with-password',
    ])
      expect(journal, `step ${step} ran`).toContain(`"step":"${step}"`);

    expect(leaks(places)).toEqual([]);
  });

  it('finds no secret in substitution errors, at plan time or run time', { timeout: 120_000 }, async () => {
    const ws = workspace('drctl-leaks-');
    const env = { LEAK_TOKEN: TOKEN, LEAK_PLAIN_URL: urlWith(PLAIN_PASSWORD, 'shop') };
    const inputs = `inputs:
  token: { secret: true, env: LEAK_TOKEN }
  plain_url: { env: LEAK_PLAIN_URL }
`;
    ws.runbook(
      'from-inputs.yaml',
      `${header('subst-inputs', 'Substitution errors from inputs')}${inputs}steps:
  - id: arithmetic
    title: Inputs in arithmetic
    run: |
      echo $(( \${{ inputs.token }} + 1 ))
      echo $(( \${{ inputs.plain_url }} + 1 ))
`,
    );
    ws.runbook(
      'from-outputs.yaml',
      `${header('subst-outputs', 'Substitution errors from outputs')}${inputs}steps:
  - id: produce
    title: Outputs holding secrets
    env: { TOKEN: "\${{ inputs.token }}", PLAIN_URL: "\${{ inputs.plain_url }}" }
    run: |
      echo "$TOKEN"
      echo "$PLAIN_URL" >&2
    outputs:
      tok: { from: stdout }
      url: { from: stderr }
  - id: arithmetic
    title: Outputs in arithmetic
    run: |
      echo $(( \${{ steps.produce.outputs.tok }} + 1 ))
      echo $(( \${{ steps.produce.outputs.url }} + 1 ))
`,
    );
    const places = new Map<string, string>();
    for (const file of ['from-inputs.yaml', 'from-outputs.yaml']) {
      for (const args of [['validate'], ['plan'], ['plan', '--json'], ['run', '--dry-run', '--json']]) {
        const result = drctl([...args, file], { cwd: ws.dir, env });
        expectNoCrash(result, `${args.join(' ')} ${file}`);
        keep(places, `${args.join(' ')} ${file}`, result);
      }
      const run = await drctlAsync(['run', file, '--yes', '--state-dir', ws.stateDir, '--report', `md:${file}.md`], { cwd: ws.dir, env });
      expectNoCrash(run, `run ${file}`);
      keep(places, `run ${file}`, run);
      if (ws.exists(`${file}.md`)) places.set(`${file}.md`, ws.read(`${file}.md`));
    }
    if (ws.exists('state/runs')) collectRuns(ws, places, 'substitution runs', env);
    expect(leaks(places)).toEqual([]);
  });

  it("finds no secret in the shipped database-loss runbook's restore step against a real PostgreSQL", { timeout: 120_000 }, async () => {
    const ws = workspace('drctl-leaks-');
    const shipped = parse(readFileSync(join(ROOT, 'runbooks', 'database-loss.yaml'), 'utf8')) as {
      env?: Record<string, string>;
      inputs: Record<string, unknown>;
      steps: Array<{ id: string }>;
    };
    const restore = shipped.steps.find((step) => step.id === 'restore-database');
    const waitDatabase = shipped.steps.find((step) => step.id === 'wait-database');
    expect(restore, 'the shipped runbook has its restore step').toBeDefined();
    expect(waitDatabase, 'and the step whose outputs name the target').toBeDefined();
    // A dump (ending as pg_dump's do) that takes a moment to restore, so its psql is seen running.
    const backup = ws.write('backup.sql.gz', '');
    writeFileSync(
      backup,
      gzipSync(
        'CREATE TABLE customers (id int PRIMARY KEY, name text);\nINSERT INTO customers VALUES (1, $$Ada$$);\nSELECT pg_sleep(2);\n\n--\n-- PostgreSQL database dump complete\n--\n\n',
      ),
    );
    // The restore step exactly as shipped (postgres.restore streaming the backup), after a step that stands in for find-backup.
    const runbook = {
      apiVersion: 'drctl/v1',
      kind: 'Runbook',
      metadata: { name: 'database-loss-restore', title: 'The restore step of database-loss' },
      inputs: { database_url: shipped.inputs.database_url, poll_interval: shipped.inputs.poll_interval },
      ...(shipped.env ? { env: shipped.env } : {}),
      steps: [
        {
          // Stands in for find-backup: the facts the restore's confirmation names.
          id: 'find-backup',
          title: 'The backup found',
          run: `printf 'key=postgres/backup_1.sql.gz\\nsize=1.0 KiB\\nage=5m\\nuri=file://%s\\n' ${JSON.stringify(backup)}`,
          outputs: {
            key: { from: 'stdout', regex: 'key=(.*)' },
            size_text: { from: 'stdout', regex: 'size=(.*)' },
            age: { from: 'stdout', regex: 'age=(.*)' },
            uri: { from: 'stdout', regex: 'uri=(.*)' },
          },
        },
        waitDatabase,
        restore,
      ],
    };
    ws.runbook('restore.yaml', stringify(runbook));
    const env = { DATABASE_URL: urlWith(PG_PASSWORD, 'restore_target') };
    const places = new Map<string, string>();
    for (const args of [['plan'], ['plan', '--json']]) {
      const result = drctl([...args, 'restore.yaml'], { cwd: ws.dir, env });
      expect(result.status, result.all).toBe(0);
      keep(places, args.join(' '), result);
    }
    const sampler = new CommandLineSampler();
    sampler.start();
    const run = await drctlAsync(['run', 'restore.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env, timeoutMs: 90_000 });
    const commandLines = sampler.stop();
    expect(run.status, run.all).toBe(0);
    // The confirmation names the target of a secret URL whose password holds @, / and %.
    expect(run.all).toContain(
      `Restore backup postgres/backup_1.sql.gz (1.0 KiB, taken 5m before the incident start) into database restore_target on 127.0.0.1:${pg.port}?`,
    );
    keep(places, 'run', run);
    commandLines.forEach((line, i) => places.set(`/proc/*/cmdline sample ${i} (${line.split('\0')[0]})`, line));
    collectRuns(ws, places, 'the restore', env);

    expect(pg.psql('SELECT name FROM customers', 'restore_target').trim()).toBe('Ada');
    expect(commandLines.some(runs('psql')), 'psql was sampled').toBe(true);
    expect(leaks(places)).toEqual([]);
  });
});
