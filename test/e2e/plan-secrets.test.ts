import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drctl } from './drctl.js';

const SECRET = 'hunter2-plan-secret';

describe('plan masks a secret wherever it surfaces', () => {
  it('also when it comes back through env.NAME (the runbook env, or the input environment variable)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-plan-secret-'));
    writeFileSync(
      join(dir, 'rb.yaml'),
      `apiVersion: drctl/v1
kind: Runbook
metadata: { name: sec, title: Sec }
objectives: { rto: 1h }
inputs:
  db_password: { secret: true, env: DB_PASSWORD }
env:
  PGPASSWORD: "\${{ inputs.db_password }}"
steps:
  - id: show
    title: Show
    exec: [echo, "\${{ env.PGPASSWORD }}", "\${{ env.DB_PASSWORD }}"]
`,
    );
    for (const args of [
      ['plan', 'rb.yaml'],
      ['plan', 'rb.yaml', '--json'],
      ['run', 'rb.yaml', '--dry-run'],
    ]) {
      const result = drctl(args, { cwd: dir, env: { DB_PASSWORD: SECRET } });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout + result.stderr, args.join(' ')).not.toContain(SECRET);
      expect(result.stdout).toContain('***');
    }
  });
});
