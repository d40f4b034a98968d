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
