import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  describeWindow, isLocalTime, isWithinAnyWindow, isWithinWindow, localMinuteOfDay, localParts, nextLocalTime,
  parseLocalTime, previousLocalTime, type TimeWindow, windowProblems,
} from './local-time.js'

// Europe/London 2026: forward Sun 29 Mar at 01:00 UTC (local 01:00–01:59 missing), back Sun 25 Oct at 01:00 UTC
// (local 01:00–01:59 twice: 00:00–00:59 UTC in BST, then 01:00–01:59 UTC in GMT).
// America/New_York 2026: forward Sun 8 Mar at 07:00 UTC, back Sun 1 Nov at 06:00 UTC.
const LON = 'Europe/London'
const NY = 'America/New_York'
const IST = 'Asia/Kolkata'
/** 2026 instant in UTC, month 1-based. */
const u = (mo: number, d: number, h: number, mi = 0) => Date.UTC(2026, mo - 1, d, h, mi)
const H = 3_600_000
const NIGHT: TimeWindow = { from: '21:00', to: '07:00' }
const DAY: TimeWindow = { from: '09:00', to: '17:00' }
const iso = (ms: number) => new Date(ms).toISOString()

describe('parseLocalTime / isLocalTime', () => {
  it.each([['00:00', 0], ['07:05', 425], ['21:00', 1260], ['23:59', 1439]])('parses %s to %i minutes', (s, m) => {
    expect(parseLocalTime(s)).toBe(m)
    expect(isLocalTime(s)).toBe(true)
  })
  it.each(['24:00', '25:00', '7:00', '07:60', '07:00:00', '0700', '', ' 07:00', '-1:00', 'ab:cd'])('rejects %j with a TypeError naming it', (s) => {
    expect(isLocalTime(s)).toBe(false)
    expect(() => parseLocalTime(s)).toThrow(TypeError)
    expect(() => parseLocalTime(s)).toThrow(`'${s}' is not a time (HH:MM)`)
  })
})

describe('localParts / localMinuteOfDay', () => {
  it.each([
    ['winter London is GMT', u(1, 14, 0), LON, [2026, 1, 14, 0, 0, 0, 3, 0]],
    ['summer London is BST', u(7, 15, 20, 30) + 15_000, LON, [2026, 7, 15, 21, 30, 15, 3, 60]],
    ['first instant after the spring gap reads 02:00 BST', u(3, 29, 1), LON, [2026, 3, 29, 2, 0, 0, 7, 60]],
    ['second autumn 01:30 reads 01:30 GMT', u(10, 25, 1, 30), LON, [2026, 10, 25, 1, 30, 0, 7, 0]],
    ['New York winter is a day behind just after UTC midnight', u(1, 1, 3), NY, [2025, 12, 31, 22, 0, 0, 3, -300]],
    ['Kolkata +05:30 rolls into the next year', u(12, 31, 23, 30), IST, [2027, 1, 1, 5, 0, 0, 5, 330]],
  ] as const)('%s', (_name, ms, tz, [year, month, day, hour, minute, second, weekday, offsetMinutes]) => {
    expect(localParts(ms, tz)).toEqual({ year, month, day, hour, minute, second, weekday, offsetMinutes })
    expect(localMinuteOfDay(ms, tz)).toBe(hour * 60 + minute)
  })
})

