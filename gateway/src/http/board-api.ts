import type { ConfigIndex } from '../config/config-index.js'
import type { Alert, AlertState } from '../core/alert.js'
import type { AlertRepository } from '../core/contracts.js'
import { falseAlarms } from '../reports/false-alarms.js'
import { responseTimes } from '../reports/response-times.js'
import { localDay } from '../reports/window.js'
import { ladderFor, onShiftAt } from '../routing/ladder.js'
import { priorities } from '../core/alert.js'
import { sendJson } from './http-util.js'
import { oversightRoles, requireRole, type Route } from './router.js'

/** What a device type declares about its technical events (the adapter registry, given by main.ts). */
export interface DeviceTypeView {
  readonly technical?: Readonly<Record<string, { readonly alert_class: string }>>
}

export interface BoardApiDeps {
  readonly index: ConfigIndex
  readonly alerts: Pick<AlertRepository, 'list' | 'raisedOrClosedSince'>
  /** Supervision's view of a device. */
  readonly deviceHealth: (deviceId: string) => { lastSeen: number | null; online: boolean; battery: number | null }
  readonly deviceTypes: ReadonlyMap<string, DeviceTypeView>
  readonly now: () => number
}

/** A battery level at or below this is shown as low even before the device raises its own flag (as zigbee2mqtt devices do at 20 %). */
export const LOW_BATTERY_PERCENT = 20
/** Enough for any home's day; beyond it the figures say they are partial rather than silently undercount. */
const DAY_ALERT_LIMIT = 20_000
/** A technical alert in these states is a live problem; once its source cleared (cancelled) or someone resolved it, it is not. */
const problemStates: readonly AlertState[] = ['new', 'active', 'escalated', 'acknowledged']
/** The supervision alert's class (technical-alerts.ts). */
const NOT_REPORTING = 'NOT REPORTING'

export type DeviceProblemKind = 'offline' | 'low_battery' | 'tampered' | 'fault'
export interface DeviceProblem {
  readonly kind: DeviceProblemKind
  /** Always text: the board never shows a state by colour alone. */
  readonly text: string
  readonly alert_id: string | null
  readonly since: string | null
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** A technical event type as the board groups it. */
function kindOf(eventType: string | undefined): DeviceProblemKind {
  if (eventType === 'battery_low') return 'low_battery'
  if (eventType === 'tamper') return 'tampered'
  return 'fault'
}

/**
 * The team leader's live board beyond the alert stream (which it gets over the WebSocket): who is on shift,
 * devices that are offline, on low battery, tampered or faulty, and today's figures per site. Names of
 * residents never appear: people are room codes; staff are their display names.
 */
export function createBoardApi(deps: BoardApiDeps): Route[] {
  function deviceProblems(openTechnical: readonly Alert[]) {
    const { index } = deps
    // One pass over the open technical alerts, not one per configured device (every open board asks after each change).
    const byDevice = new Map<string, Alert[]>()
    for (const a of openTechnical) {
      const list = byDevice.get(a.deviceId!)
      if (list) list.push(a)
      else byDevice.set(a.deviceId!, [a])
    }
    return index.config.devices.flatMap((d) => {
      const h = deps.deviceHealth(d.id)
      const technical = deps.deviceTypes.get(d.type)?.technical ?? {}
      const problems: DeviceProblem[] = []
      const mine = byDevice.get(d.id) ?? []
      // Supervision is the authority on "offline" now (its alert stays open until the device is steady again).
      const notReporting = mine.find((a) => a.alertClass === NOT_REPORTING)
      if (!h.online && h.lastSeen !== null) {
        problems.push({ kind: 'offline', text: 'Offline (not reporting)', alert_id: notReporting?.id ?? null, since: iso(notReporting?.raisedAt ?? h.lastSeen) })
      } else if (notReporting) {
        problems.push({ kind: 'fault', text: 'Reporting again after being offline (alert still open)', alert_id: notReporting.id, since: iso(notReporting.raisedAt) })
      }
      for (const a of mine) {
        if (a.alertClass === NOT_REPORTING) continue
        const eventType = Object.entries(technical).find(([, t]) => t.alert_class === a.alertClass)?.[0]
        problems.push({ kind: kindOf(eventType), text: a.alertClass, alert_id: a.id, since: iso(a.raisedAt) })
      }
      if (h.battery !== null && h.battery <= LOW_BATTERY_PERCENT && !problems.some((p) => p.kind === 'low_battery')) {
        problems.push({ kind: 'low_battery', text: `Battery ${h.battery} %`, alert_id: null, since: null })
      }
      if (problems.length === 0) return []
      return [{
        id: d.id, type: d.type, site_id: d.site, room_code: index.people.get(d.person)?.room_code ?? null,
        last_seen: iso(h.lastSeen), online: h.online, battery: h.battery, problems,
      }]
    })
  }

  function site(siteId: string, timezone: string, now: number, dayAlertsFrom: (from: number) => Alert[]) {
    const { index } = deps
    const cfg = index.config
    const day = localDay(now, timezone)
    const dayAlerts = dayAlertsFrom(day.from)
    // Care alerts only: a battery alert closed by the system when the battery is replaced is not a response time.
    const here = dayAlerts.filter((a) => a.siteId === siteId && a.kind === 'care')
    const onShift = [...onShiftAt(cfg, siteId, now)].flatMap((id) => {
      const u = index.users.get(id)
      return u ? [{ id: u.id, display_name: u.display_name, role: u.role }] : []
    }).sort((a, b) => a.role.localeCompare(b.role) || a.display_name.localeCompare(b.display_name))
    const fa = falseAlarms(here, day)
    const room = (personId: string) => index.people.get(personId)?.room_code ?? null
    return {
      id: siteId, timezone, day: day.date, day_start: iso(day.from),
      on_shift: { rota: cfg.rota.some((s) => s.site === siteId), users: onShift },
      escalation: priorities.map((priority) => ({ priority, steps: ladderFor(cfg, siteId, priority).map((s) => ({ to: s.to, wait_s: s.wait_s })) })),
      response_times: responseTimes(here, day),
      false_alarms: {
        by_person: fa.by_person.map((c) => ({ person_id: c.id, room_code: room(c.id), false_alarms: c.false_alarms, closed: c.closed })),
        by_device: fa.by_device.map((c) => {
          const person = index.devices.get(c.id)?.person
          return { device_id: c.id, room_code: person ? room(person) : null, false_alarms: c.false_alarms, closed: c.closed }
        }),
      },
      partial: dayAlerts.length >= DAY_ALERT_LIMIT,
    }
  }

  return [
    ['GET', /^\/api\/board$/, (_req, res, userId) => {
      requireRole(deps.index, userId, oversightRoles, 'read the live board')
      const now = deps.now()
      const openTechnical = deps.alerts.list({ states: problemStates, limit: 5000 }).filter((a) => a.kind === 'technical' && a.deviceId !== null)
      // Sites whose local day starts at the same instant (one timezone) share one query.
      const since = new Map<number, Alert[]>()
      const dayAlertsFrom = (from: number) => {
        let list = since.get(from)
        if (!list) since.set(from, (list = deps.alerts.raisedOrClosedSince(from, DAY_ALERT_LIMIT)))
        return list
      }
      sendJson(res, 200, {
        generated_at: iso(now),
        sites: deps.index.config.sites.map((s) => site(s.id, s.timezone, now, dayAlertsFrom)),
        devices: deviceProblems(openTechnical),
      })
    }],
  ]
}
