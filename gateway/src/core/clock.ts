/** A source of the current time in epoch milliseconds. Injected everywhere time matters, so tests never sleep. */
export interface Clock {
  now(): number
}

/** The wall clock. Only the composition root should use it. */
export const systemClock: Clock = { now: () => Date.now() }

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t
  }
  /** Move forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.t += ms
  }
  set(t: number): void {
    this.t = t
  }
}
