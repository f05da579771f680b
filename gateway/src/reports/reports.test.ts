import { describe, expect, it } from 'vitest'
import { falseAlarms } from './false-alarms.js'
import { percentile, summariseDurations } from './percentile.js'
import { responseTimes } from './response-times.js'
import { localDay } from './window.js'

describe('percentile (nearest rank)', () => {
  it.each<[string, number[], number, number | null]>([
    ['empty list', [], 50, null],
    ['one value is every percentile', [7], 90, 7],
    ['median of an odd count is the middle', [5, 1, 3], 50, 3],
    ['median of an even count is the lower middle', [1, 2, 3, 4], 50, 2],
    ['p90 of 1..10 is 9', [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 90, 9],
    ['p90 of 1..30 is 27 (no floating-point drift to 28)', Array.from({ length: 30 }, (_, i) => i + 1), 90, 27],
    ['p90 of 1..11 is rank 10', Array.from({ length: 11 }, (_, i) => i + 1), 90, 10],
    ['p100 is the maximum', [3, 9, 1], 100, 9],
    ['a tiny p is the minimum', [3, 9, 1], 1, 1],
    ['ties', [2, 2, 2, 8], 50, 2],
  ])('%s', (_why, values, p, expected) => {
    expect(percentile(values, p)).toBe(expected)
  })

  it('does not reorder its input', () => {
    const v = [3, 1, 2]
    percentile(v, 50)
    expect(v).toEqual([3, 1, 2])
  })

  it.each([0, -1, 101, Number.NaN])('refuses p = %s', (p) => {
    expect(() => percentile([1], p)).toThrow(RangeError)
  })

  it('summarises milliseconds as seconds', () => {
    expect(summariseDurations([30_000, 10_000, 20_000, 120_000])).toEqual({ count: 4, median_s: 20, p90_s: 120 })
    expect(summariseDurations([])).toEqual({ count: 0, median_s: null, p90_s: null })
  })
})

const DAY = { from: 1_000_000, to: 1_000_000 + 86_400_000 }
const at = (s: number) => DAY.from + s * 1000
const alert = (raised: number, accepted: number | null, closed: number | null, extra: Partial<{ personId: string | null; deviceId: string | null; outcome: 'real' | 'false_alarm' | 'test' | 'device_fault' | null }> = {}) => ({
  raisedAt: raised, acceptedAt: accepted, closedAt: closed, personId: 'p-1', deviceId: 'd-1', outcome: closed === null ? null : 'real' as const, ...extra,
})

describe('responseTimes', () => {
  it('times alerts raised in the window: accept over accepted ones, close over closed ones', () => {
    const r = responseTimes([
      alert(at(0), at(10), at(100)),
      alert(at(100), at(130), at(400)),
      alert(at(200), at(220), null), // accepted, still open
      alert(at(300), null, at(360)), // source cleared, closed without an accept
      alert(at(500), null, null), // still waiting
      alert(DAY.from - 1000, DAY.from + 5000, DAY.from + 9000), // raised the day before: not today's
      alert(DAY.to, DAY.to + 1000, null), // raised at the next midnight: tomorrow's
    ], DAY)
    expect(r).toEqual({
      raised: 5,
      to_accept: { count: 3, median_s: 20, p90_s: 30 },
      to_close: { count: 3, median_s: 100, p90_s: 300 },
      not_yet_accepted: 1,
    })
  })

  it('says nothing rather than zero when nothing happened', () => {
    expect(responseTimes([], DAY)).toEqual({ raised: 0, to_accept: { count: 0, median_s: null, p90_s: null }, to_close: { count: 0, median_s: null, p90_s: null }, not_yet_accepted: 0 })
  })
})

describe('falseAlarms', () => {
  it('counts alerts closed in the window as false alarms per person and per device, with how many were closed', () => {
    const r = falseAlarms([
      alert(at(0), at(1), at(10), { personId: 'p-1', deviceId: 'bed-1', outcome: 'false_alarm' }),
      alert(at(0), at(1), at(20), { personId: 'p-1', deviceId: 'bed-1', outcome: 'false_alarm' }),
      alert(at(0), at(1), at(30), { personId: 'p-1', deviceId: 'pir-1', outcome: 'real' }),
      alert(at(0), at(1), at(40), { personId: 'p-2', deviceId: 'sz-2', outcome: 'false_alarm' }),
      alert(at(0), at(1), at(50), { personId: 'p-3', deviceId: 'sz-3', outcome: 'test' }), // no false alarm: not listed
      alert(at(0), null, at(60), { personId: 'p-2', deviceId: null, outcome: 'false_alarm' }), // clock-driven: person only
      alert(at(0), at(1), null, { personId: 'p-4', deviceId: 'x', outcome: null }), // still open
      alert(DAY.from - 5000, null, DAY.from - 1, { personId: 'p-5', deviceId: 'y', outcome: 'false_alarm' }), // closed yesterday
    ], DAY)
    expect(r.by_person).toEqual([
      { id: 'p-1', false_alarms: 2, closed: 3 },
      { id: 'p-2', false_alarms: 2, closed: 2 },
    ])
    expect(r.by_device).toEqual([
      { id: 'bed-1', false_alarms: 2, closed: 2 },
      { id: 'sz-2', false_alarms: 1, closed: 1 },
    ])
  })
})

describe('localDay', () => {
  it.each<[string, string, string, string, string, string]>([
    ['a winter day in London', '2026-01-15T12:00:00Z', 'Europe/London', '2026-01-15', '2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z'],
    ['00:30 BST is already the next local day', '2026-07-01T23:30:00Z', 'Europe/London', '2026-07-02', '2026-07-01T23:00:00.000Z', '2026-07-02T23:00:00.000Z'],
    ['the day the clocks go forward is 23 h long', '2026-03-29T12:00:00Z', 'Europe/London', '2026-03-29', '2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z'],
    ['the day the clocks go back is 25 h long', '2026-10-25T12:00:00Z', 'Europe/London', '2026-10-25', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z'],
    ['New York: 03:00 UTC is still the evening before', '2026-01-15T03:00:00Z', 'America/New_York', '2026-01-14', '2026-01-14T05:00:00.000Z', '2026-01-15T05:00:00.000Z'],
  ])('%s', (_why, instant, tz, date, from, to) => {
    const w = localDay(Date.parse(instant), tz)
    expect({ date: w.date, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() }).toEqual({ date, from, to })
  })

  it('midnight itself starts the day', () => {
    const midnight = Date.parse('2026-01-15T00:00:00Z')
    expect(localDay(midnight, 'Europe/London')).toEqual({ from: midnight, to: midnight + 86_400_000, date: '2026-01-15' })
  })
})
