import { describe, expect, it } from 'vitest';
import { runbookJsonSchema } from '../../src/runbook/schema.js';
import { validateText } from '../../src/runbook/validate.js';

describe('JSON Schema for editors', () => {
  it('is generated from the same schema that validates', () => {
    const schema = runbookJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'steps']));
    expect(JSON.stringify(schema.properties.steps)).toContain('on_failure');
    expect(JSON.stringify(schema)).toContain('(?:ms|h|m|s)');
  });
});

describe('validation reports everything at once', () => {
  it('keeps going past schema problems to the reference rules', () => {
    const text = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: demo, title: Demo }
objectives: { rto: 1h }
steps:
  - id: one
    title: One
    run: echo \${{ inputs.nope }}
    timout: 5m
`;
    const { diagnostics, runbook } = validateText('demo.yaml', text, 'd');
    expect(runbook).toBeUndefined();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual(['8:19 unknown input "nope"', '9:5 unknown key "timout"']);
    expect(diagnostics[1]!.hint).toBe('did you mean "timeout"?');
  });
});
