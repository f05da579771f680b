import { describe, expect, it } from 'vitest'
import { createBoardThrottle, type ThrottleTimers } from './board-throttle.js'

/** A hand-driven clock: `advance` runs every timer that falls due, in order. */
function manualTimers() {
  let now = 0
  let seq = 0
  const timers = new Map<number, { at: number; run: () => void }>()
  const t: ThrottleTimers & { advance(ms: number): void; pending(): number } = {
    now: () => now,
    setTimeout: (run, ms) => {
      timers.set(++seq, { at: now + ms, run })
      return seq
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = now + ms
      for (;;) {
        const next = [...timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
        if (!next) break
        timers.delete(next[0])
        now = next[1].at
        next[1].run()
      }
      now = end
    },
    pending: () => timers.size,
  }
  return t
}

describe('board throttle', () => {
  // Each row: touches at these times (ms) → which were sent at once, and when trailing sends fired.
  it.each([
    { name: 'a lone change goes at once', touches: [0], now: [true], fired: [] as number[] },
    { name: 'a burst: the first at once, the rest once at the end of the interval', touches: [0, 2, 5, 9], now: [true, false, false, false], fired: [100] },
    { name: 'changes further apart than the interval each go at once', touches: [0, 150, 400], now: [true, true, true], fired: [] },
    { name: 'a change after a trailing send waits for the next interval end', touches: [0, 10, 120], now: [true, false, false], fired: [100, 200] },
  ])('$name', ({ touches, now, fired }) => {
    const t = manualTimers()
    const firedAt: number[] = []
    const throttle = createBoardThrottle(100, (key) => {
      expect(key).toBe('al-1')
      firedAt.push(t.now())
    }, t)
    const sentNow: boolean[] = []
    let clock = 0
    for (const at of touches) {
      t.advance(at - clock)
      clock = at
      sentNow.push(throttle.touch('al-1'))
    }
    t.advance(1000)
    expect(sentNow).toEqual(now)
    expect(firedAt).toEqual(fired)
  })

  it('keys are independent', () => {
    const t = manualTimers()
    const fired: string[] = []
    const throttle = createBoardThrottle(100, (key) => fired.push(key), t)
    expect([throttle.touch('a'), throttle.touch('b'), throttle.touch('a'), throttle.touch('b')]).toEqual([true, true, false, false])
    t.advance(100)
    expect(fired.sort()).toEqual(['a', 'b'])
  })

  it('clear() cancels trailing sends', () => {
    const t = manualTimers()
    const fired: string[] = []
    const throttle = createBoardThrottle(100, (key) => fired.push(key), t)
    throttle.touch('a')
    throttle.touch('a')
    expect(t.pending()).toBe(1)
    throttle.clear()
    t.advance(500)
    expect(fired).toEqual([])
  })
})

describe('board throttle with a late timer', () => {
  it('a change arriving while a trailing send is overdue joins it: one send, and clear() still cancels it', () => {
    let now = 0
    const scheduled: { run: () => void; cancelled: boolean }[] = []
    const timers: ThrottleTimers = {
      now: () => now,
      setTimeout: (run) => {
        const t = { run, cancelled: false }
        scheduled.push(t)
        return t
      },
      clearTimeout: (h) => void ((h as { cancelled: boolean }).cancelled = true),
    }
    const fired: string[] = []
    const throttle = createBoardThrottle(100, (key) => fired.push(key), timers)
    expect(throttle.touch('a')).toBe(true)
    expect(throttle.touch('a')).toBe(false) // trailing send scheduled for t=100
    now = 250 // the event loop was busy: the timer has not run yet
    expect(throttle.touch('a')).toBe(false)
    expect(scheduled).toHaveLength(1)
    throttle.clear()
    expect(scheduled[0]!.cancelled).toBe(true)
    expect(fired).toEqual([])
  })
})
