import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/runbook/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['5 minutes', '90', 'm', '', '1h 30m', '-5m', '10d'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats for tables', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(950)).toBe('950ms');
    expect(formatDuration(4200)).toBe('4.2s');
    expect(formatDuration(3000)).toBe('3s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(-60_000)).toBe('-1m');
  });
});
