import type { MqttClient } from 'mqtt'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createPtyPair } from '../../simulators/lib/serial-link.js'
import { EspaNurseCallPanelSimulator } from '../../simulators/pagers/espa-nurse-call-panel.js'
import { EspaPagingSystemSimulator } from '../../simulators/pagers/espa-paging-system.js'
import { TapTerminalSimulator } from '../../simulators/pagers/tap-terminal.js'
import { api, connectDevice, connectScreen, eventually, publishEvent } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js'

/**
 * Issue 5 through the real gateway process and the real serialport stack, over pseudo-terminal pairs made
 * by socat: the gateway opens one end, a simulator (sharing no code with the drivers) the other.
 */
type Entry = { kind: string; actor: string; alert_id: string | null; detail: Record<string, unknown> }
const site = 'oak-house'

function writeConfig(dir: string, ports: { espa: string; tap: string; panel: string }): string {
  const immediate = (id: string, device: string, on: string, alert_class: string, priority: string, clears?: string) => ({ id, kind: 'immediate', device, on, alert_class, priority, ...(clears ? { clears } : {}) })
  const config = {
    sites: [{ id: site }],
    people: [
      { id: 'p-002', site, room_code: 'R14', carers: ['c-amy'], rules: [immediate('seizure', 'sz-r14', 'seizure_alarm', 'SEIZURE', 'high')] },
      { id: 'p-020', site, room_code: 'R20', carers: ['c-amy'], rules: [immediate('call', 'ncp-r20', 'nurse_call', 'NURSE CALL', 'medium', 'nurse_call_reset')] },
      { id: 'p-030', site, room_code: 'R30', carers: ['c-bob'], pager_template: '{room_code} {alert_class} please attend the room now', rules: [immediate('help', 'pend-r30', 'help_call', 'HELP', 'high')] },
    ],
    devices: [
      { id: 'sz-r14', type: 'seizure-monitor', site, person: 'p-002' },
      { id: 'ncp-r20', type: 'nurse-call-point', site, person: 'p-020' },
      { id: 'pend-r30', type: 'pendant', site, person: 'p-030' },
    ],
    users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }, { id: 'c-bob', role: 'carer', display_name: 'Bob' }, { id: 'tl-kim', role: 'team_leader', display_name: 'Kim' }],
    pagers: [
      { id: 'espa-amy', user: 'c-amy', protocol: 'espa', line: 'espa-main', address: '1234', fallback: 'soft-amy', max_length: 128 },
      { id: 'soft-amy', user: 'c-amy', protocol: 'soft' },
      { id: 'tap-bob', user: 'c-bob', protocol: 'tap', line: 'tap-main', address: '555', fallback: 'soft-bob', max_length: 200 },
      { id: 'soft-bob', user: 'c-bob', protocol: 'soft' },
      { id: 'soft-kim', user: 'tl-kim', protocol: 'soft' },
    ],
    lines: [
      { id: 'espa-main', protocol: 'espa', site, port: ports.espa, poll_ms: 200, ack_timeout_ms: 600, retries: 1, down_after: 2, reconnect_ms: 300 },
      { id: 'tap-main', protocol: 'tap', site, port: ports.tap, baud_rate: 9600, data_bits: 8, parity: 'none', block_chars: 16, t1_ms: 1000, t3_ms: 3000 },
    ],
    inputs: [{ id: 'panel-1', protocol: 'espa', site, port: ports.panel, addresses: { '2001': 'ncp-r20' }, link_timeout_s: 3600 }],
    escalation: ['high', 'medium'].map((priority) => ({ site, priority, steps: [{ to: 'assigned', wait_s: 600 }, { to: 'all', wait_s: 600 }] })),
  }
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(config))
  return file
}

