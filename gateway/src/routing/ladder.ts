import type { Priority } from '../core/alert.js'
import { defaultLadder, type LadderConfig, type LadderStep, type ShiftConfig, type StepTarget } from './escalation-config.js'
import { usersOnShift } from './rota.js'

/** The parts of the configuration escalation needs. */
export interface EscalationConfigView {
  readonly sites: readonly { id: string; timezone: string }[]
  readonly people: readonly { id: string; site: string; carers: readonly string[] }[]
  readonly users: readonly { id: string; role: string }[]
  readonly pagers: readonly { user: string }[]
  readonly escalation: readonly LadderConfig[]
  readonly rota: readonly ShiftConfig[]
}

/** The ladder for a site and priority: the configured one, or the default. */
export function ladderFor(cfg: EscalationConfigView, site: string, priority: Priority): readonly LadderStep[] {
  return cfg.escalation.find((l) => l.site === site && l.priority === priority)?.steps ?? defaultLadder
}

/**
 * Users who work at a site: in its rota, or carers of someone there; a team leader with no rota entries
 * anywhere is at every site (a single-site home usually lists no rota for its manager).
 */
export function siteUsers(cfg: EscalationConfigView, site: string): Set<string> {
  const cached = lookups(cfg)?.siteUsers.get(site)
  if (cached) return new Set(cached)
  const inAnyRota = new Set(cfg.rota.map((s) => s.user))
  const out = new Set<string>(cfg.rota.filter((s) => s.site === site).map((s) => s.user))
  for (const p of cfg.people) if (p.site === site) for (const c of p.carers) out.add(c)
  for (const u of cfg.users) if (u.role === 'team_leader' && !inAnyRota.has(u.id)) out.add(u.id)
  lookups(cfg)?.siteUsers.set(site, new Set(out))
  return out
}

type Person = EscalationConfigView['people'][number]
interface Lookups {
  readonly people: ReadonlyMap<string, Person>
  readonly role: ReadonlyMap<string, string>
  readonly withPager: ReadonlySet<string>
  readonly siteUsers: Map<string, ReadonlySet<string>>
}
const cache = new WeakMap<EscalationConfigView, Lookups>()

/**
 * Lookups built once per loaded configuration. A step used to scan every person and user, twice, for each alert:
 * ~0.3 ms per alert with 2,000 people (issue 9 bench). Only a frozen configuration (what `loadConfig` returns) is
 * cached, so a caller that builds and changes a view in place always gets fresh answers.
 */
function lookups(cfg: EscalationConfigView): Lookups | null {
  if (!Object.isFrozen(cfg) || !Object.isFrozen(cfg.people) || !Object.isFrozen(cfg.users) || !Object.isFrozen(cfg.pagers) || !Object.isFrozen(cfg.rota)) return null
  let l = cache.get(cfg)
  if (!l) {
    l = { people: new Map(cfg.people.map((p) => [p.id, p])), role: new Map(cfg.users.map((u) => [u.id, u.role])), withPager: new Set(cfg.pagers.map((p) => p.user)), siteUsers: new Map() }
    cache.set(cfg, l)
  }
  return l
}

/** Who is on shift at a site now; a site with no rota has everyone at the site on shift all the time. */
export function onShiftAt(cfg: EscalationConfigView, site: string, at: number): Set<string> {
  const hasRota = cfg.rota.some((s) => s.site === site)
  if (!hasRota) return siteUsers(cfg, site)
  const tz = cfg.sites.find((s) => s.id === site)?.timezone ?? 'Europe/London'
  return usersOnShift(cfg.rota, site, tz, at)
}

/**
 * Users a step pages for an alert about `personId`, decided when the step fires (so a shift change
 * between steps is honoured). `ignoreShift` asks who the step could ever reach (for load-time checks).
 */
export function stepRecipients(cfg: EscalationConfigView, target: StepTarget, personId: string | null, siteId: string, at: number, ignoreShift = false): string[] {
  // A person-less technical alert (a paging line) belongs to its site; it has no assigned carers. So does the open
  // alert of a person since removed from the configuration (or disabled): it must still reach the site's shift, team
  // leaders and everyone, or its ladder would page nobody at every step, for good.
  const l = lookups(cfg)
  const person = (personId === null ? null : l ? l.people.get(personId) : cfg.people.find((p) => p.id === personId)) ?? null
  const site = person?.site ?? siteId
  const here = siteUsers(cfg, site)
  const onShift = ignoreShift ? here : onShiftAt(cfg, site, at)
  const role = l?.role ?? new Map(cfg.users.map((u) => [u.id, u.role]))
  const withPager = l?.withPager ?? new Set(cfg.pagers.map((p) => p.user))
  let users: string[]
  switch (target) {
    case 'assigned': users = (person?.carers ?? []).filter((c) => onShift.has(c)); break
    // Every carer on shift, the assigned ones included: a second reminder costs less than a missed alert.
    case 'on_shift': users = [...onShift].filter((u) => role.get(u) === 'carer'); break
    // Team leaders are on call whether or not the rota lists them.
    case 'team_leader': users = [...here].filter((u) => role.get(u) === 'team_leader'); break
    case 'all': users = [...here]; break
  }
  return users.filter((u) => withPager.has(u)).sort()
}
