import { localParts } from '../core/local-time.js'
import { type ShiftConfig, weekdays } from './escalation-config.js'

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * True when the shift covers local weekday `day` (1 = Monday) at local minute `minute`. A shift that
 * crosses midnight belongs to the day it starts: 19:00–07:00 on Friday covers Saturday 03:00.
 */
export function shiftCovers(s: ShiftConfig, day: number, minute: number): boolean {
  const from = minutes(s.from)
  const to = minutes(s.to)
  const startsOn = (d: number) => !s.days || s.days.includes(weekdays[(d + 6) % 7]!)
  if (from < to) return minute >= from && minute < to && startsOn(day)
  if (minute >= from) return startsOn(day)
  if (minute < to) return startsOn(day === 1 ? 7 : day - 1)
  return false
}

/** Users on shift at a site at an instant, in the site's time zone. */
export function usersOnShift(rota: readonly ShiftConfig[], site: string, tz: string, at: number): Set<string> {
  const p = localParts(at, tz)
  const minute = p.hour * 60 + p.minute
  return new Set(rota.filter((s) => s.site === site && shiftCovers(s, p.weekday, minute)).map((s) => s.user))
}

/**
 * Periods of the week when none of `users` is on shift at `site`, as "mon 03:00–07:00" strings, checked
 * minute by minute over one local week (rotas are local wall-clock times, so the check needs no zone).
 */
export function uncoveredPeriods(rota: readonly ShiftConfig[], site: string, users: ReadonlySet<string>): string[] {
  const shifts = rota.filter((s) => s.site === site && users.has(s.user))
  const gaps: string[] = []
  let start: number | null = null
  const label = (m: number) => `${weekdays[Math.floor(m / 1440) % 7]} ${String(Math.floor((m % 1440) / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
  for (let m = 0; m <= 7 * 1440; m++) {
    const covered = m < 7 * 1440 && shifts.some((s) => shiftCovers(s, Math.floor(m / 1440) + 1, m % 1440))
    if (!covered && start === null && m < 7 * 1440) start = m
    if ((covered || m === 7 * 1440) && start !== null) {
      gaps.push(`${label(start)}–${m === 7 * 1440 ? 'mon 00:00' : label(m)}`)
      start = null
    }
  }
  // The week wraps: a gap running into Monday 00:00 continues one that ran up to it (Sunday night into Monday).
  if (gaps.length > 1 && gaps[0]!.startsWith('mon 00:00–') && gaps.at(-1)!.endsWith('–mon 00:00')) {
    const first = gaps.shift()!
    const last = gaps.pop()!
    gaps.push(`${last.split('–')[0]}–${first.split('–')[1]}`)
  }
  if (gaps.length === 1 && gaps[0] === 'mon 00:00–mon 00:00') return ['all week']
  return gaps
}
