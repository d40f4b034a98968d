export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move forward, to reach expiry without waiting. */
export class ManualClock implements Clock {
  #time: number;
  constructor(start: Date = new Date()) {
    this.#time = start.getTime();
  }
  now() {
    return new Date(this.#time);
  }
  advance(ms: number) {
    this.#time += ms;
  }
}

/**
 * A date read from the ISO string it was stored as, keeping that string: `isoString` writes it
 * back without formatting again (a list page parses and formats 150 dates; bench/RESULTS.md,
 * change 22). The string is kept only while the date still holds the time it was read with.
 */
class StoredDate extends Date {
  readonly iso: string;
  readonly time: number;
  constructor(time: number, iso: string) {
    super(time);
    this.time = time;
    this.iso = iso;
  }
}

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const twoDigits = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const SHAPE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * `yyyy-mm-ddThh:mm:ss.sssZ` with every field in range (what `toISOString` writes for years
 * 1000–9999) as a StoredDate; anything else undefined. Range checks matter: `new Date` accepts
 * 30 February or 24:00 and moves them, and their stored text would no longer be the date's.
 */
function storedDate(s: string): StoredDate | undefined {
  if (s.length !== 24 || !SHAPE.test(s)) return undefined;
  const year = twoDigits(s, 0) * 100 + twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  const ms = digit(s, 20) * 100 + twoDigits(s, 21);
  return new StoredDate(Date.UTC(year, month - 1, day, hour, minute, second, ms), s);
}

/**
 * PostgreSQL's text for a timestamptz in a UTC session (`2026-12-03 18:03:52.399123+00`) as a
 * StoredDate carrying its ISO text; undefined for any other text (another offset, a year outside
 * 1000–9999, infinity), which pg's own parser then reads. Digits past milliseconds are dropped,
 * as pg's parser drops them.
 */
export function fromPostgresUtc(text: string): Date | undefined {
  const length = text.length;
  if (length < 22 || text.charCodeAt(10) !== 32 || !text.endsWith('+00')) return undefined;
  if (length > 22 && (text.charCodeAt(19) !== 46 || length < 24)) return undefined;
  const milliseconds = length === 22 ? '000' : `${text.slice(20, length - 3)}00`.slice(0, 3);
  return storedDate(`${text.slice(0, 10)}T${text.slice(11, 19)}.${milliseconds}Z`);
}

/** A database value as a Date: PostgreSQL's driver gives Dates, SQLite the ISO strings we wrote. */
export function toDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  return storedDate(value) ?? new Date(value);
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * What `date.toISOString()` writes, in half its time for years 1000–9999 (V8's builtin is slow,
 * and a list formats five dates per row: bench/RESULTS.md, change 16); other years, and an
 * invalid date (which throws), go to the builtin.
 */
export function isoString(date: Date): string {
  if (date instanceof StoredDate && date.getTime() === date.time) return date.iso;
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  return `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}T${pad2(date.getUTCHours())}:${pad2(
    date.getUTCMinutes(),
  )}:${pad2(date.getUTCSeconds())}.${pad3(date.getUTCMilliseconds())}Z`;
}
