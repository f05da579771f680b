import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type ShiftConfig, weekdays } from './escalation-config.js'
import { shiftCovers, uncoveredPeriods, usersOnShift } from './rota.js'

const shift = (user: string, from: string, to: string, days?: ShiftConfig['days'], site = 'oak-house'): ShiftConfig => ({ site, user, from, to, ...(days ? { days } : {}) })
const at = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
const MON = 1, TUE = 2, WED = 3, THU = 4, FRI = 5, SAT = 6, SUN = 7

describe('shiftCovers (local weekday 1 = Monday, local minute)', () => {
  const day = shift('c-amy', '07:00', '19:00')
  const fridayNight = shift('c-bob', '19:00', '07:00', ['fri'])
  const sundayNight = shift('c-bob', '22:00', '06:00', ['sun'])
  const monWedDays = shift('c-cat', '08:00', '14:30', ['mon', 'wed'])

  it.each<[string, ShiftConfig, number, string, boolean]>([
    ['a day shift covers its first minute', day, WED, '07:00', true],
    ['a day shift covers its last minute', day, WED, '18:59', true],
    ['a day shift ends at its end time (exclusive)', day, WED, '19:00', false],
    ['a day shift does not cover the early morning', day, WED, '06:59', false],
    ['a Friday 19:00–07:00 shift covers Saturday 03:00', fridayNight, SAT, '03:00', true],
    ['a Friday 19:00–07:00 shift does not cover Friday 03:00 (that belongs to Thursday night)', fridayNight, FRI, '03:00', false],
    ['a Friday night shift starts Friday 19:00', fridayNight, FRI, '19:00', true],
    ['a Friday night shift covers Friday 23:59', fridayNight, FRI, '23:59', true],
    ['a Friday night shift covers Saturday 00:00', fridayNight, SAT, '00:00', true],
    ['a Friday night shift ends Saturday 07:00 (exclusive)', fridayNight, SAT, '07:00', false],
    ['a Friday night shift does not start on Saturday evening', fridayNight, SAT, '19:00', false],
    ['a Friday night shift does not start on Thursday evening', fridayNight, THU, '20:00', false],
    ['a Sunday night shift runs into Monday morning across the week boundary', sundayNight, MON, '05:59', true],
    ['a Sunday night shift does not cover Sunday early morning', sundayNight, SUN, '03:00', false],
    ['a Sunday night shift covers Sunday 22:00', sundayNight, SUN, '22:00', true],
    ['a day shift limited to mon/wed does not cover Tuesday', monWedDays, TUE, '10:00', false],
    ['a day shift limited to mon/wed covers Wednesday', monWedDays, WED, '14:29', true],
    ['a day shift ending on a half hour stops there', monWedDays, MON, '14:30', false],
  ])('%s', (_why, s, weekday, hhmm, expected) => {
    expect(shiftCovers(s, weekday, at(hhmm))).toBe(expected)
  })
})

describe('usersOnShift (an instant, in the site’s time zone)', () => {
  const rota = [shift('c-amy', '07:00', '19:00'), shift('c-bob', '19:00', '07:00', ['fri']), shift('c-cat', '19:00', '07:00'), shift('c-dan', '00:00', '12:00', undefined, 'elm-court')]

  it('counts a Friday night shift on Saturday 03:00 but not on Friday 03:00', () => {
    expect(usersOnShift(rota, 'oak-house', 'Europe/London', Date.UTC(2026, 10, 28, 3, 0))).toEqual(new Set(['c-bob', 'c-cat']))
    expect(usersOnShift(rota, 'oak-house', 'Europe/London', Date.UTC(2026, 10, 27, 3, 0))).toEqual(new Set(['c-cat']))
  })

  it('reads shifts in local time: 18:30 UTC is already the night shift in London summer time (19:30 BST)', () => {
    const fridayEvening = Date.UTC(2026, 6, 3, 18, 30)
    expect(usersOnShift(rota, 'oak-house', 'Europe/London', fridayEvening)).toEqual(new Set(['c-bob', 'c-cat']))
    expect(usersOnShift(rota, 'oak-house', 'UTC', fridayEvening)).toEqual(new Set(['c-amy']))
  })

  it('uses the local weekday: Friday 23:30 in New York is Saturday in UTC, and the Friday night shift is on', () => {
    expect(usersOnShift(rota, 'oak-house', 'America/New_York', Date.UTC(2026, 10, 28, 4, 30))).toEqual(new Set(['c-bob', 'c-cat']))
  })

  it('ignores shifts at other sites and includes the shift change instant in the new shift only', () => {
    const seven = Date.UTC(2026, 10, 25, 7, 0)
    expect(usersOnShift(rota, 'oak-house', 'Europe/London', seven)).toEqual(new Set(['c-amy']))
    expect(usersOnShift(rota, 'oak-house', 'Europe/London', seven - 1)).toEqual(new Set(['c-cat']))
    expect(usersOnShift(rota, 'elm-court', 'Europe/London', seven)).toEqual(new Set(['c-dan']))
  })
})

