import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, drctl, header, journalPath, onlyRunId, requireBuild, workspace } from './helpers.js';

/**
 * Every writer of a journal locks it with a native module (fs-native-extensions). An install whose
 * module is missing, or built for another machine, is told in one line (exit 2) before a journal is
 * created, not as an internal error half way through the first write.
 */

beforeAll(() => requireBuild());

/** A preloaded hook that makes the lock module fail to load, as a broken install would. */
const HOOKS = {
  missing: `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'fs-native-extensions') throw Object.assign(new Error("Cannot find module 'fs-native-extensions'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`,
  foreign: `const Module = require('node:module');
const load = Module._extensions['.node'];
Module._extensions['.node'] = function (module, filename) {
  if (filename.includes('fs-native-extensions')) throw new Error(filename + ': invalid ELF header');
  return load.call(this, module, filename);
};
`,
};

const RUNBOOK = `${header('locked', 'Locked run')}steps:\n  - id: touch\n    title: Touch\n    run: touch ran.txt\n`;

describe('the journal lock module cannot be loaded', () => {
  for (const [kind, hook] of Object.entries(HOOKS)) {
    it(`${kind}: drctl run says so in one line (exit 2), runs nothing and leaves no journal; note and review say the same`, () => {
      const ws = workspace();
      ws.runbook('rb.yaml', RUNBOOK);
      const broken = [process.execPath, '-r', ws.write('hook.cjs', hook), BIN];
      const run = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, command: broken });
      expect(run.status, run.all).toBe(2);
      // The run's header, then the one line and its hint: nothing else, no internal error.
      expect(run.stderr).toMatch(
        /^Running Locked run \(locked\) [^\n]*\ndrctl: cannot lock the run journal: the native module fs-native-extensions did not load \([^\n]*\)\n {2}hint: reinstall drctl on this machine \(npm ci\), so that its native modules match this system\n$/,
      );
      expect(ws.exists('ran.txt')).toBe(false);
      expect(readdirSync(join(ws.stateDir, 'runs'))).toEqual([]);

      const good = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(good.status, good.all).toBe(0);
      const runId = onlyRunId(ws.stateDir);
      const before = readFileSync(journalPath(ws.stateDir, runId), 'utf8');
      for (const args of [
        ['note', runId, 'a note'],
        ['review', runId, '--finding', 'a finding'],
      ]) {
        const result = drctl([...args, '--state-dir', ws.stateDir], { cwd: ws.dir, command: broken });
        expect(result.status, result.all).toBe(2);
        expect(result.stderr.split('\n')[0]).toMatch(
          /^drctl: cannot lock the run journal: the native module fs-native-extensions did not load/,
        );
      }
      expect(readFileSync(journalPath(ws.stateDir, runId), 'utf8')).toBe(before);
    });
  }
});
