import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fromPostgresUtc, isoString, toDate } from '../src/lib/clock.ts';

// pg's own timestamptz parser, which fromPostgresUtc must agree with wherever it answers.
const parsePostgresDate = createRequire(import.meta.url)('postgres-date') as (text: string) => Date;

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

describe('toDate', () => {
  it('reads a stored ISO string as new Date does, and isoString writes it back unchanged', () => {
    const random = Array.from({ length: 20_000 }, () => Math.round(Math.random() * 2.5e14 - 3e13));
    for (const ms of [
      0,
      253402300799999,
      -30610224000000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      ...random,
    ]) {
      const text = new Date(ms).toISOString();
      const date = toDate(text);
      expect(date).toBeInstanceOf(Date);
      expect(date.getTime()).toBe(ms);
      expect(isoString(date)).toBe(text);
      expect(JSON.stringify({ date })).toBe(JSON.stringify({ date: text }));
    }
  });

  it('gives what new Date gives for text that is not exactly what toISOString writes', () => {
    for (const text of [
      '2026-02-30T00:00:00.000Z', // moved to 2 March
      '2023-02-29T12:00:00.000Z', // not a leap year
      '2026-12-03T24:00:00.000Z', // the next midnight
      '2026-12-03 18:03:52', // SQLite's own datetime() format, read as local time
      '2026-12-03T18:03:52Z',
      '2026-12-03T18:03:52.399+01:00',
      '0999-01-01T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-12-31T23:59:60.000Z',
      '２０２６-12-03T18:03:52.399Z',
    ]) {
      const expected = new Date(text);
      const date = toDate(text);
      expect(date.getTime()).toEqual(expected.getTime());
      if (Number.isNaN(expected.getTime())) expect(() => isoString(date)).toThrow(RangeError);
      else expect(isoString(date)).toBe(expected.toISOString());
    }
  });

  it('formats a date anew once it no longer holds the time it was read with', () => {
    const date = toDate('2026-12-03T18:03:52.399Z');
    date.setTime(Date.UTC(2027, 0, 1));
    expect(isoString(date)).toBe('2027-01-01T00:00:00.000Z');
    const given = new Date();
    expect(toDate(given)).toBe(given);
  });
});

describe('fromPostgresUtc', () => {
  /** What PostgreSQL writes for a timestamptz in a UTC session: trailing zeros of the fraction dropped. */
  const postgresText = (ms: number, micros: number) => {
    const iso = new Date(ms).toISOString();
    const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
  };

  it('reads what pg’s parser reads, to the millisecond, and writes it back as toISOString does', () => {
    const random = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * 2.5e14 - 3e13));
    for (const ms of [
      0,
      Date.UTC(2026, 11, 3, 18, 3, 52),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      ...random,
    ]) {
      for (const micros of [0, 123, 999]) {
        const text = postgresText(ms, micros);
        const date = fromPostgresUtc(text);
        const expected = parsePostgresDate(text);
        expect(date?.getTime(), text).toBe(expected.getTime());
        expect(isoString(date!)).toBe(expected.toISOString());
      }
    }
  });

  it('leaves every other text to pg’s parser', () => {
    for (const text of [
      '2026-12-03 18:03:52.399+01',
      '2026-12-03 18:03:52.399+05:30',
      '2026-12-03 18:03:52.399-00:30',
      '0999-12-03 18:03:52+00',
      '2026-12-03 18:03:52+00 BC',
      '12026-12-03 18:03:52+00',
      'infinity',
      '-infinity',
      '2026-12-03 18:03:52.+00',
      '2026-12-03T18:03:52.399+00',
      '2026-02-30 00:00:00+00',
    ]) {
      expect(fromPostgresUtc(text), text).toBeUndefined();
    }
  });
});
