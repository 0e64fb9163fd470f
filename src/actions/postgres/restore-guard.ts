import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/** The line pg_dump writes last: a plain dump without it was cut short. */
export const DUMP_COMPLETE = '-- PostgreSQL database dump complete';

const NEWLINE = 0x0a;
/** Lines outside COPY data longer than this are passed on without a look (no line drctl acts on is that long). */
const LONGEST_LINE_LOOKED_AT = 4096;

/** First bytes of a line that may end a transaction: C/c(OMMIT), E/e(ND), R/r(OLLBACK), A/a(BORT), space, tab. */
const MAY_END_TRANSACTION: ReadonlySet<number> = new Set([0x43, 0x63, 0x45, 0x65, 0x52, 0x72, 0x41, 0x61, 0x20, 0x09]);
const OWN_END = /^(?:commit|end|rollback|abort)(?:\s+(?:work|transaction))?\s*(?:;|$)/i;
/** A dollar-quote tag: `$$` or `$name$`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/g;

/** Why a plain dump must not be committed: the guard's error. */
export class DumpRefused extends Error {}

export interface DumpGuardOptions {
  /** SQL sent before the dump: BEGIN, then anything else that belongs inside the transaction. */
  prelude: string;
  /** Drop `ALTER ... OWNER TO ...;` and `SET SESSION AUTHORIZATION` lines (objects belong to whoever restores). */
  stripOwner: boolean;
  /**
   * Called once the dump has ended complete, before COMMIT is sent: a reason not to commit (the
   * object's size or sha256 does not match), or undefined to commit.
   */
  beforeCommit(): string | undefined;
  /** ROLLBACK instead of COMMIT once the dump is complete and checked: a rehearsal that changes nothing. */
  rollback?: boolean;
  /** SQL sent after the dump, before COMMIT or ROLLBACK: a check that the transaction is still the one the prelude began. */
  seal?: string;
}

/**
 * Passes a plain dump on to psql, inside a transaction that only this guard can commit: it sends
 * BEGIN before the dump and COMMIT after it, and COMMIT only when the dump ended with pg_dump's
 * `-- PostgreSQL database dump complete` line and `beforeCommit` has no objection. Otherwise the
 * stream fails and psql's input ends inside the open transaction, which the server rolls back.
 *
 * On the way it counts COPY blocks (tables) and their data lines (rows), drops the lone `BEGIN;`
 * line pg_dump writes before large objects and the `COMMIT;` line after them (the whole restore is
 * one transaction), and, when told, the lines that give objects an owner. COPY data passes through
 * without a copy.
 */
export class DumpGuard extends Transform {
  rows = 0;
  tables = 0;
  complete = false;
  private readonly options: DumpGuardOptions;
  private started = false;
  private inCopy = false;
  /**
   * The first line outside COPY data that reads as a transaction end of the dump's own (COMMIT, END,
   * ROLLBACK, ABORT: pg_dump writes none but the one closing its lone BEGIN;). It may sit in a
   * function's body, where it is harmless; when psql fails, it means drctl cannot promise that
   * nothing was committed.
   */
  ownEnd: string | undefined;
  /** Inside a dollar-quoted string (a function's body), its tag (`$$`, `$_$`...). */
  private dollarQuote: string | undefined;
  /** After a lone `BEGIN;` line dropped, until the `COMMIT;` line that closes it. */
  private inBlock = false;
  /** Outside COPY data: the start of a line that the next chunk ends. */
  private carry: Buffer[] = [];
  private carryLength = 0;
  /** Inside COPY data: the first bytes (up to 3) of the line that the next chunk ends, and its length so far. */
  private copyHead = '';
  private copyLineLength = 0;