describe('isWithinWindow', () => {
  it.each([
    // ordinary winter day (GMT = UTC)
    ['winter 20:59 is before the night window', u(1, 14, 20, 59), NIGHT, false],
    ['winter 21:00 is inside (from inclusive)', u(1, 14, 21), NIGHT, true],
    ['winter 00:00 is inside across midnight', u(1, 15, 0), NIGHT, true],
    ['winter 06:59 is inside', u(1, 15, 6, 59), NIGHT, true],
    ['winter 07:00 is outside (to exclusive)', u(1, 15, 7), NIGHT, false],
    ['winter 08:59 is before the day window', u(1, 14, 8, 59), DAY, false],
    ['winter 09:00 is inside the day window', u(1, 14, 9), DAY, true],
    ['winter 16:59 is inside the day window', u(1, 14, 16, 59), DAY, true],
    ['winter 17:00 is outside the day window', u(1, 14, 17), DAY, false],
    // ordinary summer day (BST = UTC+1): the UTC-vs-local traps
    ['summer 20:30 UTC is 21:30 BST, inside', u(7, 15, 20, 30), NIGHT, true],
    ['summer 19:59 UTC is 20:59 BST, outside', u(7, 15, 19, 59), NIGHT, false],
    ['summer 05:59 UTC is 06:59 BST, inside', u(7, 16, 5, 59), NIGHT, true],
    ['summer 06:00 UTC is 07:00 BST, outside', u(7, 16, 6), NIGHT, false],
    ['summer 06:30 UTC is 07:30 BST, outside', u(7, 16, 6, 30), NIGHT, false],
    ['summer 08:00 UTC is 09:00 BST, inside the day window', u(7, 15, 8), DAY, true],
    ['summer 16:00 UTC is 17:00 BST, outside the day window', u(7, 15, 16), DAY, false],
    // night of 28 -> 29 March
    ['28 Mar 23:30 GMT is inside', u(3, 28, 23, 30), NIGHT, true],
    ['29 Mar 00:59 GMT is inside', u(3, 29, 0, 59), NIGHT, true],
    ['29 Mar 01:00 UTC = 02:00 BST is inside', u(3, 29, 1), NIGHT, true],
    ['29 Mar 05:59 UTC = 06:59 BST is inside', u(3, 29, 5, 59), NIGHT, true],
    ['29 Mar 06:00 UTC = 07:00 BST is outside', u(3, 29, 6), NIGHT, false],
    ['29 Mar 06:30 UTC = 07:30 BST is outside', u(3, 29, 6, 30), NIGHT, false],
    ['29 Mar 08:00 UTC = 09:00 BST starts the day window', u(3, 29, 8), DAY, true],
    // night of 24 -> 25 October
    ['24 Oct 20:30 UTC = 21:30 BST is inside', u(10, 24, 20, 30), NIGHT, true],
    ['24 Oct 22:30 UTC = 23:30 BST is inside', u(10, 24, 22, 30), NIGHT, true],
    ['25 Oct 00:30 UTC = first 01:30 (BST) is inside', u(10, 25, 0, 30), NIGHT, true],
    ['25 Oct 01:30 UTC = second 01:30 (GMT) is inside', u(10, 25, 1, 30), NIGHT, true],
    ['25 Oct 06:59 GMT is inside', u(10, 25, 6, 59), NIGHT, true],
    ['25 Oct 07:00 GMT is outside', u(10, 25, 7), NIGHT, false],
    ['25 Oct 09:00 GMT starts the day window', u(10, 25, 9), DAY, true],
    // windows touching the spring gap and the autumn repeat
    ['01:00–03:00 on 29 Mar: 00:59 GMT is outside', u(3, 29, 0, 59), { from: '01:00', to: '03:00' }, false],
    ['01:00–03:00 on 29 Mar: 01:00 UTC = 02:00 BST is inside', u(3, 29, 1), { from: '01:00', to: '03:00' }, true],
    ['01:00–03:00 on 29 Mar: 01:59 UTC = 02:59 BST is inside', u(3, 29, 1, 59), { from: '01:00', to: '03:00' }, true],
    ['01:00–03:00 on 29 Mar: 02:00 UTC = 03:00 BST is outside', u(3, 29, 2), { from: '01:00', to: '03:00' }, false],
    ['01:00–02:00 on 25 Oct: 23:59 UTC = 00:59 BST is outside', u(10, 24, 23, 59), { from: '01:00', to: '02:00' }, false],
    ['01:00–02:00 on 25 Oct: 00:00 UTC = 01:00 BST is inside', u(10, 25, 0), { from: '01:00', to: '02:00' }, true],
    ['01:00–02:00 on 25 Oct: 01:59 UTC = 01:59 GMT is inside', u(10, 25, 1, 59), { from: '01:00', to: '02:00' }, true],
    ['01:00–02:00 on 25 Oct: 02:00 GMT is outside', u(10, 25, 2), { from: '01:00', to: '02:00' }, false],
  ] as const)('Europe/London: %s', (_name, ms, w, expected) => {
    expect(isWithinWindow(ms, LON, w)).toBe(expected)
  })

  it.each([
    ['New York 02:00 UTC in July is 22:00 EDT, inside', u(7, 16, 2), NY, true],
    ['New York 12:00 UTC in July is 08:00 EDT, outside', u(7, 15, 12), NY, false],
    ['UTC 21:00 is inside', u(7, 15, 21), 'UTC', true],
    ['Kolkata 15:30 UTC is 21:00 IST, inside', u(1, 14, 15, 30), IST, true],
    ['Kolkata 15:29 UTC is 20:59 IST, outside', u(1, 14, 15, 29), IST, false],
  ] as const)('other zones, night window: %s', (_name, ms, tz, expected) => {
    expect(isWithinWindow(ms, tz, NIGHT)).toBe(expected)
  })

  it.each([
    ['zero length', { from: '21:00', to: '21:00' }, 'window 21:00–21:00 has zero length'],
    ['a malformed bound', { from: '21:00', to: '25:00' }, "'25:00' is not a time (HH:MM)"],
  ])('throws a TypeError for %s', (_name, w, message) => {
    expect(() => isWithinWindow(u(1, 14, 12), LON, w)).toThrow(new TypeError(message))
  })

  it.each([
    ['an empty list means always', [], true],
    ['matches the second of two windows', [DAY, { from: '20:00', to: '22:00' }], true],
    ['no window matches', [DAY, { from: '22:00', to: '23:00' }], false],
  ] as const)('isWithinAnyWindow at 21:30 BST: %s', (_name, ws, expected) => {
    expect(isWithinAnyWindow(u(7, 15, 20, 30), LON, ws)).toBe(expected)
  })

  it('isWithinAnyWindow validates every window, even after a match', () => {
    expect(() => isWithinAnyWindow(u(7, 15, 20, 30), LON, [NIGHT, { from: '9:00', to: '10:00' }])).toThrow(TypeError)
  })
})

