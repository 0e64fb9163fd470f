import { describe, expect, it } from 'vitest';
import { parseIncidentStart } from '../../src/engine/incident-start.js';
import { UserError } from '../../src/util/errors.js';

const NOW = new Date('2026-11-29T12:00:00Z');

function refusal(text: string): { message: string; hint: string | undefined } {
  try {
    parseIncidentStart(text, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return { message: (error as UserError).message, hint: (error as UserError).hint };
  }
  throw new Error(`${text} was accepted`);
}

describe('--incident-start', () => {
  it('is now when not given', () => {
    expect(parseIncidentStart(undefined, NOW)).toEqual(NOW);
  });

  it.each([
    ['-45m', '2026-11-29T11:15:00.000Z'],
    ['-1h30m', '2026-11-29T10:30:00.000Z'],
    ['-336h', '2026-11-15T12:00:00.000Z'],
    ['2026-11-22T03:00:00Z', '2026-11-22T03:00:00.000Z'],
    ['2026-11-22T03:00:00.250Z', '2026-11-22T03:00:00.250Z'],
    ['2026-11-22T04:00:00+01:00', '2026-11-22T03:00:00.000Z'],
    ['2026-11-22T04:00+0100', '2026-11-22T03:00:00.000Z'],
    ['2026-11-22', '2026-11-22T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-01-01T00:00:00Z', '2000-01-01T00:00:00.000Z'],
    ['2026-11-29T12:00:59Z', '2026-11-29T12:00:59.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseIncidentStart(text, NOW).toISOString()).toBe(iso);
  });

  it('reads a time without a zone as local time, the way JavaScript does', () => {
    expect(parseIncidentStart('2026-11-22T03:00', NOW).getTime()).toBe(new Date(2026, 10, 22, 3, 0).getTime());
  });

  it.each([
    ['2026-02-30', '--incident-start "2026-02-30" is not a real time: February 2026 has 28 days'],
    ['2025-02-29T00:00:00Z', '--incident-start "2025-02-29T00:00:00Z" is not a real time: February 2025 has 28 days'],
    ['2026-04-31T00:00:00Z', '--incident-start "2026-04-31T00:00:00Z" is not a real time: April 2026 has 30 days'],
    ['2026-13-01', '--incident-start "2026-13-01" is not a real time: there is no month 13'],
    ['2026-11-00', '--incident-start "2026-11-00" is not a real time: November 2026 has 30 days'],
    ['2026-11-22T24:00:00Z', '--incident-start "2026-11-22T24:00:00Z" is not a real time: there is no hour 24 (00 to 23)'],
    ['2026-11-22T03:60:00Z', '--incident-start "2026-11-22T03:60:00Z" is not a real time: there is no minute 60 (00 to 59)'],
    ['2026-11-22T03:00:60Z', '--incident-start "2026-11-22T03:00:60Z" is not a real time: there is no second 60 (00 to 59)'],
    [
      '2026-11-22T03:00:00+15:00',
      '--incident-start "2026-11-22T03:00:00+15:00" is not a real time: +15:00 is not a time zone offset (-14:00 to +14:00)',
    ],
  ])('refuses %s: %s', (text, message) => {
    expect(refusal(text).message).toBe(message);
  });

  it.each(['yesterday', '22/11/2026', '2026-11-22T03', '+45m', '2026-11-22T03:00:00 UTC', '1732244400', ''])(
    'refuses %j as not a time',
    (text) => {
      expect(refusal(text).message).toBe(`--incident-start ${JSON.stringify(text)} is not a time`);
    },
  );

  it('refuses a time before 2000', () => {
    expect(refusal('1900-01-01')).toEqual({
      message: '--incident-start 1900-01-01T00:00:00.000Z is before 2000-01-01',
      hint: 'the incident start is when this disaster began; check the year',
    });
  });

  it('refuses the future beyond a minute of clock skew', () => {
    expect(refusal('2026-11-29T12:01:01Z').message).toBe('--incident-start 2026-11-29T12:01:01.000Z is in the future');
    expect(refusal('9999-12-31T23:59:59Z').message).toBe('--incident-start 9999-12-31T23:59:59.000Z is in the future');
  });

  it('refuses offsets that are not durations, or go back more than 336h', () => {
    expect(refusal('-45 minutes').message).toBe('--incident-start "-45 minutes" is not an offset');
    expect(refusal('-337h')).toEqual({
      message: '--incident-start "-337h" goes back more than 336h (14 days)',
      hint: 'for an older incident, give the ISO time it began, e.g. 2026-11-02T03:00:00Z',
    });
    expect(refusal('-99999999999999h').message).toBe('--incident-start "-99999999999999h" goes back more than 336h (14 days)');
    expect(refusal(`-${'9'.repeat(400)}h`).message).toBe(`--incident-start "-${'9'.repeat(400)}h" goes back more than 336h (14 days)`);
  });
});
