import { describe, expect, it } from 'vitest';
import { drctl } from './drctl.js';

const ESC = '\u001b[';

/** Standard output is a pipe here: colour comes only from FORCE_COLOR. */
describe('colour in a pipe', () => {
  it('FORCE_COLOR=1 (or true) colours `drctl list` even though NO_COLOR is set', () => {
    for (const value of ['1', 'true']) {
      const result = drctl(['list'], { env: { FORCE_COLOR: value } });
      expect(result.status, result.all).toBe(0);
      expect(result.stdout).toContain(ESC);
    }
  });

  it('FORCE_COLOR=0 or false, NO_COLOR, or nothing at all: no colour', () => {
    for (const env of [{ FORCE_COLOR: '0' }, { FORCE_COLOR: 'false' }, { NO_COLOR: '1' }, { NO_COLOR: undefined }]) {
      const result = drctl(['list'], { env });
      expect(result.status, result.all).toBe(0);
      expect(result.stdout, JSON.stringify(env)).not.toContain(ESC);
    }
  });
});
