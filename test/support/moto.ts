import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { freePort, waitUntil } from './ports.js';
import { requireTool } from './tools.js';

export interface TestMoto {
  endpoint: string;
  /** Environment for the AWS SDK and the aws CLI to talk to this emulator. */
  env: Record<string, string>;
  stop(): void;
}

export function hasMoto(): boolean {
  return (
    requireTool('moto_server', 'the AWS integration tests run against the moto emulator (S3, RDS, Route 53)') &&
    requireTool('aws', 'the AWS integration tests use the real aws CLI')
  );
}

/** moto_server on a free loopback port; its state lives as long as the process. */
export async function startMoto(): Promise<TestMoto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${endpoint}/moto-api/`)).ok, `moto_server on ${endpoint}`);
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stop() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