describe('pager bridge over real serial lines', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined)
    cleanups.length = 0
  })

  async function setUp(opts: { espa?: ConstructorParameters<typeof Object>[0] } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'gw-pager-'))
    const [espa, tap, panel] = await Promise.all(['espa', 'tap', 'panel'].map((n) => createPtyPair(join(dir, n))))
    cleanups.push(() => espa!.close(), () => tap!.close(), () => panel!.close())
    const paging = await EspaPagingSystemSimulator.start(espa!.b, { ackAfterMs: 300, ...(opts.espa as object) })
    const terminal = await TapTerminalSimulator.start(tap!.b)
    cleanups.push(() => paging.stop(), () => terminal.stop())
    const gw = await startGatewayProcess({ config: writeConfig(dir, { espa: espa!.a, tap: tap!.a, panel: panel!.a }) })
    cleanups.push(() => gw.kill('SIGKILL'))
    const kim = gw.credentials.users['tl-kim']!
    const device = async (id: string): Promise<MqttClient> => {
      const c = await connectDevice(gw.mqttPort, id, gw.credentials.devices[id]!)
      cleanups.push(() => c.endAsync())
      return c
    }
    const timeline = async (alertId: string) => (await api(gw.httpPort, kim, `/api/audit?alert=${alertId}`)).body.timeline as Entry[]
    const alerts = async () => (await api(gw.httpPort, kim, '/api/alerts')).body.alerts as { id: string; kind: string; alert_class: string; state: string; room_code: string; accepted_by: { id: string } | null }[]
    return { dir, espa: espa!, panel: panel!, paging, terminal, gw, kim, device, timeline, alerts }
  }

  it('pages a seizure over ESPA; the pager acknowledges; the alert is accepted for its carer', async () => {
    const t = await setUp()
    await publishEvent(await t.device('sz-r14'), 'sz-r14', { type: 'seizure_alarm' })
    const call = await t.paging.waitForCall((c) => c.callType === '3', 10_000)
    expect(call).toMatchObject({ address: '1234', message: 'R14 SEIZURE', priority: '1', callType: '3' })
    const alert = await eventually(async () => (await t.alerts()).find((a) => a.state === 'acknowledged'), 'the pager acknowledgement to accept the alert')
    expect(alert.accepted_by?.id).toBe('c-amy')
    const tl = await t.timeline(alert.id)
    const accepted = tl.find((e) => e.kind === 'alert.transition' && e.detail.to === 'acknowledged')!
    expect(accepted).toMatchObject({ actor: 'user:c-amy', detail: { via: 'pager_status' } })
    expect(tl.filter((e) => e.kind === 'notification.transition').map((e) => e.detail.to)).toEqual(expect.arrayContaining(['queued', 'sent', 'delivered', 'accepted']))
    const frames = tl.filter((e) => e.kind === 'pager.frame')
    expect(frames.some((f) => f.detail.direction === 'tx' && f.detail.hex === call.rawHex.replace(/\s+/g, '').toLowerCase())).toBe(true)
    // The acknowledgement arrived as golden vector B (protocols.md §1.9): address 1234, status 6.
    expect(frames.find((f) => f.detail.direction === 'rx' && String(f.detail.what).startsWith('status 6'))?.detail.hex).toBe('013202311f313233341e371f360319')
  })

  it('withdraws the ESPA call with a reset (call type 1) when someone else accepts', async () => {
    const t = await setUp({ espa: { ackAfterMs: undefined } })
    await publishEvent(await t.device('sz-r14'), 'sz-r14', { type: 'seizure_alarm' })
    await t.paging.waitForCall((c) => c.callType === '3', 10_000)
    const alert = (await t.alerts())[0]!
    const accepted = await api(t.gw.httpPort, t.kim, `/api/alerts/${alert.id}/accept`, { method: 'POST', body: {} })
    expect(accepted.body.alert.accepted_by.id).toBe('tl-kim')
    const reset = await t.paging.waitForCall((c) => c.callType === '1', 10_000)
    // Golden vector C (protocols.md §1.9): reset of 1234, BCC 0x1E = RS.
    expect(reset.rawHex.replace(/\s+/g, '').toLowerCase()).toBe('013102311f313233341e341f31031e')
  })

  it('resends a call block after a NAK', async () => {
    const t = await setUp()
    t.paging.nakNext(1, '1')
    await publishEvent(await t.device('sz-r14'), 'sz-r14', { type: 'seizure_alarm' })
    await t.paging.waitForCall(() => true, 10_000)
    expect(t.paging.blocks.map((b) => b.verdict).slice(0, 2)).toEqual(['nak', 'ack'])
    const alert = (await t.alerts())[0]!
    const tl = await t.timeline(alert.id)
    expect(tl.filter((e) => e.kind === 'pager.frame' && e.detail.direction === 'tx' && String(e.detail.what).startsWith('call 1234') && String(e.detail.hex).startsWith('01')).length).toBe(2)
  })

  it('when the paging system stops answering: a technical alert, and the page fails over to the soft pager', async () => {
    const t = await setUp()
    t.paging.silent(true)
    const amy = await connectScreen(t.gw.httpPort, t.gw.credentials.users['c-amy']!)
    cleanups.push(async () => amy.close())
    await publishEvent(await t.device('sz-r14'), 'sz-r14', { type: 'seizure_alarm' })
    const page = await amy.waitFor((m) => m.type === 'notification' && (m.notification as { text: string; pager_id: string }).text === 'R14 SEIZURE' && (m.notification as { pager_id: string }).pager_id === 'soft-amy', 'the seizure page failed over to the soft pager')
    expect((page.notification as { pager_id: string }).pager_id).toBe('soft-amy')
    const tech = await eventually(async () => (await t.alerts()).find((a) => a.kind === 'technical'), 'the line-down technical alert')
    expect(tech).toMatchObject({ alert_class: 'PAGER LINE DOWN', room_code: 'ESPA-MAIN' })
  })

  it('recovers when the port is unplugged and plugged back, without a restart', async () => {
    const t = await setUp()
    await eventually(async () => ((await api(t.gw.httpPort, t.kim, '/api/audit?kind=pager.line')).body.entries as Entry[]).length >= 0, 'gateway up')
    await t.paging.stop()
    await t.espa.close()
    const down = await eventually(async () => (await t.alerts()).find((a) => a.kind === 'technical' && a.alert_class === 'PAGER LINE DOWN'), 'line down after unplug')
    const again = await createPtyPair(join(t.dir, 'espa'))
    cleanups.push(() => again.close())
    const paging = await EspaPagingSystemSimulator.start(again.b, {})
    cleanups.push(() => paging.stop())
    const up = await eventually(async () => ((await api(t.gw.httpPort, t.kim, '/api/audit?kind=pager.line')).body.entries as Entry[]).find((e) => e.detail.state === 'up'), 'line back up after replug')
    expect(up.detail.line).toBe('espa-main')
    // Pages use the line again.
    await publishEvent(await t.device('sz-r14'), 'sz-r14', { type: 'seizure_alarm' })
    expect((await paging.waitForCall(() => true, 10_000)).address).toBe('1234')
    expect(down.room_code).toBe('ESPA-MAIN')
  })

  it('turns a nurse-call panel call into an alert, and a reset call clears the source', async () => {
    const t = await setUp()
    const panel = await EspaNurseCallPanelSimulator.start(t.panel.b, {})
    cleanups.push(() => panel.stop())
    const sent = await panel.sendCall({ address: '2001', message: 'ROOM 20', priority: '2' })
    expect(sent.ok).toBe(true)
    const alert = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'NURSE CALL'), 'the nurse-call alert')
    expect(alert.room_code).toBe('R20')
    await panel.sendReset('2001')
    await eventually(async () => (await t.alerts()).find((a) => a.id === alert.id && a.state === 'cancelled'), 'the reset to cancel the medium-priority alert')
    const unknown = await panel.sendCall({ address: '9999' })
    expect(unknown.ok).toBe(true)
    const rejected = await eventually(async () => ((await api(t.gw.httpPort, t.kim, '/api/audit?kind=input.rejected')).body.entries as Entry[])[0], 'the unmapped address to be rejected')
    expect(rejected.detail).toMatchObject({ code: 'GW_ERR_INPUT_UNKNOWN_DEVICE', address: '9999' })
  })

  it('splits a long TAP page across blocks, and a TAP page never gets further than sent', async () => {
    const t = await setUp()
    await publishEvent(await t.device('pend-r30'), 'pend-r30', { type: 'help_call' })
    const page = await t.terminal.waitForPage(() => true, 10_000)
    expect(page).toMatchObject({ pagerId: '555', text: 'R30 HELP please attend the room now' })
    expect(page.blocks).toBeGreaterThanOrEqual(3)
    const alert = (await t.alerts()).find((a) => a.alert_class === 'HELP')!
    const states = await eventually(async () => {
      const s = (await t.timeline(alert.id)).filter((e) => e.kind === 'notification.transition' && e.detail.pager_id === 'tap-bob').map((e) => e.detail.to)
      return s.includes('sent') ? s : null
    }, 'the TAP page to be sent')
    expect(states).not.toContain('delivered')
  })
})
