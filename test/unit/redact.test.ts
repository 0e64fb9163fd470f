import { describe, expect, it } from 'vitest';
import { Redactor, urlPasswords } from '../../src/engine/redact.js';
import { shellQuote } from '../../src/runbook/shell-quote.js';

/** A secret whose every encoding differs from it: quotes, backslash, space, @, /, %, & and a non-ASCII letter. */
const SECRET = `p"a's\\s w@rd/50%&é`;

describe('the redactor masks a secret in every form drctl may give it', () => {
  const redactor = new Redactor([SECRET]);
  const forms: Record<string, string> = {
    raw: SECRET,
    'JSON-escaped': JSON.stringify(SECRET).slice(1, -1),
    'JSON string': JSON.stringify(SECRET),
    'shell-quoted': shellQuote(SECRET),
    'inside double quotes': SECRET.replace(/[$`"\\]/g, '\\$&'),
    'URL-encoded': encodeURIComponent(SECRET),
    'URL-encoded with + for spaces': encodeURIComponent(SECRET).replaceAll('%20', '+'),
    'form-encoded': new URLSearchParams({ v: SECRET }).toString().slice(2),
    'HTML-escaped': SECRET.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!),
    base64: Buffer.from(SECRET).toString('base64'),
    'base64 without padding': Buffer.from(SECRET).toString('base64').replace(/=+$/, ''),
    base64url: Buffer.from(SECRET).toString('base64url'),
  };
  for (const [name, form] of Object.entries(forms)) {
    it(`${name}: ${form}`, () => {
      // Each form really differs from the raw secret (but the raw one), so the test is not vacuous.
      if (name !== 'raw') expect(form).not.toBe(SECRET);
      const masked = redactor.text(`before ${form} after`);
      expect(masked).toBe(name === 'JSON string' ? 'before "***" after' : 'before *** after');
    });
  }

  it('masks a message quoting the secret as JSON, the way an expectation failure does', () => {
    const message = `stdout was ${JSON.stringify(`token ${SECRET}`)}, expected "ok"`;
    expect(redactor.text(message)).toBe('stdout was "token ***", expected "ok"');
  });

  it('masks inside nested values, leaving other values alone', () => {
    expect(redactor.value({ a: [`x ${encodeURIComponent(SECRET)}`], b: 3, c: null, d: 'plain' })).toEqual({
      a: ['x ***'],
      b: 3,
      c: null,
      d: 'plain',
    });
  });

  it('masks a secret that contains another one whole', () => {
    const nested = new Redactor(['abc', 'xxabcxx']);
    expect(nested.text('[xxabcxx] [abc]')).toBe('[***] [***]');
  });

  it('leaves text without secrets unchanged, and masks base64 only for secrets of 4 characters or more', () => {
    const short = new Redactor(['ab']);
    expect(short.text(`ab ${Buffer.from('ab').toString('base64')} YW`)).toBe('*** YWI= YW');
    expect(new Redactor([]).text('nothing to hide')).toBe('nothing to hide');
  });
});

describe('a URL with a password is masked, secret or not', () => {
  it('finds the password as written and percent-decoded', () => {
    expect(urlPasswords('postgres://app:p%40ss%2Fw0rd@db:5432/shop').sort()).toEqual(['p%40ss%2Fw0rd', 'p@ss/w0rd'].sort());
    expect(urlPasswords('https://user:hunter2@example.com/path')).toEqual(['hunter2']);
    expect(urlPasswords('postgresql://db/shop?user=app&password=s3cr3t')).toEqual(['s3cr3t']);
  });

  it('finds URLs inside text, several per line, and a password holding an unencoded @', () => {
    const found = urlPasswords('from=postgres://a:first1@h1/db to="mysql://b:se@cond@h2/x" and https://h3/no-password');
    expect(found.sort()).toEqual(['first1', 'se%40cond', 'se@cond'].sort());
  });

  it('ignores text without a URL password, and passwords under 3 characters that nobody declared secret', () => {
    expect(urlPasswords('https://example.com/a:b@c')).toEqual([]);
    expect(urlPasswords('user:pw@host')).toEqual([]);
    expect(urlPasswords('https://u:pw@host')).toEqual([]);
    expect(urlPasswords('https://u:pw@host', 1)).toEqual(['pw']);
  });

  it('masks the password of a URL in any text it masks, and from then on the password alone too', () => {
    const redactor = new Redactor([]);
    expect(redactor.text('connecting to postgres://app:Tr0ub4dor%263@db/shop')).toBe('connecting to postgres://app:***@db/shop');
    expect(redactor.text('password is Tr0ub4dor&3')).toBe('password is ***');
    expect(redactor.text(`PGPASSWORD=${shellQuote('Tr0ub4dor&3')}`)).toBe('PGPASSWORD=***');
  });

  it('masks the passwords of URLs in step outputs registered with addUrlPasswords', () => {
    const redactor = new Redactor([]);
    redactor.addUrlPasswords({ url: 'postgres://app:0utput-pw@db/shop', rows: [{ dsn: 'https://x:r0w-pw@h' }], n: 3 });
    expect(redactor.text('0utput-pw and r0w-pw')).toBe('*** and ***');
  });

  it('masks the password of a secret URL on its own', () => {
    const redactor = new Redactor(['postgres://app:S3cret%20pw@db/shop']);
    expect(redactor.text('PGPASSWORD=S3cret pw')).toBe('PGPASSWORD=***');
    expect(redactor.text('postgres://app:S3cret%20pw@db/shop')).toBe('***');
  });

  // A scan that went back over the rest of the line for each URL start would take minutes here.
  it('stays linear: a long line with many URL starts is masked', { timeout: 30_000 }, () => {
    const redactor = new Redactor([SECRET]);
    const line = 'a://x:'.repeat(50_000) + SECRET;
    expect(redactor.text(line).endsWith('***')).toBe(true);
  });
});

describe("drctl's own words are left alone, names given by the runbook or an action are not", () => {
  it('masks an output, input or action record value whose name is one of drctl’s keys (id, status, mode)', () => {
    const redactor = new Redactor(['hunter2pass']);
    const finished = redactor.value({
      type: 'step.finished',
      step: 'get',
      status: 'succeeded',
      outputs: { id: 'hunter2pass', status: 'x hunter2pass' },
    });
    expect(finished).toEqual({ type: 'step.finished', step: 'get', status: 'succeeded', outputs: { id: '***', status: 'x ***' } });
    const started = redactor.value({ type: 'run.started', mode: 'real', inputs: { mode: 'hunter2pass', kind: ['hunter2pass'] } });
    expect(started).toEqual({ type: 'run.started', mode: 'real', inputs: { mode: '***', kind: ['***'] } });
    const record = redactor.value({
      type: 'action.record',
      step: 'get',
      record: { integrity: { status: 'hunter2pass', result: 'hunter2pass' } },
    });
    expect(record).toEqual({ type: 'action.record', step: 'get', record: { integrity: { status: '***', result: '***' } } });
  });

  it('still leaves a short secret that is one of drctl’s words alone in entry types and statuses', () => {
    const redactor = new Redactor(['run']);
    expect(redactor.value({ type: 'run.started', status: 'run', outputs: { id: 'run' } })).toEqual({
      type: 'run.started',
      status: 'run',
      outputs: { id: '***' },
    });
  });

  it('leaves the incident start and its correction readable as times when a short secret is part of one', () => {
    const redactor = new Redactor(['30']);
    const at = '2026-11-30T01:30:00.000Z';
    const correction = { type: 'incident_start.corrected', from: at, to: at, reason: 'seen at 01:30' };
    expect(redactor.value(correction)).toEqual({ ...correction, reason: 'seen at 01:***' });
    expect(redactor.value({ type: 'run.started', incident_start: at })).toEqual({ type: 'run.started', incident_start: at });
  });
});
