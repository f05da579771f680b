import type { MqttClient } from 'mqtt'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectDevice, connectScreen, publishEvent, type Screen } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'

/**
 * Issue 2, end to end with real parts: the real gateway process (started as `npm start` does), a real
 * MQTT device client, real WebSocket screens, the real HTTP API and the real SQLite file.
 */
describe('a bed-exit event becomes a paged, acknowledged, audited alert', () => {
  let gw: GatewayProcess
  let bed: MqttClient
  let amy: Screen
  let bob: Screen
  let board: Screen

  beforeAll(async () => {
    gw = await startGatewayProcess()
    bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
    amy = await connectScreen(gw.httpPort, gw.credentials.users['c-amy']!)
    bob = await connectScreen(gw.httpPort, gw.credentials.users['c-bob']!)
    board = await connectScreen(gw.httpPort, gw.credentials.users['tl-kim']!)
  })
  afterAll(async () => {
    for (const s of [amy, bob, board]) s?.close()
    await bed?.endAsync()
    expect(await gw.kill('SIGTERM')).toBe(0)
  })

  it('greets each screen with who it is and a snapshot', async () => {
    const hello = await amy.waitFor((m) => m.type === 'hello', 'hello')
    expect(hello.user).toEqual({ id: 'c-amy', role: 'carer', display_name: 'Amy' })
    await amy.waitFor((m) => m.type === 'snapshot', 'snapshot')
  })

  it('records a return within the delay as a suppression with its reason, and raises nothing', async () => {
    const outId = await publishEvent(bed, 'bed-r12', { type: 'out_of_bed' })
    await publishEvent(bed, 'bed-r12', { type: 'in_bed' })
    // The PUBACK came after the commit, so the decision is already in the real database file.
    const db = new Database(join(gw.dataDir, 'gateway.db'), { readonly: true })
    try {
      const rows = db.prepare("SELECT detail FROM audit WHERE kind = 'rule.decision' AND device_id = 'bed-r12' ORDER BY seq").all() as { detail: string }[]
      const outcomes = rows.map((r) => JSON.parse(r.detail) as { outcome: string; reason: string; rule_version: string })
      expect(outcomes.map((o) => o.outcome)).toEqual(['pending', 'suppress'])
      expect(outcomes[1]!.reason).toMatch(/^suppressed: back in bed after \d+ s, within the 2 s delay$/)
      expect(outcomes[1]!.rule_version).toMatch(/^[0-9a-f]{12}$/)
      expect(db.prepare('SELECT count(*) FROM journal WHERE event_id = ?').pluck().get(outId)).toBe(1)
    } finally {
      db.close()
    }
    expect((await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts')).body.alerts).toEqual([])
  })

  it('raises one alert after the delay, pages both carers, and shows it on the board', async () => {
    const deviceAt = new Date(Date.now() - 1500).toISOString()
    await publishEvent(bed, 'bed-r12', { type: 'out_of_bed', at: deviceAt })
    const page = await amy.waitFor((m) => m.type === 'notification', 'a page on Amy\'s soft pager')
    const n = page.notification as { text: string; alert_id: string; id: string }
    // Room code and alert class only: never a name or a diagnosis.
    expect(n.text).toBe('R12 BED EXIT')
    await bob.waitFor((m) => m.type === 'notification', 'a page on Bob\'s soft pager')
    const onBoard = await board.waitFor((m) => m.type === 'alert' && (m.alert as { id: string }).id === n.alert_id, 'the alert on the board')
    expect(onBoard.alert).toMatchObject({ room_code: 'R12', alert_class: 'BED EXIT', priority: 'medium', state: 'active', accepted_by: null })
    amy.send({ type: 'delivered', notification_id: n.id })
  })

  it('accepting on the soft pager acknowledges the alert for every screen, and a second accept is answered clearly', async () => {
    const page = amy.messages.find((m) => m.type === 'notification')!.notification as { alert_id: string }
    amy.send({ type: 'accept', alert_id: page.alert_id, request_id: 'r1' })
    expect(await amy.waitFor((m) => m.type === 'result' && m.request_id === 'r1', 'accept result')).toMatchObject({ ok: true })
    const changed = await board.waitFor((m) => m.type === 'alert' && (m.alert as { state: string }).state === 'acknowledged', 'acknowledged on the board')
    expect(changed.alert).toMatchObject({ id: page.alert_id, accepted_by: { id: 'c-amy', display_name: 'Amy' } })
    await bob.waitFor((m) => m.type === 'alert' && (m.alert as { state: string }).state === 'acknowledged', 'acknowledged on Bob\'s pager')

    bob.send({ type: 'accept', alert_id: page.alert_id, request_id: 'r2' })
    const refused = await bob.waitFor((m) => m.type === 'result' && m.request_id === 'r2', 'second accept result')
    expect(refused).toMatchObject({ ok: false, error: { code: 'GW_ERR_LIFECYCLE_ALREADY_ACCEPTED' } })
    expect((refused.error as { message: string }).message).toContain('already accepted by c-amy')
  })

  it('returns the alert and its full timeline from the HTTP API', async () => {
    const token = gw.credentials.users['tl-kim']!
    const { status, body } = await api(gw.httpPort, token, '/api/alerts')
    expect(status).toBe(200)
    expect(body.alerts).toHaveLength(1)
    const alert = body.alerts[0]
    expect(alert).toMatchObject({ state: 'acknowledged', rule_id: 'bed-exit-night', accepted_by: { id: 'c-amy' } })
    expect(alert.accepted_at).toEqual(expect.any(String))

    const t = await api(gw.httpPort, token, `/api/audit?alert=${alert.id}`)
    expect(t.status).toBe(200)
    const timeline = t.body.timeline as { kind: string; actor: string; detail: Record<string, unknown> }[]
    const steps = timeline.map((r) => `${r.kind}:${String(r.detail.outcome ?? r.detail.to ?? '')}`)
    expect(steps).toEqual(expect.arrayContaining([
      'event.received:', 'rule.decision:pending', 'alert.transition:new', 'alert.transition:active', 'rule.decision:raise',
      'notification.transition:queued', 'notification.transition:sent', 'notification.transition:delivered',
      'alert.transition:acknowledged', 'notification.transition:accepted', 'notification.transition:cancelled',
    ]))
    const received = timeline.find((r) => r.kind === 'event.received')!
    expect(received.detail).toMatchObject({ type: 'out_of_bed', device_at: expect.any(String), received_at: expect.any(String) })
    const raise = timeline.find((r) => r.detail.outcome === 'raise')!
    expect(raise.detail.reason).toMatch(/^not back in bed within 2 s/)
    const acked = timeline.find((r) => r.detail.to === 'acknowledged')!
    expect(acked.actor).toBe('user:c-amy')
    expect(acked.detail.via).toBe('soft_pager')
    // Order: received before the decision, the alert before its acknowledgement.
    expect(steps.indexOf('event.received:')).toBeLessThan(steps.indexOf('rule.decision:raise'))
    expect(steps.indexOf('alert.transition:active')).toBeLessThan(steps.indexOf('alert.transition:acknowledged'))
  })

  it('refuses the API without a valid token and audits the refusal', async () => {
    expect((await api(gw.httpPort, null, '/api/alerts')).status).toBe(401)
    expect((await api(gw.httpPort, 'c-amy.not-the-secret', '/api/alerts')).status).toBe(401)
    const r = await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/audit?kind=access.refused')
    expect(r.body.entries.length).toBeGreaterThanOrEqual(2)
  })

  it('a carer cannot read the whole audit trail', async () => {
    const r = await api(gw.httpPort, gw.credentials.users['c-amy']!, '/api/audit?kind=event.received')
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('GW_ERR_AUTH_FORBIDDEN')
  })
})
