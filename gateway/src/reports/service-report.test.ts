import { describe, expect, it } from 'vitest'
import { availability, localMonth, type ReportAlert, serviceReport } from './service-report.js'

const T0 = Date.UTC(2026, 9, 1, 9, 0, 0) // 1 Oct 2026, 10:00 in London (BST)
const tz = new Map([['oak-house', 'Europe/London'], ['elm-court', 'Europe/London']])

/**
 * A generated history with known answers: 200 care alerts on one site; alert i (1..200) is accepted i s
 * after its event, first paged 2 s after it, closed 10·i s after it. Nearest rank over 1..200 s:
 * p50 = 100, p90 = 180, p95 = 190, max = 200; 60 of 200 accepted within 60 s (30 %), 180 within 180 s (90 %).
 */
function history(): ReportAlert[] {
  return Array.from({ length: 200 }, (_, k) => {
    const i = k + 1
    const eventAt = T0 + k * 3_600_000
    return {
      id: `al-${i}`, siteId: 'oak-house', personId: i % 2 ? 'p-001' : 'p-002', deviceId: i % 2 ? 'bed-r12' : 'sz-r14', ruleId: i % 2 ? 'bed-exit' : 'seizure',
      priority: i % 4 === 0 ? 'high' : 'medium', kind: 'care', eventAt, raisedAt: eventAt + 500, firstSentAt: eventAt + 2000,
      acceptedAt: eventAt + i * 1000, acceptedBy: i % 3 ? 'c-amy' : 'c-bob', closedAt: eventAt + i * 10_000, outcome: i % 5 === 0 ? 'false_alarm' : 'real',
    }
  })
}

describe('service report over a generated history', () => {
  const report = serviceReport({ from: T0, to: T0 + 200 * 3_600_000, alerts: history(), notifications: [], devices: [], supervision: [], timeZones: tz })

  it('response times overall: known nearest-rank percentiles and shares within 60 s and 180 s', () => {
    expect(report.response_times.overall).toEqual({
      key: 'all', alerts: 200,
      to_first_notification: { count: 200, p50_s: 2, p90_s: 2, p95_s: 2, max_s: 2 },
      to_accept: { count: 200, p50_s: 100, p90_s: 180, p95_s: 190, max_s: 200 },
      to_close: { count: 200, p50_s: 1000, p90_s: 1800, p95_s: 1900, max_s: 2000 },
      accepted_within_60s_pct: 30, accepted_within_180s_pct: 90,
    })
  })

  it('per person, carer, priority and month', () => {
    const person = Object.fromEntries(report.response_times.by.person.map((r) => [r.key, r]))
    // p-001 has the odd i: 1, 3, …, 199 → median (rank 50 of 100) 99 s, p90 (rank 90) 179 s; 30 within 60 s.
    expect(person['p-001']).toMatchObject({ alerts: 100, to_accept: { p50_s: 99, p90_s: 179 }, accepted_within_60s_pct: 30 })
    expect(person['p-002']).toMatchObject({ alerts: 100, to_accept: { p50_s: 100, p90_s: 180 } })
    expect(report.response_times.by.carer.map((r) => [r.key, r.alerts])).toEqual([['c-amy', 134], ['c-bob', 66]])
    expect(report.response_times.by.priority.map((r) => [r.key, r.alerts])).toEqual([['high', 50], ['medium', 150]])
    // 200 hourly alerts from 1 Oct 10:00 local run to 9 Oct: one month.
    expect(report.response_times.by.month.map((r) => [r.key, r.alerts])).toEqual([['2026-10', 200]])
  })

  it('false-alarm rates per person, device and rule', () => {
    // Every fifth alert is a false alarm: i = 5, 15, … (odd, p-001) and 10, 20, … (even, p-002): 20 each of 100.
    expect(report.false_alarms.by_person).toEqual([
      { key: 'p-001', closed: 100, false_alarms: 20, false_alarm_pct: 20 },
      { key: 'p-002', closed: 100, false_alarms: 20, false_alarm_pct: 20 },
    ])
    expect(report.false_alarms.by_device.map((r) => r.key)).toEqual(['bed-r12', 'sz-r14'])
    expect(report.false_alarms.by_rule.map((r) => r.key)).toEqual(['bed-exit', 'seizure'])
  })

  it('technical alerts are not in the response-time figures; unaccepted alerts count against the shares', () => {
    const alerts = history().slice(0, 10).map((a, i) => (i < 5 ? { ...a, acceptedAt: null, acceptedBy: null } : a))
    const tech: ReportAlert = { ...alerts[0]!, id: 'al-t', kind: 'technical', acceptedAt: alerts[0]!.eventAt + 1000 }
    const r = serviceReport({ from: T0, to: T0 + 86_400_000, alerts: [...alerts, tech], notifications: [], devices: [], supervision: [], timeZones: tz })
    // Alerts 6..10 accepted in 6..10 s: 5 of 10 within 60 s.
    expect(r.response_times.overall).toMatchObject({ alerts: 10, accepted_within_60s_pct: 50, to_accept: { count: 5 } })
    expect(r.response_times.by.carer.find((x) => x.key === '(not accepted)')?.alerts).toBe(5)
  })

  it('first-attempt delivery failures per route; a later attempt or an unanswered page is not one', () => {
    const r = serviceReport({
      from: T0, to: T0 + 1, alerts: [], devices: [], supervision: [], timeZones: tz,
      notifications: [
        { alertId: 'a', pagerId: 'espa-amy', attempt: 1, state: 'failed' },
        { alertId: 'b', pagerId: 'espa-amy', attempt: 1, state: 'accepted' },
        { alertId: 'c', pagerId: 'espa-amy', attempt: 1, state: 'undeliverable' },
        { alertId: 'd', pagerId: 'espa-amy', attempt: 1, state: 'expired' },
        { alertId: 'a', pagerId: 'espa-amy', attempt: 2, state: 'failed' },
        { alertId: 'e', pagerId: 'soft-bob', attempt: 1, state: 'delivered' },
      ],
    })
    expect(r.delivery).toEqual([
      { route: 'espa-amy', first_attempts: 4, failed: 2, failed_pct: 50 },
      { route: 'soft-bob', first_attempts: 1, failed: 0, failed_pct: 0 },
    ])
  })
})

