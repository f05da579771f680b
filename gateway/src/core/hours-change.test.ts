import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isWithinAnyWindow, nextHoursChange, type TimeWindow } from './local-time.js'

// Europe/London 2026: forward Sun 29 Mar at 01:00 UTC (local 01:00–01:59 missing), back Sun 25 Oct at 01:00 UTC
// (local 01:00–01:59 twice). America/New_York 2026: forward Sun 8 Mar at 07:00 UTC, back Sun 1 Nov at 06:00 UTC.
const LON = 'Europe/London'
const u = (mo: number, d: number, h: number, mi = 0, s = 0) => Date.UTC(2026, mo - 1, d, h, mi, s)
const NIGHT: TimeWindow[] = [{ from: '21:00', to: '07:00' }]
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The same answer found the slow way: every whole UTC minute after `at` (offsets here are whole hours). */
function bruteForce(at: number, tz: string, windows: readonly TimeWindow[], inside: boolean): number | null {
  if (isWithinAnyWindow(at, tz, windows) === inside) return at
  for (let t = Math.floor(at / 60_000) * 60_000 + 60_000; t < at + 3 * 86_400_000; t += 60_000) {
    if (isWithinAnyWindow(t, tz, windows) === inside) return t
  }
  return null
}

describe('nextHoursChange: when active hours end (inside false) or begin (inside true)', () => {
  it.each([
    { name: 'a winter night ends at 07:00 GMT', at: u(1, 14, 22), windows: NIGHT, inside: false, want: u(1, 15, 7) },
    { name: 'a winter night begins at 21:00 GMT', at: u(1, 15, 7), windows: NIGHT, inside: true, want: u(1, 15, 21) },
    { name: 'an instant already outside is its own end', at: u(1, 15, 12, 0, 5), windows: NIGHT, inside: false, want: u(1, 15, 12, 0, 5) },
    { name: 'clocks forward: the night of 28–29 Mar ends at 07:00 BST (06:00 UTC)', at: u(3, 28, 22), windows: NIGHT, inside: false, want: u(3, 29, 6) },
    { name: 'clocks forward: the evening of 29 Mar begins at 21:00 BST (20:00 UTC)', at: u(3, 29, 6), windows: NIGHT, inside: true, want: u(3, 29, 20) },
    { name: 'clocks back: the night of 24–25 Oct ends at 07:00 GMT', at: u(10, 24, 21), windows: NIGHT, inside: false, want: u(10, 25, 7) },
    { name: 'hours ending at 01:30, skipped on 29 Mar, end when the clocks skip it (01:00 UTC)', at: u(3, 29, 0, 30), windows: [{ from: '00:00', to: '01:30' }], inside: false, want: u(3, 29, 1) },
    { name: 'hours 01:30–02:00 end on 25 Oct when the clocks go back to 01:00', at: u(10, 25, 0, 45), windows: [{ from: '01:30', to: '02:00' }], inside: false, want: u(10, 25, 1) },
    { name: 'hours 01:00–01:30 begin again in the repeated hour on 25 Oct', at: u(10, 25, 0, 30), windows: [{ from: '01:00', to: '01:30' }], inside: true, want: u(10, 25, 1) },
    { name: 'two touching windows are one stretch of hours', at: u(1, 14, 9), windows: [{ from: '08:00', to: '12:00' }, { from: '12:00', to: '18:00' }], inside: false, want: u(1, 14, 18) },
    { name: 'windows covering the whole day never end', at: u(1, 14, 9), windows: [{ from: '00:00', to: '12:00' }, { from: '12:00', to: '00:00' }], inside: false, want: null },
    { name: 'no windows (always active) never end', at: u(1, 14, 9), windows: [], inside: false, want: null },
  ])('$name', ({ at, windows, inside, want }) => {
    expect(iso(nextHoursChange(at, LON, windows, inside))).toBe(iso(want))
  })

  const pad = (n: number) => String(n).padStart(2, '0')
  const hhmm = fc.integer({ min: 0, max: 1439 }).map((m) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`)
  const windows = fc.array(fc.tuple(hhmm, hhmm).filter(([a, b]) => a !== b).map(([from, to]) => ({ from, to })), { minLength: 1, maxLength: 3 })
  const near = fc.tuple(fc.constantFrom(u(3, 28, 12), u(10, 24, 12), u(3, 7, 12), u(10, 31, 12), u(1, 14, 0)), fc.integer({ min: 0, max: 2 * 86_400_000 })).map(([a, b]) => a + b)

  it('agrees with a minute-by-minute search, across the 2026 clock changes in London and New York', () => {
    fc.assert(fc.property(windows, near, fc.boolean(), fc.constantFrom(LON, 'America/New_York'), (ws, at, inside, tz) => {
      expect(iso(nextHoursChange(at, tz, ws, inside))).toBe(iso(bruteForce(at, tz, ws, inside)))
    }), { numRuns: 300 })
  })
})
