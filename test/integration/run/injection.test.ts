import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, header, onlyRunId, readReport, requireBuild, workspace } from './helpers.js';

/** A value substituted into a command is data, never shell syntax. */

beforeAll(() => requireBuild());

const EVIL = `it's "quoted" $(touch PWNED) \`touch PWNED2\`; touch PWNED3 && touch PWNED4 | cat > PWNED5 $HOME \\ * ?\nsecond line`;

function pwned(ws: Workspace): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('PWNED')) found.push(`${dir}/${entry.name}`);
      if (entry.isDirectory()) walk(`${dir}/${entry.name}`);
    }
  };
  walk(ws.dir);
  return found;
}

describe('an input value full of shell syntax', () => {
  it('reaches run:, exec: and env exactly as given, and nothing in it is executed', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('injection', 'Injection')}inputs:
  v: { description: anything at all }
steps:
  - id: shell
    title: Into a shell script
    run: printf '%s' \${{ inputs.v }} > out.txt
  - id: shell-embedded
    title: Next to other words
    run: printf '%s|' before \${{ inputs.v }} after > out-words.txt
  - id: argv
    title: Into argv, no shell
    exec: [node, -e, "require('fs').writeFileSync('out-exec.txt', process.argv[1] + '|' + process.argv[2])", "\${{ inputs.v }}", "prefix-\${{ inputs.v }}"]
  - id: env
    title: Through the environment
    env: { V: "\${{ inputs.v }}" }
    run: printf '%s' "$V" > out-env.txt
  - id: echo-back
    title: Prints it back
    run: printf '%s' \${{ inputs.v }}
    outputs:
      same: { from: stdout, trim: false }
  - id: from-output
    title: A step output is quoted too
    run: printf '%s' \${{ steps.echo-back.outputs.same }} > out-output.txt
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--input', `v=${EVIL}`, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(pwned(ws)).toEqual([]);
    expect(ws.read('out.txt')).toBe(EVIL);
    expect(ws.read('out-words.txt')).toBe(`before|${EVIL}|after|`);
    expect(ws.read('out-exec.txt')).toBe(`${EVIL}|prefix-${EVIL}`);
    expect(ws.read('out-env.txt')).toBe(EVIL);
    expect(ws.read('out-output.txt')).toBe(EVIL);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(report.steps.find((s) => s.id === 'echo-back')!.outputs).toEqual({ same: EVIL });
  });

  it('is also safe when it comes from --inputs-file', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('injection-file', 'Injection from a file')}inputs:
  v: {}
steps:
  - id: shell
    title: Into a shell script
    run: printf '%s' \${{ inputs.v }} > out.txt
`,
    );
    ws.write('inputs.json', JSON.stringify({ v: EVIL }));
    const result = drctl(['run', 'rb.yaml', '--yes', '--inputs-file', 'inputs.json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(pwned(ws)).toEqual([]);
    expect(ws.read('out.txt')).toBe(EVIL);
  });
});
