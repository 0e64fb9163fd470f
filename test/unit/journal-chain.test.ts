import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkChain, journalHead, lineHash } from '../../src/journal/chain.js';
import type { JournalEntryBody } from '../../src/journal/entries.js';
import type { JournalFs } from '../../src/journal/journal.js';
import { appendToJournal, dropTornTail, JournalFullError, JournalWriter, readJournal } from '../../src/journal/journal.js';

/**
 * The journal's hash chain: every line carries the sha256 of the line before it, whichever process
 * wrote it; a line changed, removed, inserted or moved afterwards is named by `checkChain`.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function journalIn(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-chain-'));
  dirs.push(dir);
  return join(dir, 'runs', 'r', 'journal.jsonl');
}

const START: JournalEntryBody = {
  type: 'run.started',
  run_id: 'chain-20261130T010000Z-abcd',
  runbook: 'chain',
  title: 'Chain',
  file: '/tmp/chain.yaml',
  digest: 'd'.repeat(64),
  mode: 'real',
  incident_start: '2026-11-30T01:00:00.000Z',
  inputs: {},
  secret_inputs: [],
  objectives: { rto_ms: 3_600_000, rpo_ms: null },
  options: { yes: true, accept_manual: false, dry_run: false, start_at: null, reports: [] },
  steps: [],
  pid: 1,
} as unknown as JournalEntryBody;

const note = (text: string): JournalEntryBody => ({ type: 'note', text, user: 'ana', host: 'ops-1' });

/** A journal of ten lines written by the run's writer. */
function tenLines(): { file: string; lines: string[] } {
  const file = journalIn();
  const writer = new JournalWriter(file);
  writer.append(START);
  for (let i = 2; i <= 10; i++) writer.append(note(`note ${i}`));
  writer.close();
  return { file, lines: readFileSync(file, 'utf8').slice(0, -1).split('\n') };
}

const check = (lines: readonly string[]) => checkChain(Buffer.from(`${lines.join('\n')}\n`));