describe('nextLocalTime / previousLocalTime', () => {
  it.each([
    ['23:00 later the same winter day', u(1, 14, 12), LON, '23:00', u(1, 14, 23)],
    ['23:00 just before it', u(1, 14, 22, 59) + 59_999, LON, '23:00', u(1, 14, 23)],
    ['strictly after: exactly on 23:00 gives tomorrow', u(1, 14, 23), LON, '23:00', u(1, 15, 23)],
    ['23:00 on a summer day is 22:00 UTC', u(7, 15, 12), LON, '23:00', u(7, 15, 22)],
    ['strictly after in summer', u(7, 15, 22), LON, '23:00', u(7, 16, 22)],
    ['across spring forward the local day is 23 h', u(3, 28, 23), LON, '23:00', u(3, 29, 22)],
    ['across autumn back the local day is 25 h', u(10, 24, 22), LON, '23:00', u(10, 25, 23)],
    ['01:30 on 29 Mar is in the gap: first instant after it', u(3, 28, 12), LON, '01:30', u(3, 29, 1)],
    ['01:00 on 29 Mar is in the gap too', u(3, 28, 12), LON, '01:00', u(3, 29, 1)],
    ['02:00 on 29 Mar exists and is the same instant', u(3, 28, 12), LON, '02:00', u(3, 29, 1)],
    ['00:59 on 29 Mar is plain GMT', u(3, 28, 12), LON, '00:59', u(3, 29, 0, 59)],
    ['strictly after the gap instant gives 30 Mar 01:30 BST', u(3, 29, 1), LON, '01:30', u(3, 30, 0, 30)],
    ['01:30 on 25 Oct is the first (BST) one', u(10, 24, 12), LON, '01:30', u(10, 25, 0, 30)],
    ['between the two 01:30s the next is the following day', u(10, 25, 0, 45), LON, '01:30', u(10, 26, 1, 30)],
    ['exactly on the first 01:30 skips the second', u(10, 25, 0, 30), LON, '01:30', u(10, 26, 1, 30)],
    ['02:00 on 25 Oct occurs once, in GMT', u(10, 24, 12), LON, '02:00', u(10, 25, 2)],
    ['New York 02:30 on 8 Mar is in the gap: 03:00 EDT', u(3, 7, 12), NY, '02:30', u(3, 8, 7)],
    ['New York 01:30 on 1 Nov is the first (EDT) one', u(10, 31, 12), NY, '01:30', u(11, 1, 5, 30)],
    ['New York 23:00 in July is 03:00 UTC next day', u(7, 15, 12), NY, '23:00', u(7, 16, 3)],
    ['UTC has no surprises', u(3, 29, 12), 'UTC', '01:30', u(3, 30, 1, 30)],
    ['Kolkata 23:00 IST is 17:30 UTC', u(1, 14, 12), IST, '23:00', u(1, 14, 17, 30)],
  ])('next: %s', (_name, after, tz, at, expected) => {
    expect(iso(nextLocalTime(after, tz, at))).toBe(iso(expected))
  })

  it.each([
    ['inclusive: exactly on 23:00', u(1, 14, 23), LON, '23:00', u(1, 14, 23)],
    ['just before 23:00 gives yesterday', u(1, 14, 22, 59), LON, '23:00', u(1, 13, 23)],
    ['on 25 Oct after both 01:30s, the first one', u(10, 25, 1, 45), LON, '01:30', u(10, 25, 0, 30)],
    ['on 29 Mar, the gap instant', u(3, 29, 12), LON, '01:30', u(3, 29, 1)],
    ['across autumn back', u(10, 25, 12), LON, '23:00', u(10, 24, 22)],
  ])('previous: %s', (_name, atOrBefore, tz, at, expected) => {
    expect(iso(previousLocalTime(atOrBefore, tz, at))).toBe(iso(expected))
  })

  it('rejects a malformed time', () => {
    expect(() => nextLocalTime(u(1, 1, 0), LON, '23:00:00')).toThrow(TypeError)
    expect(() => previousLocalTime(u(1, 1, 0), LON, '')).toThrow(TypeError)
  })
})

