import { describe, expect, it } from 'vitest';
import { validateText } from '../../../src/runbook/validate.js';

const runbook = (step: string): string => `apiVersion: drctl/v1
kind: Runbook
metadata: { name: demo, title: Demo }
objectives: { rto: 1h }
inputs:
  health_url: { default: "http://127.0.0.1:1/health" }
steps:
${step}`;

const problems = (text: string): string[] =>
  validateText('demo.yaml', text, 'd').diagnostics.map((d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` | ${d.hint}` : ''}`);

describe("validate checks an action's with: arguments", () => {
  it('names an unknown argument at its key, with a suggestion', () => {
    expect(
      problems(
        runbook(`  - id: health
    title: Health
    uses: http.check
    with: { url: "http://x/health", stauts: 200 }
`),
      ),
    ).toEqual(['11:37 http.check has no argument "stauts" | did you mean "status"?']);
  });

  it('names a missing argument', () => {
    expect(
      problems(
        runbook(`  - id: health
    title: Health
    uses: http.check
    with: { method: GET }
`),
      )[0],
    ).toMatch(/^11:11 http.check needs the argument "url"/);
  });

  it("words a problem the action gives no message of its own for in zod's English", () => {
    expect(
      problems(
        runbook(`  - id: health
    title: Health
    uses: http.check
    with: { url: "http://x/health", method: FETCH }
  - id: pause
    title: Pause
    uses: sleep
    with: { duration: 5 }
`),
      ),
    ).toEqual([
      '11:45 http.check: argument method: Invalid option: expected one of "GET"|"HEAD"|"POST"|"PUT"|"OPTIONS"',
      '15:23 sleep: argument duration: expected string, received number',
    ]);
  });

  it('points at uses: when with: is missing altogether', () => {
    expect(
      problems(
        runbook(`  - id: pause
    title: Pause
    uses: sleep
`),
      ),
    ).toEqual(['10:11 sleep needs the argument "duration" | add it under with:']);
  });

  it('checks literal values but leaves expressions to run time', () => {
    expect(
      problems(
        runbook(`  - id: pause
    title: Pause
    uses: sleep
    with: { duration: 5 minutes }
`),
      )[0],
    ).toMatch(/^11:23 sleep: argument duration: expected a duration/);
    expect(
      problems(
        runbook(`  - id: health
    title: Health
    uses: http.check
    with: { url: "\${{ inputs.health_url }}", status: "\${{ inputs.health_url }}" }
`),
      ),
    ).toEqual([]);
  });

  it('knows the outputs an action declares', () => {
    expect(
      problems(
        runbook(`  - id: health
    title: Health
    uses: http.check
    with: { url: "http://x/health" }
  - id: use
    title: Use
    run: echo \${{ steps.health.outputs.stauts }}
`),
      ),
    ).toEqual(['14:19 step "health" has no output "stauts" | did you mean "status"?']);
  });
});
