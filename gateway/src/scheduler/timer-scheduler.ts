import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'

export interface TimerSchedulerDeps {
  readonly clock: Clock
  /** Earliest stored deadline, or null. */
  readonly nextDueAt: () => number | null
  /** Fire everything due at `now` through the pipeline. */
  readonly fireDue: (now: number) => Promise<number>
  readonly log: Logger
}

/**
 * Keeps one wall-clock timer armed for the earliest stored deadline. Deadlines live in SQLite, so after a
 * restart `start()` fires every deadline that passed while the gateway was down at once, never skipping one.
 */
export function createTimerScheduler(deps: TimerSchedulerDeps) {
  let handle: NodeJS.Timeout | null = null
  let armedFor: number | null = null
  let running = false
  let stopped = false

  function arm(): void {
    if (stopped || running) return
    const due = deps.nextDueAt()
    if (due === armedFor && handle) return
    if (handle) clearTimeout(handle)
    handle = null
    armedFor = due
    if (due === null) return
    // setTimeout caps at 2^31-1 ms; re-arm on wake for longer waits.
    const wait = Math.min(Math.max(0, due - deps.clock.now()), 2 ** 31 - 1)
    handle = setTimeout(fire, wait)
  }

  function fire(): void {
    handle = null
    armedFor = null
    running = true
    deps.fireDue(deps.clock.now()).then(
      () => {
        running = false
        arm()
      },
      (err: unknown) => {
        running = false
        deps.log.error({ err }, 'firing deadlines failed; retrying in 1 s')
        if (!stopped) handle = setTimeout(fire, 1000)
      },
    )
  }

  return {
    /** Fire anything already due, then keep the timer armed. */
    start(): void {
      fire()
    },
    /** Call after a commit that changed deadlines. */
    reschedule: arm,
    stop(): void {
      stopped = true
      if (handle) clearTimeout(handle)
    },
  }
}
