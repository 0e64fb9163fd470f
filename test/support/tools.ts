import { spawnSync } from 'node:child_process';

/**
 * Whether a tool an integration test needs is installed. On a developer's machine a missing tool
 * skips those tests with a loud notice; in CI (CI set) it is a failure, never a silent skip.
 */
export function requireTool(tool: string, why: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  const message = `${tool} is not installed: ${why}`;
  if (process.env.CI) throw new Error(`${message}. CI must install it (see .ci/run).`);
  process.stderr.write(`\n!!! SKIPPING: ${message}. Install ${tool} to run these tests.\n\n`);
  return false;
}
