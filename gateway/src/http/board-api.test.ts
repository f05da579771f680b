import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { indexConfig } from '../config/config-index.js'
import { parseConfig } from '../config/load.js'
import type { Alert } from '../core/alert.js'
import { isGatewayError } from '../core/errors.js'
// The composition root only starts the gateway when run directly; importing it gives the registry context.
import { registryContext } from '../main.js'
import { deviceAdapters } from '../../../device-adapters/src/index.js'
import { createRepositories, openDatabase } from '../store/index.js'
import { createBoardApi } from './board-api.js'
import { createRouter } from './router.js'

// Thursday 15 January 2026, 14:00 in London (GMT): the local day is 00:00Z–24:00Z.
const NOW = Date.parse('2026-01-15T14:00:00Z')
const DAY = Date.parse('2026-01-15T00:00:00Z')
const min = (m: number) => DAY + m * 60_000

const config = parseConfig({
  sites: [{ id: 'oak-house', timezone: 'Europe/London' }],
  people: [
    { id: 'p-001', site: 'oak-house', room_code: 'R12', carers: ['c-amy'], rules: [{ id: 'bed', kind: 'bed_exit', device: 'bed-r12', delay_s: 60 }] },
    { id: 'p-002', site: 'oak-house', room_code: 'R14', carers: ['c-bob'], rules: [{ id: 'sz', kind: 'immediate', device: 'sz-r14', on: 'seizure_alarm', clears: 'seizure_cleared', priority: 'high', alert_class: 'SEIZURE' }] },
  ],
  devices: [
    { id: 'bed-r12', type: 'bed-monitor', site: 'oak-house', person: 'p-001' },
    { id: 'sz-r14', type: 'seizure-monitor', site: 'oak-house', person: 'p-002' },
    { id: 'door-r14', type: 'z2m-door-contact', site: 'oak-house', person: 'p-002', z2m: { bridge: 'z2m-oak', friendly_name: 'door-r14' } },
  ],
  zigbee2mqtt: [{ id: 'z2m-oak', site: 'oak-house' }],
  users: [
    { id: 'c-amy', role: 'carer', display_name: 'Amy' },
    { id: 'c-bob', role: 'carer', display_name: 'Bob' },
    { id: 'tl-kim', role: 'team_leader', display_name: 'Kim' },
    { id: 'au-ann', role: 'auditor', display_name: 'Ann' },
  ],
  pagers: [{ id: 's-amy', user: 'c-amy', protocol: 'soft' }, { id: 's-bob', user: 'c-bob', protocol: 'soft' }, { id: 's-kim', user: 'tl-kim', protocol: 'soft' }],
  // Amy works days (07:00–19:00), Bob nights; Kim has no rota entry.
  rota: [
    { site: 'oak-house', user: 'c-amy', from: '07:00', to: '19:00' },
    { site: 'oak-house', user: 'c-bob', from: '19:00', to: '07:00' },
  ],
  escalation: [{ site: 'oak-house', priority: 'high', steps: [{ to: 'assigned', wait_s: 30 }, { to: 'team_leader', wait_s: 60 }] }],
}, registryContext, 'board-test.json')

let seq = 0
function alert(over: Partial<Alert> & Pick<Alert, 'raisedAt'>): Alert & { conditionKey: string } {
  const id = `al-${++seq}`
  return {
    id, siteId: 'oak-house', personId: 'p-001', subject: null, deviceId: 'bed-r12', ruleId: 'bed', ruleVersion: 'v1', kind: 'care',
    alertClass: 'BED EXIT', priority: 'medium', state: 'new', updatedAt: over.raisedAt, acceptedBy: null, acceptedAt: null,
    triggerEventSeq: null, triggerCount: 1, escalationStep: 0, nextStepAt: null, resolvedBy: null, resolvedAt: null,
    closedBy: null, closedAt: null, outcome: null, outcomeNote: null, conditionKey: id, ...over,
  }
}

function setup(health: Record<string, { lastSeen: number | null; online: boolean; battery: number | null }> = {}) {
  const repos = createRepositories(openDatabase(':memory:'))
  const router = createRouter(createBoardApi({
    index: indexConfig(config), alerts: repos.alerts, now: () => NOW, deviceTypes: new Map(deviceAdapters.map((a) => [a.id, a])),
    deviceHealth: (id) => health[id] ?? { lastSeen: NOW - 1000, online: true, battery: null },
  }))
  async function get(userId: string): Promise<{ status: number; body: any }> {
    const m = router.match('GET', '/api/board')
    if (!m || m === 'method_not_allowed') throw new Error('no route')
    let status = 0, text = ''
    const res = { writeHead: (s: number) => { status = s; return res }, end: (t: string) => { text = t } } as unknown as ServerResponse
    try {
      await m.handler({} as IncomingMessage, res, userId, m.params, new URL('http://x/api/board'))
    } catch (err) {
      if (isGatewayError(err)) return { status: err.status, body: { error: { code: err.code } } }
      throw err
    }
    return { status, body: JSON.parse(text) }
  }
  /** Insert as the pipeline would, then apply the later changes (insert stores only what a new alert has). */
  function add(a: Alert & { conditionKey: string }): void {
    repos.alerts.insert({ ...a, closedAt: null, closedBy: null, outcome: null })
    repos.alerts.update(a.id, { state: a.state, acceptedBy: a.acceptedBy, acceptedAt: a.acceptedAt, closedBy: a.closedBy, closedAt: a.closedAt, outcome: a.outcome })
  }
  return { repos, get, add }
}

