import type { MqttClient } from 'mqtt'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { api, connectDevice, connectScreen, eventually, publishEvent, type Screen } from '../helpers/clients.js'
import { type GatewayProcess, repoRoot, startGatewayProcess } from '../helpers/gateway-process.js'

/**
 * Issue 4 through the real process: a high-priority ladder of 3 s steps (assigned Amy → on-shift carers →
 * team leader Kim → everyone, repeating). No test asserts a duration; waits are bounded only to fail, not hang.
 */
const config = join(repoRoot, 'test/fixtures/escalation-config.json')
type Entry = { seq: number; kind: string; actor: string; alert_id: string | null; detail: Record<string, unknown> }

async function timeline(gw: GatewayProcess, alertId: string): Promise<Entry[]> {
  return (await api(gw.httpPort, gw.credentials.users['tl-kim']!, `/api/audit?alert=${alertId}`)).body.timeline as Entry[]
}
const escalations = (t: Entry[]) => t.filter((e) => e.kind === 'alert.transition' && e.detail.event === 'escalate')

describe('escalation through the real process', () => {
  const running: GatewayProcess[] = []
  const closers: (() => unknown)[] = []
  afterEach(async () => {
    for (const c of closers.splice(0)) await c()
    for (const gw of running.splice(0)) await gw.kill('SIGKILL')
  })

  async function raiseSeizure(gw: GatewayProcess): Promise<string> {
    const monitor: MqttClient = await connectDevice(gw.mqttPort, 'sz-r14', gw.credentials.devices['sz-r14']!)
    closers.push(() => monitor.endAsync())
    await publishEvent(monitor, 'sz-r14', { type: 'seizure_alarm' })
    const alerts = (await api(gw.httpPort, gw.credentials.users['tl-kim']!, '/api/alerts')).body.alerts as { id: string }[]
    return alerts[0]!.id
  }

  it('when nobody accepts, the ladder climbs to the team leader, who gets the page', async () => {
    const gw = await startGatewayProcess({ config })
    running.push(gw)
    const kim: Screen = await connectScreen(gw.httpPort, gw.credentials.users['tl-kim']!)
    closers.push(() => kim.close())
    const alertId = await raiseSeizure(gw)
    const page = await kim.waitFor((m) => m.type === 'notification', "a page on the team leader's pager")
    expect(page.notification).toMatchObject({ alert_id: alertId, text: 'R14 SEIZURE' })
    const steps = escalations(await timeline(gw, alertId))
    expect(steps.map((e) => [e.detail.step, e.detail.target])).toEqual(expect.arrayContaining([[2, 'on_shift'], [3, 'team_leader']]))
    expect(steps[0]!.detail.reason).toBe('nobody accepted within 3 s')
    expect(steps.find((e) => e.detail.target === 'on_shift')!.detail.recipients).toEqual(['c-amy', 'c-bob'])
    const alert = (await api(gw.httpPort, gw.credentials.users['tl-kim']!, `/api/alerts/${alertId}`)).body.alert
    expect(alert.state).toBe('escalated')
    expect(alert.next_step_at).not.toBeNull()
  })

  it('a decline escalates at once, and the first accept stops the ladder and withdraws the other pages', async () => {
    const gw = await startGatewayProcess({ config })
    running.push(gw)
    const amy = await connectScreen(gw.httpPort, gw.credentials.users['c-amy']!)
    const bob = await connectScreen(gw.httpPort, gw.credentials.users['c-bob']!)
    closers.push(() => amy.close(), () => bob.close())
    const alertId = await raiseSeizure(gw)
    await amy.waitFor((m) => m.type === 'notification', "Amy's page")
    amy.send({ type: 'decline', alert_id: alertId, request_id: 'd1' })
    expect(await amy.waitFor((m) => m.type === 'result' && m.request_id === 'd1', 'decline result')).toMatchObject({ ok: true })
    const first = escalations(await timeline(gw, alertId))[0]!
    expect(first).toMatchObject({ actor: 'user:c-amy', detail: { step: 2, target: 'on_shift', reason: 'declined by c-amy' } })
    await bob.waitFor((m) => m.type === 'notification', "Bob's page after Amy declined")

    bob.send({ type: 'accept', alert_id: alertId, request_id: 'a1' })
    expect(await bob.waitFor((m) => m.type === 'result' && m.request_id === 'a1', 'accept result')).toMatchObject({ ok: true })
    const alert = (await api(gw.httpPort, gw.credentials.users['tl-kim']!, `/api/alerts/${alertId}`)).body
    expect(alert.alert).toMatchObject({ state: 'acknowledged', accepted_by: { id: 'c-bob' }, next_step_at: null })
    const open = (alert.notifications as { state: string }[]).filter((n) => ['queued', 'sent', 'delivered', 'read'].includes(n.state))
    expect(open).toEqual([])
    // Amy's screen is told Bob is attending.
    await amy.waitFor((m) => m.type === 'alert' && (m.alert as { accepted_by: { id: string } | null }).accepted_by?.id === 'c-bob', 'Bob attending, on Amy\'s screen')
  })

  it('kill -9 in the middle of a ladder: after restart escalation continues, and no page is sent twice', async () => {
    const first = await startGatewayProcess({ config })
    running.push(first)
    const alertId = await raiseSeizure(first)
    await eventually(async () => escalations(await timeline(first, alertId)).length >= 1, 'step 2')
    await first.kill('SIGKILL')
    const second = await startGatewayProcess({ dataDir: first.dataDir, config })
    running.push(second)
    const t = await eventually(async () => {
      const tl = await timeline(second, alertId)
      return escalations(tl).some((e) => e.detail.target === 'team_leader') ? tl : null
    }, 'the ladder to reach the team leader after restart')
    const sent = t.filter((e) => e.kind === 'notification.transition' && e.detail.to === 'sent').map((e) => e.detail.notification_id)
    expect(new Set(sent).size).toBe(sent.length)
    const queued = t.filter((e) => e.kind === 'notification.transition' && e.detail.to === 'queued').map((e) => `${e.detail.user_id}/${e.detail.attempt}`)
    expect(new Set(queued).size).toBe(queued.length)
    // Steps fire in order, each once: 2 (on_shift), 3 (team_leader).
    expect(escalations(t).slice(0, 2).map((e) => e.detail.step)).toEqual([2, 3])
  })
})
