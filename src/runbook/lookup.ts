import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/package-root.js';
import { didYouMean } from '../util/suggest.js';
import type { ValidationResult } from './validate.js';
import { isRunbookFileName, validateFile } from './validate.js';

/** The runbooks that ship with drctl (beside dist/ in the package). */
const SHIPPED_RUNBOOKS_DIR = join(packageRoot(), 'runbooks');

export function runbooksDir(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return option ?? env.DRCTL_RUNBOOKS ?? './runbooks';
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || isRunbookFileName(ref);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function listRunbookFiles(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
    return readdirSync(dir)
      .filter(isRunbookFileName)
      .sort()
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

export interface RunbookEntry {
  name: string;
  file: string;
  shipped: boolean;
  result: ValidationResult;
}

/** Runbooks in the folder, then the shipped ones a local runbook of the same name does not shadow. */
export function discoverRunbooks(dir: string): { entries: RunbookEntry[]; invalid: ValidationResult[] } {
  const entries: RunbookEntry[] = [];
  const invalid: ValidationResult[] = [];
  const seen = new Set<string>();
  const sameDir = resolve(dir) === SHIPPED_RUNBOOKS_DIR;
  const sources: Array<[string, boolean]> = sameDir
    ? [[dir, true]]
    : [
        [dir, false],
        [SHIPPED_RUNBOOKS_DIR, true],
      ];
  for (const [folder, shipped] of sources) {
    for (const file of listRunbookFiles(folder)) {
      const result = validateFile(file);
      if (!result.runbook) {
        if (!shipped) invalid.push(result);
        continue;
      }
      if (seen.has(result.runbook.name)) continue;
      seen.add(result.runbook.name);
      entries.push({ name: result.runbook.name, file, shipped, result });
    }
  }
  return { entries, invalid };
}

/**
 * `<runbook>` is a path to a YAML file, or a name looked up in the runbooks folder and then in
 * the runbooks that ship with drctl.
 */
export function findRunbookFile(ref: string, dir: string): string {
  if (looksLikePath(ref) || isFile(ref)) {
    // A link that loops or points nowhere is still there: reading it says which.
    if (!existsSync(ref) && !isLink(ref))
      throw new UserError(`no runbook file at ${ref}`, { hint: 'check the path, or give a runbook name (see drctl list)' });
    return ref;
  }
  for (const folder of [dir, SHIPPED_RUNBOOKS_DIR]) {
    for (const extension of ['.yaml', '.yml']) {
      const candidate = join(folder, ref + extension);
      // An invalid file of that name is returned too, so loading it reports its problems.
      if (existsSync(candidate)) return candidate;
    }
    // The file name need not match metadata.name: look inside.
    for (const file of listRunbookFiles(folder)) {
      if (validateFile(file).runbook?.name === ref) return file;
    }
  }
  const names = discoverRunbooks(dir).entries.map((e) => e.name);
  const suggestion = didYouMean(ref, names);
  throw new UserError(`no runbook named "${ref}" in ${dir} or the shipped runbooks`, {
    hint: suggestion || (names.length ? `available: ${names.join(', ')}` : 'give a path to a runbook file, or --dir <folder>'),
  });
}
