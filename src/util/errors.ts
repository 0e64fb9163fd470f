/** A mistake the operator can fix: printed as one line and a hint, never a stack trace. */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string | undefined; exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 2;
    this.hint = options.hint;
  }
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
