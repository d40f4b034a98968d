import { describe, expect, it } from 'vitest';
import { isoString } from '../src/lib/clock.ts';

describe('isoString', () => {
  it('writes what toISOString writes, for any date, and throws for an invalid one as it does', () => {
    const edges = [
      0,
      -1,
      1,
      253402300799999,
      253402300800000,
      -30610224000001,
      -30610224000000,
      Date.UTC(2026, 11, 3, 9, 5, 7, 8),
    ];
    const random = Array.from({ length: 20_000 }, () => Math.round((Math.random() - 0.3) * 3e14));
    for (const ms of [...edges, ...random]) {
      const date = new Date(ms);
      expect(isoString(date)).toBe(date.toISOString());
    }
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
  });
});
