import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * No Kubernetes API server exists here: tests put this recording kubectl first on PATH. It
 * appends each call's arguments (one JSON array per line) to a log, prints canned answers for
 * the reads a runbook makes, and succeeds.
 */
export interface RecordingKubectl {
  /** Put this folder first on PATH. */
  binDir: string;
  calls(): string[][];
  /**
   * From now on, a call whose arguments (joined by spaces) match `pattern` prints `stdout` and
   * succeeds, before the built-in answers; the first matching answer wins.
   */
  answer(pattern: RegExp, stdout: string): void;
}

export function recordingKubectl(dir: string, answers: { context?: string } = {}): RecordingKubectl {
  const binDir = join(dir, 'fake-bin');
  mkdirSync(binDir, { recursive: true });
  const log = join(dir, 'kubectl-calls.jsonl');
  const answersFile = join(dir, 'kubectl-answers.json');
  const script = `#!/usr/bin/env node
const { appendFileSync, readFileSync } = require('node:fs');
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const line = args.join(' ');
let canned = [];
try { canned = JSON.parse(readFileSync(${JSON.stringify(answersFile)}, 'utf8')); } catch {}
const found = canned.find((a) => new RegExp(a.source, a.flags).test(line));
if (found) process.stdout.write(found.stdout);
else if (line.startsWith('config current-context')) process.stdout.write(${JSON.stringify(answers.context ?? 'test-context')} + '\\n');
else if (/\\bget\\b/.test(line) && args.includes('-o') && args.some((a) => a.startsWith('jsonpath'))) process.stdout.write('');
else if (/\\bget\\b/.test(line)) process.stdout.write('NAME READY STATUS\\n');
process.exit(0);
`;
  // The script is a .cjs file behind a shell wrapper: an extensionless script would be read as an
  // ES module when a package.json with "type": "module" sits in a parent folder of the temp dir.
  const cjs = join(dir, 'kubectl.cjs');
  writeFileSync(cjs, script.replace(/^#!.*\n/, ''));
  const file = join(binDir, 'kubectl');
  writeFileSync(file, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cjs)} "$@"\n`);
  chmodSync(file, 0o755);
  return {
    binDir,
    answer(pattern, stdout) {
      const canned = existsSync(answersFile) ? (JSON.parse(readFileSync(answersFile, 'utf8')) as unknown[]) : [];
      canned.push({ source: pattern.source, flags: pattern.flags, stdout });
      writeFileSync(answersFile, JSON.stringify(canned));
    },
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}
