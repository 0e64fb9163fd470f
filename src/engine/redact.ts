import { SECRET_MASK } from './render.js';

/** Replaces every secret value in text with ***: for output, errors, outputs and the journal. */
export class Redactor {
  private secrets: string[] = [];

  constructor(values: Iterable<string>) {
    this.add(...values);
  }

  /** Mask these values from now on too. */
  add(...values: string[]): void {
    // Longest first, so a secret that contains another is masked whole.
    this.secrets = [...new Set([...this.secrets, ...values])].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
    return out;
  }

  /** Deep copy with every string redacted. */
  value<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.value(item)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)])) as T;
    }
    return value;
  }
}
