import { describe, expect, it } from 'vitest';
import type { CompletionSources } from '../../src/cli/completion.js';
import { completionCandidates } from '../../src/cli/completion.js';
import { buildProgram } from '../../src/cli/program.js';

/** Every command that names a run completes its run ids and `latest`: logs, note and abandon as resume and report do. */
const sources: CompletionSources = {
  runbookNames: () => ['database-loss'],
  stepIds: () => ['restore-database'],
  runIds: () => ['database-loss-20261122T031500Z-4f2a', 'regional-failover-20261120T101500Z-0b1c'],
};

const complete = (...words: string[]): string[] => completionCandidates(buildProgram(), words, sources);

describe('completion of run ids', () => {
  it.each(['resume', 'report', 'verify', 'logs', 'note', 'abandon', 'cleanup'])('%s completes run ids and latest', (command) => {
    expect(complete(command, '')).toEqual(['database-loss-20261122T031500Z-4f2a', 'regional-failover-20261120T101500Z-0b1c', 'latest']);
    expect(complete(command, 'data')).toEqual(['database-loss-20261122T031500Z-4f2a']);
  });

  it("completes nothing for a note's text", () => {
    expect(complete('note', 'latest', '')).toEqual([]);
  });
});