describe('describeWindow / windowProblems', () => {
  it('describes a window with its zone', () => {
    expect(describeWindow(NIGHT, LON)).toBe('21:00–07:00 Europe/London')
  })
  it.each([
    ['fine windows', [NIGHT, DAY], []],
    ['no windows', [], []],
    ['zero length', [{ from: '21:00', to: '21:00' }], ['window 21:00–21:00 has zero length']],
    ['bad times, each named', [DAY, { from: '25:00', to: '7:00' }], ["'25:00' is not a time (HH:MM)", "'7:00' is not a time (HH:MM)"]],
  ] as const)('%s', (_name, ws, problems) => {
    expect(windowProblems(ws)).toEqual(problems)
  })
})

describe('properties', () => {
  const Y0 = Date.UTC(2026, 0, 1)
  const Y1 = Date.UTC(2027, 0, 1)
  // Bias half the instants into the days around the transitions, where the bugs live.
  const near = (centre: number) => fc.integer({ min: centre - 2 * 24 * H, max: centre + 2 * 24 * H })
  const instant = fc.oneof(fc.integer({ min: Y0, max: Y1 - 1 }), near(u(3, 29, 1)), near(u(10, 25, 1)), near(u(3, 8, 7)), near(u(11, 1, 6)))
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
  const minute = fc.integer({ min: 0, max: 1439 })
  const window = fc.tuple(minute, minute).filter(([a, b]) => a !== b).map(([a, b]) => ({ from: hhmm(a), to: hhmm(b) }))
  const zone = fc.constantFrom(LON, NY, 'UTC', IST)
  // London 2026 from first principles, independent of Intl: BST from 29 Mar 01:00 UTC to 25 Oct 01:00 UTC.
  const londonMinute = (t: number) => Math.floor((t + (t >= u(3, 29, 1) && t < u(10, 25, 1) ? H : 0)) / 60_000) % 1440

  it('London localMinuteOfDay and isWithinWindow agree with an independent 2026 DST model', () => {
    fc.assert(fc.property(instant, window, (t, w) => {
      const m = londonMinute(t)
      const [from, to] = [parseLocalTime(w.from), parseLocalTime(w.to)]
      expect(localMinuteOfDay(t, LON)).toBe(m)
      expect(isWithinWindow(t, LON, w)).toBe(from < to ? from <= m && m < to : m >= from || m < to)
    }), { numRuns: 500 })
  })

  it('nextLocalTime is strictly later, within 26 h, reads `at` (or ends the gap) and round-trips with previousLocalTime', () => {
    fc.assert(fc.property(instant, minute, zone, (t, m, tz) => {
      const at = hhmm(m)
      const n = nextLocalTime(t, tz, at)
      expect(n).toBeGreaterThan(t)
      expect(n).toBeLessThan(t + 26 * H)
      expect(n % 60_000).toBe(0)
      if (localMinuteOfDay(n, tz) !== m) {
        // Only in a spring gap: n is the transition, and `at` is a wall time the clock skipped.
        expect(localParts(n - 1, tz).offsetMinutes).toBeLessThan(localParts(n, tz).offsetMinutes)
        expect(localMinuteOfDay(n - 1, tz) < m && m < localMinuteOfDay(n, tz)).toBe(true)
      }
      const n2 = nextLocalTime(n, tz, at)
      expect(n2).toBeGreaterThan(n)
      expect(previousLocalTime(n, tz, at)).toBe(n)
      expect(previousLocalTime(n - 1, tz, at)).toBeLessThanOrEqual(t)
    }), { numRuns: 400 })
  })

  it('nextLocalTime skips no earlier reading of `at` except the second of a repeated hour', () => {
    fc.assert(fc.property(instant, minute, zone, (t, m, tz) => {
      const at = hhmm(m)
      const n = nextLocalTime(t, tz, at)
      for (let x = Math.floor(t / 60_000) * 60_000 + 60_000; x < n; x += 60_000) {
        // A skipped reading must be a repeat whose day's first occurrence was already at or before t.
        if (localMinuteOfDay(x, tz) === m) expect(previousLocalTime(x, tz, at)).toBeLessThanOrEqual(t)
      }
    }), { numRuns: 40 })
  })
})
