import { describe, expect, it } from 'vitest';
import { resolveInputs } from '../../src/engine/inputs.js';
import { buildPlan } from '../../src/engine/plan.js';
import { validateText } from '../../src/runbook/validate.js';
import type { Runbook } from '../../src/runbook/model.js';

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: demo, title: Demo }
objectives: { rto: 10m, rpo: 5m }
inputs:
  namespace: { default: app }
  password: { secret: true, env: DEMO_PASSWORD }
  target: { type: choice, options: [staging, production], default: staging }
  replicas: { type: number, default: 3 }
steps:
  - id: find
    title: Find
    run: echo key-1
    budget: 4m
    outputs: { key: { from: stdout, trim: true } }
  - id: use
    title: Use
    run: restore \${{ steps.find.outputs.key }} -n \${{ inputs.namespace }} --password \${{ inputs.password }}
    budget: 4m
    confirm: { type: "\${{ inputs.namespace }}" }
  - id: prod-only
    title: Production only
    if: \${{ inputs.target == 'production' }}
    exec: [kubectl, scale, --replicas, "\${{ inputs.replicas }}"]
    budget: 5m
    confirm: true
  - id: later
    title: Depends on find
    if: \${{ steps.find.outputs.key == 'key-1' }}
    manual: Tell the team \${{ steps.find.outputs.key }} is restored
    budget: 5m
`;

function load(text: string): Runbook {
  const result = validateText('demo.yaml', text, 'digest');
  if (!result.runbook) throw new Error(JSON.stringify(result.diagnostics));
  return result.runbook;
}

function plan(pairs: Record<string, string>, env: Record<string, string> = { DEMO_PASSWORD: 's3cr3t-value' }) {
  const runbook = load(RUNBOOK);
  const inputs = resolveInputs(runbook, { pairs, env });
  return buildPlan(runbook, { inputs, mode: 'dry-run', runId: 'demo-1', incidentStart: new Date('2026-11-22T03:00:00Z'), env });
}

describe('plan', () => {
  it('shows earlier outputs as placeholders, masks secrets and quotes values as one shell word', () => {
    const result = plan({ namespace: "a b'c" });
    const use = result.steps[1]!;
    expect(use.command).toEqual({ kind: 'run', display: "restore <steps.find.outputs.key> -n 'a b'\\''c' --password ***" });
    expect(use.confirm).toEqual({ kind: 'type', text: "a b'c" });
    // The plan keeps the resolved inputs (to run and to mask with); nothing it shows holds the secret.
    expect(
      JSON.stringify({ steps: result.steps.map((s) => [s.command, s.confirm, s.rollback]), inputs: result.inputs, env: result.env }),
    ).not.toContain('s3cr3t-value');
  });

  it('decides if: from inputs and leaves it open when it depends on a step', () => {
    const result = plan({});
    expect(result.steps[2]!.condition).toEqual({ decided: true, value: false });
    expect(result.steps[3]!.condition).toEqual({ decided: false, placeholder: '<steps.find.outputs.key>' });
    expect(plan({ target: 'production' }).steps[2]!.condition).toEqual({ decided: true, value: true });
  });

  it('adds budgets cumulatively, skipping steps that will not run, and flags the RTO crossing', () => {
    const staging = plan({});
    expect(staging.steps.map((s) => s.cumulativeMs / 60_000)).toEqual([4, 8, 8, 13]);
    expect(staging.steps.map((s) => s.pastRto)).toEqual([false, false, false, true]);
    expect(plan({ target: 'production' }).totalBudgetMs).toBe(18 * 60_000);
  });

  it('substitutes exec arguments as they are, without shell quoting', () => {
    expect(plan({ target: 'production', replicas: '5' }).steps[2]!.command).toEqual({
      kind: 'exec',
      display: ['kubectl', 'scale', '--replicas', '5'],
    });
  });
});

describe('inputs', () => {
  const runbook = load(RUNBOOK);

  it('reports every missing or ill-typed input at once', () => {
    expect(() => resolveInputs(runbook, { pairs: { replicas: 'many', target: 'dev', namspace: 'x' }, env: {} })).toThrow(
      /4 problems[\s\S]*unknown input "namspace": did you mean "namespace"[\s\S]*missing required input "password"[\s\S]*"dev" is not one of[\s\S]*"many" is not a number/,
    );
  });

  it('takes --input over the environment over the default, and types the values', () => {
    const inputs = resolveInputs(runbook, { pairs: { replicas: '7' }, env: { DEMO_PASSWORD: 'p' } });
    expect(inputs.values).toMatchObject({ namespace: 'app', password: 'p', replicas: 7, target: 'staging' });
    expect(inputs.sources).toMatchObject({ namespace: 'default', password: 'env', replicas: 'option' });
  });

  it('never repeats a secret value in an error', () => {
    const secretNumber = load(
      RUNBOOK.replace('password: { secret: true, env: DEMO_PASSWORD }', 'password: { secret: true, type: number }'),
    );
    expect(() => resolveInputs(secretNumber, { pairs: { password: 'hunter2' }, env: {} })).toThrow(/the given value is not a valid number/);
    try {
      resolveInputs(secretNumber, { pairs: { password: 'hunter2' }, env: {} });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