describe('uncoveredPeriods (one local week, "ddd HH:MM–ddd HH:MM", Monday 00:00 first)', () => {
  const carers = new Set(['c-amy', 'c-bob', 'c-cat'])

  it('a day shift 07:00–19:00 only leaves every night uncovered', () => {
    expect(uncoveredPeriods([shift('c-amy', '07:00', '19:00')], 'oak-house', carers)).toEqual([
      'mon 19:00–tue 07:00', 'tue 19:00–wed 07:00', 'wed 19:00–thu 07:00',
      'thu 19:00–fri 07:00', 'fri 19:00–sat 07:00', 'sat 19:00–sun 07:00', 'sun 19:00–mon 07:00',
    ])
  })

  it('day and night shifts together cover the whole week', () => {
    expect(uncoveredPeriods([shift('c-amy', '07:00', '19:00'), shift('c-bob', '19:00', '07:00')], 'oak-house', carers)).toEqual([])
  })

  it('a night shift on Friday only covers Friday night into Saturday morning', () => {
    const gaps = uncoveredPeriods([shift('c-amy', '07:00', '19:00'), shift('c-bob', '19:00', '07:00', ['fri'])], 'oak-house', carers)
    expect(gaps).toContain('thu 19:00–fri 07:00')
    expect(gaps).not.toContain('fri 19:00–sat 07:00')
    expect(gaps).toContain('sat 19:00–sun 07:00')
  })

  it('counts only the given users at the given site', () => {
    const rota = [shift('c-amy', '07:00', '19:00'), shift('tl-kim', '19:00', '07:00'), shift('c-bob', '19:00', '07:00', undefined, 'elm-court')]
    expect(uncoveredPeriods(rota, 'oak-house', carers)).toHaveLength(7)
    expect(uncoveredPeriods(rota, 'oak-house', new Set([...carers, 'tl-kim']))).toEqual([])
  })

  // The scan starts at Monday 00:00; a gap running over the week boundary is joined into one period.
  it('reports a gap that runs from Sunday night into Monday morning as one period', () => {
    expect(uncoveredPeriods([shift('c-amy', '07:00', '19:00')], 'oak-house', carers)).toContain('sun 19:00–mon 07:00')
  })

  const hhmm = fc.integer({ min: 0, max: 1439 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`)
  const anyShift = fc.record({ user: fc.constantFrom('c-amy', 'c-bob', 'tl-kim'), from: hhmm, to: hhmm, days: fc.option(fc.subarray([...weekdays], { minLength: 1 }), { nil: undefined }) })
    .filter((s) => s.from !== s.to)
    .map((s) => shift(s.user, s.from, s.to, s.days))
  const minuteOf = (label: string) => (weekdays.indexOf(label.slice(0, 3) as (typeof weekdays)[number]) * 1440) + at(label.slice(4))

  it('property: the reported periods are exactly the minutes of the week when no given user is on shift', () => {
    fc.assert(
      fc.property(fc.array(anyShift, { maxLength: 4 }), (rota) => {
        const week = 7 * 1440
        const gaps = uncoveredPeriods(rota, 'oak-house', carers).flatMap((g): (readonly [number, number])[] => {
          if (g === 'all week') return [[0, week]]
          const [from, to] = g.split('–') as [string, string]
          const start = minuteOf(from)
          const end = minuteOf(to) === 0 ? week : minuteOf(to)
          // A period that wraps over Monday 00:00 covers the end of the week and its start.
          return end > start ? [[start, end]] : [[start, week], [0, end]]
        })
        for (let m = 0; m < 7 * 1440; m += 7) {
          const covered = rota.some((s) => carers.has(s.user) && shiftCovers(s, Math.floor(m / 1440) + 1, m % 1440))
          expect(gaps.some(([from, to]) => m >= from && m < to)).toBe(!covered)
        }
      }),
      { numRuns: 60 },
    )
  })
})
