// Prints a valid runbook of N steps that uses every kind of step feature validation checks:
// expressions naming inputs and earlier outputs, retries, until, confirm, rollback.
const steps = Number(process.argv[2] ?? 1000);
const lines = [
  'apiVersion: drctl/v1',
  'kind: Runbook',
  'metadata: { name: generated, title: Generated runbook }',
  `objectives: { rto: ${steps * 2}m, rpo: 15m }`,
  'inputs:',
  '  namespace: { default: app }',
  '  replicas: { type: number, default: 3 }',
  'steps:',
];
for (let i = 0; i < steps; i++) {
  const previous = i > 0 ? ` \${{ steps.step-${i - 1}.outputs.value }}` : '';
  lines.push(
    `  - id: step-${i}`,
    `    title: Step ${i}`,
    `    description: Does thing ${i} in \${{ inputs.namespace }}`,
    `    run: echo ${i} -n \${{ inputs.namespace }}${previous}`,
    '    budget: 1m',
    '    timeout: 5m',
    i % 3 === 0 ? '    retries: { attempts: 3, delay: 1s, backoff: 2 }' : '    retries: 1',
    '    outputs: { value: { from: stdout, trim: true } }',
    `    if: \${{ inputs.replicas > ${i % 5} || steps.step-${Math.max(0, i - 1)}.status == 'succeeded' }}`.replace(
      ` || steps.step-0.status == 'succeeded'`,
      i === 0 ? '' : ` || steps.step-0.status == 'succeeded'`,
    ),
    `    rollback: echo undo ${i}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
