import { describe, expect, it } from 'vitest'
import { careHomeConfig } from '../../../test/contracts/in-memory-repos.js'
import { defaultLadder, type StepTarget } from './escalation-config.js'
import { ladderFor, onShiftAt, siteUsers, stepRecipients } from './ladder.js'

// The shared care home (test/contracts/in-memory-repos.ts): oak-house p-001 (c-amy, c-bob), p-002 (c-cat); rota c-amy days,
// c-bob nights, c-cat both; tl-kim team leader without a rota; elm-court p-003 (c-dan). Europe/London, so GMT in November.
const cfg = careHomeConfig()
const NIGHT = Date.UTC(2026, 10, 28, 2, 15) // Saturday 02:15
const DAY = Date.UTC(2026, 10, 27, 10, 0) // Friday 10:00

describe('ladderFor', () => {
  it('returns the ladder configured for the site and priority, in order', () => {
    expect(ladderFor(cfg, 'oak-house', 'high')).toEqual([{ to: 'assigned', wait_s: 60 }, { to: 'on_shift', wait_s: 60 }, { to: 'team_leader', wait_s: 120 }, { to: 'all', wait_s: 120 }])
    expect(ladderFor(cfg, 'oak-house', 'medium')).toEqual([{ to: 'assigned', wait_s: 120 }, { to: 'team_leader', wait_s: 300 }])
  })

  it('chooses by site as well as priority', () => {
    expect(ladderFor(cfg, 'elm-court', 'high')).toEqual([{ to: 'all', wait_s: 30 }])
  })

  it.each([['oak-house', 'low'], ['elm-court', 'medium'], ['no-such-site', 'high']] as const)('falls back to the default ladder (assigned, then all, every minute) for %s/%s', (site, priority) => {
    expect(ladderFor(cfg, site, priority)).toBe(defaultLadder)
    expect(defaultLadder).toEqual([{ to: 'assigned', wait_s: 60 }, { to: 'all', wait_s: 60 }])
  })
})

describe('siteUsers and onShiftAt', () => {
  it('a site’s users are its rota, the carers of its people and team leaders who are in no rota', () => {
    expect(siteUsers(cfg, 'oak-house')).toEqual(new Set(['c-amy', 'c-bob', 'c-cat', 'tl-kim']))
    expect(siteUsers(cfg, 'elm-court')).toEqual(new Set(['c-dan', 'tl-kim']))
  })

  it('a team leader with rota entries belongs only to the sites of those entries', () => {
    const withRota = careHomeConfig({ rota: [...cfg.rota, { site: 'oak-house', user: 'tl-kim', from: '09:00', to: '17:00' }] })
    expect(siteUsers(withRota, 'elm-court')).toEqual(new Set(['c-dan']))
    expect(siteUsers(withRota, 'oak-house').has('tl-kim')).toBe(true)
  })

  it('on shift follows the rota in local time', () => {
    expect(onShiftAt(cfg, 'oak-house', NIGHT)).toEqual(new Set(['c-bob', 'c-cat']))
    expect(onShiftAt(cfg, 'oak-house', DAY)).toEqual(new Set(['c-amy', 'c-cat']))
  })

  it('a site with no rota has everyone at the site on shift all the time', () => {
    const noRota = careHomeConfig({ rota: [] })
    expect(onShiftAt(noRota, 'oak-house', NIGHT)).toEqual(siteUsers(noRota, 'oak-house'))
  })
})

describe('stepRecipients (decided at the instant the step fires)', () => {
  it.each<[StepTarget, string, 'night' | 'day', string[]]>([
    ['assigned', 'p-001', 'night', ['c-bob']],
    ['assigned', 'p-001', 'day', ['c-amy']],
    ['on_shift', 'p-001', 'night', ['c-bob', 'c-cat']],
    ['on_shift', 'p-001', 'day', ['c-amy', 'c-cat']],
    ['team_leader', 'p-001', 'night', ['tl-kim']],
    ['all', 'p-001', 'night', ['c-amy', 'c-bob', 'c-cat', 'tl-kim']],
    ['assigned', 'p-002', 'night', ['c-cat']],
    ['assigned', 'p-003', 'day', ['c-dan']],
    ['all', 'p-003', 'day', ['c-dan', 'tl-kim']],
  ])('%s for %s by %s pages %j', (target, person, when, expected) => {
    expect(stepRecipients(cfg, target, person, 'oak-house', when === 'night' ? NIGHT : DAY)).toEqual(expected)
  })

  it('the shift change at 19:00 moves the assigned step from the day carer to the night carer', () => {
    const friday1900 = Date.UTC(2026, 10, 27, 19, 0)
    expect(stepRecipients(cfg, 'assigned', 'p-001', 'oak-house', friday1900 - 1)).toEqual(['c-amy'])
    expect(stepRecipients(cfg, 'assigned', 'p-001', 'oak-house', friday1900)).toEqual(['c-bob'])
  })

  it('reads the rota in the site’s local time (19:30 BST is 18:30 UTC in July)', () => {
    expect(stepRecipients(cfg, 'assigned', 'p-001', 'oak-house', Date.UTC(2026, 6, 3, 18, 30))).toEqual(['c-bob'])
  })

  it('never pages a user without a pager', () => {
    const noPagerForAmy = careHomeConfig({ pagers: cfg.pagers.filter((p) => p.user !== 'c-amy') })
    expect(stepRecipients(noPagerForAmy, 'assigned', 'p-001', 'oak-house', DAY)).toEqual([])
    expect(stepRecipients(noPagerForAmy, 'all', 'p-001', 'oak-house', DAY)).toEqual(['c-bob', 'c-cat', 'tl-kim'])
  })

  it('the open alert of a person no longer configured (removed, disabled) reaches its site like a person-less alert', () => {
    // Before, nobody at every step, for good: the alert escalated silently.
    expect(stepRecipients(cfg, 'assigned', 'p-404', 'oak-house', NIGHT)).toEqual([])
    expect(stepRecipients(cfg, 'on_shift', 'p-404', 'oak-house', NIGHT)).toEqual(['c-bob', 'c-cat'])
    expect(stepRecipients(cfg, 'all', 'p-404', 'elm-court', NIGHT)).toEqual(['c-dan', 'tl-kim'])
  })

  it('a person-less (site) alert has no assigned carers but reaches the site’s shift, team leader and everyone', () => {
    expect(stepRecipients(cfg, 'assigned', null, 'oak-house', NIGHT)).toEqual([])
    expect(stepRecipients(cfg, 'on_shift', null, 'oak-house', NIGHT)).toEqual(['c-bob', 'c-cat'])
    expect(stepRecipients(cfg, 'team_leader', null, 'elm-court', NIGHT)).toEqual(['tl-kim'])
    expect(stepRecipients(cfg, 'all', null, 'elm-court', NIGHT)).toEqual(['c-dan', 'tl-kim'])
  })

  it('ignoreShift answers who a step could ever reach (load-time checks)', () => {
    expect(stepRecipients(cfg, 'assigned', 'p-001', 'oak-house', NIGHT, true)).toEqual(['c-amy', 'c-bob'])
    expect(stepRecipients(cfg, 'on_shift', 'p-001', 'oak-house', NIGHT, true)).toEqual(['c-amy', 'c-bob', 'c-cat'])
  })
})
