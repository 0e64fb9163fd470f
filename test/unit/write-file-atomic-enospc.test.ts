import type * as Fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskFullError, writeFileAtomic } from '../../src/util/write-file-atomic.js';

/** The disk fills up or the quota runs out while the text is written: injected where the bytes go. */
const failure = vi.hoisted(() => ({ code: undefined as string | undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (failure.code) throw Object.assign(new Error(`${failure.code}: injected, write`), { code: failure.code, syscall: 'write' });
    return (fs.writeSync as (...a: unknown[]) => number)(...args);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drctl-enospc-'));
});

afterEach(() => {
  failure.code = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic when the disk fills up (injected)', () => {
  for (const [code, says] of [
    ['ENOSPC', 'no space left on the device'],
    ['EDQUOT', 'disk quota exceeded'],
  ] as const) {
    it(`${code}: a DiskFullError naming the file and the bytes, no temporary file left, the old file kept`, () => {
      const file = join(dir, 'report.json');
      writeFileAtomic(file, 'previous\n');
      failure.code = code;
      let error: unknown;
      try {
        writeFileAtomic(file, 'a new report of 28 bytes...\n');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DiskFullError);
      expect((error as DiskFullError).message).toBe(`cannot write ${file}: ${says} (${code}); it needs 28 bytes`);
      expect((error as DiskFullError).hint).toBe(`free some space on the file system of ${dir}, then try again`);
      expect((error as DiskFullError).code).toBe(code);
      expect(readdirSync(dir)).toEqual(['report.json']);
      expect(readFileSync(file, 'utf8')).toBe('previous\n');
    });
  }
});
