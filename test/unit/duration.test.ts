import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/util/duration.js';

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

  it.each([
    [50, '50ms'],
    [999.6, '1s'],
    [9_960, '10s'],
    [59_600, '1m'],
    [299_800, '5m'],
    [299_400, '4m59s'],
    [3_599_600, '1h'],
    [3_600_000, '1h'],
    [7_170_000, '2h'],
    [-0.2, '0s'],
  ])('rounds %d ms to the place shown, carrying up: %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('never shows 60 seconds or 60 minutes in a place, nor a needless .0', () => {
    const wrong: string[] = [];
    for (let ms = 0; ms < 3 * 3_600_000; ms += 99.7) {
      const text = formatDuration(ms);
      if (/(?:^|[hm])60[sm]$|\.0s$/.test(text)) wrong.push(`${ms} ms: ${text}`);
    }
    expect(wrong).toEqual([]);
  });
});
