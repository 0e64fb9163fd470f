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
}

export function recordingKubectl(dir: string, answers: { context?: string } = {}): RecordingKubectl {
  const binDir = join(dir, 'fake-bin');
  mkdirSync(binDir, { recursive: true });
  const log = join(dir, 'kubectl-calls.jsonl');
  const script = `#!/usr/bin/env node
const { appendFileSync } = require('node:fs');
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const line = args.join(' ');
if (line.startsWith('config current-context')) process.stdout.write(${JSON.stringify(answers.context ?? 'test-context')} + '\\n');
else if (/\\bget\\b/.test(line) && args.includes('-o') && args.some((a) => a.startsWith('jsonpath'))) process.stdout.write('');
else if (/\\bget\\b/.test(line)) process.stdout.write('NAME READY STATUS\\n');
process.exit(0);
`;
  const file = join(binDir, 'kubectl');
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return {
    binDir,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
  };
}