describe('device availability', () => {
  const H = 3_600_000
  it.each([
    { name: 'never down', changes: [], pct: 100, down: 0, outages: 0 },
    { name: 'down 6 h of 24', changes: [{ at: 2 * H, state: 'down' }, { at: 8 * H, state: 'up' }], pct: 75, down: 6 * 3600, outages: 1 },
    { name: 'down before the period, restored 12 h in', changes: [{ at: -5 * H, state: 'down' }, { at: 12 * H, state: 'up' }], pct: 50, down: 12 * 3600, outages: 0 },
    { name: 'down at the end, still down', changes: [{ at: 18 * H, state: 'down' }], pct: 75, down: 6 * 3600, outages: 1 },
    { name: 'two outages of 3 h', changes: [{ at: 1 * H, state: 'down' }, { at: 4 * H, state: 'up' }, { at: 10 * H, state: 'down' }, { at: 13 * H, state: 'up' }], pct: 75, down: 6 * 3600, outages: 2 },
  ] as const)('$name', ({ changes, pct, down, outages }) => {
    const [row] = availability(['d1'], changes.map((c) => ({ deviceId: 'd1', at: T0 + c.at, state: c.state })), T0, T0 + 24 * H)
    expect(row).toEqual({ device_id: 'd1', available_pct: pct, not_reporting_s: down, outages })
  })

  it('months follow the site clock: 23:30 UTC on 31 Oct is 1 Nov? no — GMT again, still 31 Oct', () => {
    expect(localMonth(Date.UTC(2026, 9, 31, 23, 30), 'Europe/London')).toBe('2026-10')
    expect(localMonth(Date.UTC(2026, 8, 30, 23, 30), 'Europe/London')).toBe('2026-10') // 00:30 BST on 1 Oct
  })
})