describe('the chain as written', () => {
  it('the first line carries prev null, every other line the sha256 of the line before it', () => {
    const { file, lines } = tenLines();
    const entries = lines.map((l) => JSON.parse(l) as { prev: unknown });
    expect(entries[0]!.prev).toBeNull();
    for (let i = 1; i < lines.length; i++) expect(entries[i]!.prev).toBe(lineHash(lines[i - 1]!));
    expect(check(lines)).toEqual({ entries: 10, head: lineHash(lines[9]!), chainedFrom: 1, tornTail: false, broken: null, signed: [] });
    expect(journalHead(file)).toBe(lineHash(lines[9]!));
    expect(readJournal(file).head).toBe(lineHash(lines[9]!));
  });

  it("the run's writer chains on a line another writer appended in between (a note from a second terminal)", () => {
    const file = journalIn();
    const writer = new JournalWriter(file);
    writer.append(START);
    writer.append(note('from the run'));
    appendToJournal(file, note('from another terminal'), { cutTornTail: false });
    appendToJournal(file, note('and another'), { cutTornTail: false });
    const after = writer.append(note('the run again'));
    writer.close();
    const lines = readFileSync(file, 'utf8').slice(0, -1).split('\n');
    expect(lines).toHaveLength(5);
    expect(after.prev).toBe(lineHash(lines[3]!));
    expect(check(lines).broken).toBeNull();
  });

  it('a torn last line is outside the chain: the head is the last whole line, and cutting it keeps the chain', () => {
    const { file, lines } = tenLines();
    appendFileSync(file, '{"type":"note","te');
    expect(journalHead(file)).toBe(lineHash(lines[9]!));
    expect(checkChain(readFileSync(file))).toMatchObject({ entries: 10, tornTail: true, broken: null });
    expect(dropTornTail(file)).toBe(true);
    new JournalWriter(file).append(note('after the cut'));
    expect(checkChain(readFileSync(file))).toMatchObject({ entries: 11, tornTail: false, broken: null });

    appendFileSync(file, '{"type":"note","te');
    const entry = appendToJournal(file, note('cut by the note'), { cutTornTail: true });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('"te{');
    expect(entry.prev).toBe(lineHash(text.slice(0, -1).split('\n')[10]!));
    expect(checkChain(Buffer.from(text))).toMatchObject({ entries: 12, broken: null });
  });

  it('a write the full disk undid does not move the chain on: the entry written again chains on the same line', () => {
    const file = journalIn();
    let fail = false;
    const fs: JournalFs = {
      writeSync(fd, text) {
        if (!fail) return writeSync(fd, text);
        fail = false;
        // Half the line reaches the file, then the disk is full.
        writeSync(fd, text.slice(0, text.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const writer = new JournalWriter(file, () => new Date(), fs);
    writer.append(START);
    const before = writer.append(note('before'));
    fail = true;
    expect(() => writer.append(note('did not fit'))).toThrow(JournalFullError);
    const again = writer.append(note('written again'));
    writer.close();
    const lines = readFileSync(file, 'utf8').slice(0, -1).split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1]!)).toEqual(before);
    expect(again.prev).toBe(lineHash(lines[1]!));
    expect(check(lines).broken).toBeNull();
  });

  it('a journal older than the chain: no head, nothing to check; what is appended to it chains from its last line', () => {
    const file = journalIn();
    const old = [
      { ...START, t: '2026-11-30T01:00:00.000Z' },
      { ...note('old'), t: '2026-11-30T01:00:01.000Z' },
    ].map((e) => JSON.stringify(e));
    new JournalWriter(file).close();
    writeFileSync(file, `${old.join('\n')}\n`);
    expect(checkChain(readFileSync(file))).toEqual({
      entries: 2,
      head: null,
      chainedFrom: null,
      tornTail: false,
      broken: null,
      signed: [],
    });
    expect(readJournal(file).head).toBeNull();
    const entry = appendToJournal(file, note('new'), { cutTornTail: false });
    expect(entry.prev).toBe(lineHash(old[1]!));
    const chained = checkChain(readFileSync(file));
    expect(chained).toMatchObject({ entries: 3, chainedFrom: 3, broken: null });
    expect(readJournal(file).head).toBe(chained.head);
  });
});

describe('a journal tampered with: the first broken line is named', () => {
  it('a value edited in the middle: that line', () => {
    const { lines } = tenLines();
    const edited = [...lines];
    edited[4] = edited[4]!.replace('note 5', 'note five');
    expect(edited[4]).not.toBe(lines[4]);
    expect(check(edited).broken).toEqual({
      line: 5,
      message:
        'line 5 was changed after it was written, or lines after it were removed: line 6 chains on a line that is not in the journal',
    });
  });

  it('a line deleted: the line before the gap, saying lines after it were removed', () => {
    const { lines } = tenLines();
    const result = check(lines.filter((_, i) => i !== 5));
    expect(result.broken?.line).toBe(5);
    expect(result.broken?.message).toContain('lines after it were removed');
    expect(result.entries).toBe(9);
  });

  it('the first line deleted: line 1', () => {
    const { lines } = tenLines();
    expect(check(lines.slice(1)).broken).toEqual({
      line: 1,
      message: 'line 1 is not the first line of the journal it was written in (its prev is not null): lines before it were removed',
    });
  });

  it('two lines swapped: the first of them, out of order', () => {
    const { lines } = tenLines();
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(check(swapped).broken).toEqual({
      line: 4,
      message: 'line 4 is out of order: it chains on line 5, which comes after it (lines were moved)',
    });
  });

  it('a forged line inserted (a copy of its neighbour, edited): that line', () => {
    const { lines } = tenLines();
    const forged = lines[4]!.replace('note 5', 'all steps passed');
    const result = check([...lines.slice(0, 5), forged, ...lines.slice(5)]);
    expect(result.broken).toEqual({ line: 6, message: 'line 6 was inserted: line 7 chains on line 5' });
  });

  it('a forged line appended: without prev, with a copied prev, with a made-up prev', () => {
    const { lines } = tenLines();
    const last = JSON.parse(lines[9]!) as Record<string, unknown>;
    const bare: Record<string, unknown> = { ...last, text: 'forged' };
    delete bare.prev;
    expect(check([...lines, JSON.stringify(bare)]).broken).toEqual({
      line: 11,
      message: 'line 11 carries no prev although the chain covers the journal from line 1: it was added or rewritten by hand',
    });
    expect(check([...lines, JSON.stringify({ ...last, text: 'forged' })]).broken).toEqual({
      line: 11,
      message: 'line 11 was added by hand: it chains on line 9, as line 10 does',
    });
    expect(check([...lines, JSON.stringify({ ...last, prev: 'f'.repeat(64) })]).broken?.message).toContain('or line 11 was added by hand');
    expect(check([...lines, JSON.stringify({ ...last, prev: 'not a hash' })]).broken).toEqual({
      line: 11,
      message: 'line 11 has a prev that is not a sha256 hash: it was added or changed by hand',
    });
    expect(check([...lines, JSON.stringify({ ...last, prev: null })]).broken?.line).toBe(11);
  });

  it('a forged line appended with the right prev keeps the chain: only a head recorded elsewhere shows it', () => {
    const { file, lines } = tenLines();
    const recorded = journalHead(file);
    const forged = JSON.stringify({ ...(JSON.parse(lines[9]!) as object), text: 'forged', prev: lineHash(lines[9]!) });
    const result = check([...lines, forged]);
    expect(result.broken).toBeNull();
    expect(result.head).not.toBe(recorded);
  });

  it('a line that is no longer JSON: that line', () => {
    const { lines } = tenLines();
    const cut = [...lines];
    cut[6] = cut[6]!.slice(0, 20);
    expect(check(cut).broken).toEqual({ line: 7, message: 'line 7 is not a journal entry (not a JSON object): it was changed or cut' });
  });

  it('lines changed before a sign-off and the whole chain rebuilt: the sign-off no longer covers a line of the journal', () => {
    const { file } = tenLines();
    const signOff: JournalEntryBody = {
      type: 'review.sign_off',
      name: 'Grace',
      role: null,
      covers: journalHead(file),
      user: 'ana',
      host: 'ops-1',
    };
    appendToJournal(file, signOff, { cutTornTail: false });
    appendToJournal(file, note('after the sign-off'), { cutTornTail: false });
    const signed = readFileSync(file, 'utf8').slice(0, -1).split('\n');
    expect(check(signed)).toMatchObject({ broken: null, signed: [{ line: 11, covers: 10 }] });

    // Line 5 edited, then every prev after it recomputed: the chain holds, the sign-off does not.
    const rebuilt = [...signed];
    rebuilt[4] = rebuilt[4]!.replace('note 5', 'note five');
    for (let i = 5; i < rebuilt.length; i++) {
      rebuilt[i] = JSON.stringify({ ...(JSON.parse(rebuilt[i]!) as object), prev: lineHash(rebuilt[i - 1]!) });
    }
    expect(check(rebuilt).broken).toEqual({
      line: 11,
      message: 'line 11 is a sign-off of a journal head that no line before it has: the lines it signed were changed after it was signed',
    });
  });
});
