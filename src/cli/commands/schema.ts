import { runbookJsonSchema } from '../../runbook/schema.js';

export function schemaCommand(): number {
  const schema = { ...runbookJsonSchema(), $id: 'https://drctl.dev/schema/runbook-v1.json' };
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