describe('GET /api/board', () => {
  it('is for team leaders, AT admins and auditors: a carer is refused', async () => {
    const { get } = setup()
    expect((await get('tl-kim')).status).toBe(200)
    expect((await get('au-ann')).status).toBe(200)
    expect(await get('c-amy')).toEqual({ status: 403, body: { error: { code: 'GW_ERR_AUTH_FORBIDDEN' } } })
  })

  it("shows who is on shift now from the rota (team leaders are on call and not in the rota), and each priority's ladder", async () => {
    const { get } = setup()
    const site = (await get('tl-kim')).body.sites[0]
    expect(site.on_shift).toEqual({ rota: true, users: [{ id: 'c-amy', display_name: 'Amy', role: 'carer' }] })
    expect(site.escalation.find((l: { priority: string }) => l.priority === 'high').steps).toEqual([{ to: 'assigned', wait_s: 30 }, { to: 'team_leader', wait_s: 60 }])
    // No ladder configured for medium: the default one, so the board never shows a blank.
    expect(site.escalation.find((l: { priority: string }) => l.priority === 'medium').steps).toEqual([{ to: 'assigned', wait_s: 60 }, { to: 'all', wait_s: 60 }])
    expect(site).toMatchObject({ id: 'oak-house', timezone: 'Europe/London', day: '2026-01-15', day_start: '2026-01-15T00:00:00.000Z', partial: false })
  })

  it("computes today's response times and false alarms from care alerts of the local day only", async () => {
    const { get, add } = setup()
    // Raised today: accepted after 20 s / 60 s / 40 s; closed after 5 min / 10 min.
    add(alert({ raisedAt: min(60), acceptedBy: 'c-amy', acceptedAt: min(60) + 20_000, state: 'closed', closedBy: 'c-amy', closedAt: min(65), outcome: 'false_alarm' }))
    add(alert({ raisedAt: min(120), acceptedBy: 'c-amy', acceptedAt: min(121), state: 'closed', closedBy: 'c-amy', closedAt: min(130), outcome: 'real' }))
    add(alert({ raisedAt: min(180), personId: 'p-002', deviceId: 'sz-r14', alertClass: 'SEIZURE', acceptedBy: 'c-bob', acceptedAt: min(180) + 40_000, state: 'acknowledged' }))
    add(alert({ raisedAt: min(240), personId: 'p-002', deviceId: 'sz-r14', alertClass: 'SEIZURE', state: 'escalated' }))
    // Raised yesterday, closed today as a false alarm: counts as today's false alarm, not in today's response times.
    add(alert({ raisedAt: DAY - 3_600_000, personId: 'p-002', deviceId: 'sz-r14', acceptedBy: 'c-bob', acceptedAt: DAY - 3_000_000, state: 'closed', closedAt: min(5), outcome: 'false_alarm' }))
    // Closed yesterday: not today's anything.
    add(alert({ raisedAt: DAY - 7_200_000, acceptedAt: DAY - 7_100_000, state: 'closed', closedAt: DAY - 60_000, outcome: 'false_alarm' }))
    // Technical alerts are not response times.
    add(alert({ raisedAt: min(100), kind: 'technical', alertClass: 'BATTERY LOW', ruleId: 'device-supervision', state: 'closed', closedAt: min(500), outcome: 'false_alarm' }))

    const site = (await get('tl-kim')).body.sites[0]
    expect(site.response_times).toEqual({
      raised: 4,
      to_accept: { count: 3, median_s: 40, p90_s: 60 },
      to_close: { count: 2, median_s: 300, p90_s: 600 },
      not_yet_accepted: 1,
    })
    expect(site.false_alarms).toEqual({
      by_person: [
        { person_id: 'p-001', room_code: 'R12', false_alarms: 1, closed: 2 },
        { person_id: 'p-002', room_code: 'R14', false_alarms: 1, closed: 1 },
      ],
      by_device: [
        { device_id: 'bed-r12', room_code: 'R12', false_alarms: 1, closed: 2 },
        { device_id: 'sz-r14', room_code: 'R14', false_alarms: 1, closed: 1 },
      ],
    })
  })

  it('lists devices that are offline, on low battery, tampered or faulty, each problem in words', async () => {
    const { get, add } = setup({
      'door-r14': { lastSeen: NOW - 900_000, online: false, battery: 55 },
      'bed-r12': { lastSeen: NOW - 1000, online: true, battery: 12 },
    })
    add(alert({ raisedAt: min(600), kind: 'technical', deviceId: 'door-r14', personId: 'p-002', alertClass: 'NOT REPORTING', state: 'active' }))
    add(alert({ raisedAt: min(610), kind: 'technical', deviceId: 'door-r14', personId: 'p-002', alertClass: 'TAMPER', state: 'active' }))
    add(alert({ raisedAt: min(620), kind: 'technical', deviceId: 'sz-r14', personId: 'p-002', alertClass: 'SEIZURE MONITOR FAULT', state: 'acknowledged' }))
    // A tamper whose source cleared is no longer a problem.
    add(alert({ raisedAt: min(630), kind: 'technical', deviceId: 'sz-r14', personId: 'p-002', alertClass: 'BATTERY LOW', state: 'cancelled' }))

    const devices = (await get('tl-kim')).body.devices
    expect(devices.map((d: { id: string; problems: { kind: string; text: string }[] }) => [d.id, d.problems.map((p) => [p.kind, p.text])])).toEqual([
      ['bed-r12', [['low_battery', 'Battery 12 %']]],
      ['sz-r14', [['fault', 'SEIZURE MONITOR FAULT']]],
      ['door-r14', [['offline', 'Offline (not reporting)'], ['tampered', 'TAMPER']]],
    ])
    expect(devices[2]).toMatchObject({ room_code: 'R14', online: false, last_seen: new Date(NOW - 900_000).toISOString() })
  })
})