  constructor(options: DumpGuardOptions) {
    super();
    this.options = options;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      out.push(Buffer.from(this.options.prelude));
    }
    let pos = 0;
    while (pos < chunk.length) {
      if (this.inCopy) {
        const start = pos;
        pos = this.copyData(chunk, pos);
        out.push(chunk.subarray(start, pos));
        continue;
      }
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl < 0) {
        this.carry.push(chunk.subarray(pos));
        this.carryLength += chunk.length - pos;
        break;
      }
      let line = chunk.subarray(pos, nl + 1);
      if (this.carryLength > 0) {
        line = Buffer.concat([...this.carry, line]);
        this.carry = [];
        this.carryLength = 0;
      }
      pos = nl + 1;
      if (this.keepLine(line)) out.push(line);
    }
    callback(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    // A last line without a line break: pg_dump ends every line with one, but look at it all the same.
    if (this.carryLength > 0 && !this.inCopy) {
      const line = Buffer.concat(this.carry);
      this.carry = [];
      if (this.keepLine(line)) this.push(line);
    }
    if (!this.complete) {
      callback(
        new DumpRefused(
          this.inCopy
            ? 'the dump ends inside the data of a table, without pg_dump\'s "dump complete" line: it was cut short'
            : 'the dump ends without pg_dump\'s "dump complete" line: it was cut short',
        ),
      );
      return;
    }
    const objection = this.options.beforeCommit();
    if (objection !== undefined) {
      callback(new DumpRefused(objection));
      return;
    }
    callback(null, Buffer.from(`\n${this.options.seal ?? ''}${this.options.rollback ? 'ROLLBACK;' : 'COMMIT;'}\n`));
  }

  /** Scan COPY data from `pos`: count its lines, and stop after the `\.` line that ends it. Returns where scanning stopped. */
  private copyData(chunk: Buffer, pos: number): number {
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl < 0) {
        if (this.copyHead.length < 3)
          this.copyHead += chunk.toString('latin1', pos, Math.min(chunk.length, pos + 3 - this.copyHead.length));
        this.copyLineLength += chunk.length - pos;
        return chunk.length;
      }
      const length = this.copyLineLength + (nl - pos);
      let ends = false;
      if (length === 2) {
        const head = this.copyHead + chunk.toString('latin1', pos, nl);
        ends = head === '\\.';
      }
      this.copyHead = '';
      this.copyLineLength = 0;
      pos = nl + 1;
      if (ends) {
        this.inCopy = false;
        return pos;
      }
      this.rows++;
    }
    return pos;
  }

  /** Follow the dollar quotes a line opens and closes (a tag closes only the quote it opened). */
  private trackDollarQuotes(line: Buffer): void {
    if (!line.includes(0x24)) return;
    for (const [tag] of line.toString('utf8').matchAll(DOLLAR_TAG)) {
      if (this.dollarQuote === undefined) this.dollarQuote = tag;
      else if (tag === this.dollarQuote) this.dollarQuote = undefined;
    }
  }

  /** Look at one line outside COPY data (with its line break); false drops it. */
  private keepLine(line: Buffer): boolean {
    const first = line[0];
    if (line.length > LONGEST_LINE_LOOKED_AT) {
      this.trackDollarQuotes(line);
      return true;
    }
    const quoted = this.dollarQuote !== undefined;
    this.trackDollarQuotes(line);
    // A transaction end of the dump's own, in any case and indentation. Not the COMMIT; that closes
    // pg_dump's lone BEGIN; (dropped below), nor a bare END; inside a dollar-quoted body, where it
    // closes a PL/pgSQL block (pg_dump writes function bodies as $$...$$ or $_$...$_$).
    if (this.ownEnd === undefined && MAY_END_TRANSACTION.has(first!)) {
      const text = line.toString('utf8').trim();
      const closesBlock = this.inBlock && text === 'COMMIT;';
      const plpgsqlEnd = quoted && /^end\s*;$/i.test(text);
      if (OWN_END.test(text) && !closesBlock && !plpgsqlEnd) this.ownEnd = text;
    }
    // Only lines starting with C(OPY/OMMIT), -(-), A(LTER), B(EGIN), S(ET) or a backslash matter.
    if (first !== 0x43 && first !== 0x2d && first !== 0x41 && first !== 0x42 && first !== 0x53 && first !== 0x5c) return true;
    const text = line.toString('utf8').replace(/\r?\n$/, '');
    // The dump's own \restrict and \unrestrict lines (pg_dump 17.6, 16.10, 15.14 and later): the
    // prelude has restricted psql with a key of drctl's own, which the dump cannot know.
    if (/^\\(un)?restrict [A-Za-z0-9]+$/.test(text)) return false;
    if (text.startsWith('COPY ') && / FROM stdin;$/.test(text)) {
      this.inCopy = true;
      this.tables++;
      return true;
    }
    if (text === DUMP_COMPLETE) {
      this.complete = true;
      return true;
    }
    // pg_dump's lone BEGIN; and the COMMIT; that closes it: a COMMIT; line without one is another's
    // (a procedure's body may hold one at the start of a line) and stays.
    if (text === 'BEGIN;') {
      this.inBlock = true;
      return false;
    }
    if (text === 'COMMIT;' && this.inBlock) {
      this.inBlock = false;
      return false;
    }
    if (this.options.stripOwner && (/^ALTER [A-Z ]+ .* OWNER TO .+;$/.test(text) || /^SET SESSION AUTHORIZATION /.test(text))) return false;
    return true;
  }
}
