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

export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
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
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  return `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}T${pad2(date.getUTCHours())}:${pad2(
    date.getUTCMinutes(),
  )}:${pad2(date.getUTCSeconds())}.${pad3(date.getUTCMilliseconds())}Z`;
}
