import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ContactModuleSimulator } from '../../simulators/devices/contact-module.js'
import { Zigbee2mqttBridgeSimulator } from '../../simulators/devices/zigbee2mqtt-bridge.js'
import { createPtyPair } from '../../simulators/lib/serial-link.js'
import { api, eventually } from '../helpers/clients.js'
import { type GatewayProcess, startGatewayProcess, tempDataDir } from '../helpers/gateway-process.js'

/**
 * Issue 6 through the real process: zigbee2mqtt devices speaking through one bridge identity on the
 * embedded broker, mapped by their type declarations; supervision of 500 devices of which 50 fall silent.
 */
const site = 'oak-house'
type Alert = { id: string; kind: string; alert_class: string; device_id: string | null; state: string; room_code: string; trigger_count: number }

function config(dir: string, sensors: number, modulePort?: string): string {
  const pirs = Array.from({ length: sensors }, (_, i) => `pir-${String(i).padStart(3, '0')}`)
  const cfg = {
    sites: [{ id: site }],
    zigbee2mqtt: [{ id: 'z2m-main', base_topic: 'zigbee2mqtt', site }],
    people: [
      { id: 'p-040', site, room_code: 'R40', carers: ['c-amy'], rules: [{ id: 'night-motion', kind: 'count_in_window', on: 'motion', count: 2, window_s: 60, priority: 'low', alert_class: 'MOVEMENT', device: 'pir-r40' }] },
      { id: 'p-050', site, room_code: 'R50', carers: ['c-amy'], rules: [{ id: 'bed-exit', kind: 'bed_exit', device: 'bed-r50', delay_s: 1 }] },
      ...pirs.map((id, i) => ({ id: `p-${i}`, site, room_code: `S${i}`, carers: ['c-amy'] })),
    ],
    devices: [
      { id: 'pir-r40', type: 'z2m-pir', site, person: 'p-040', z2m: { bridge: 'z2m-main', friendly_name: 'room40/pir' } },
      { id: 'bed-r50', type: 'bed-monitor', site, person: 'p-050' },
      { id: 'sz-r60', type: 'seizure-monitor', site, person: 'p-050' },
      ...pirs.map((id, i) => ({ id, type: 'z2m-pir', site, person: `p-${i}`, z2m: { bridge: 'z2m-main', friendly_name: `hall/${id}` }, supervision: { interval_s: 3, grace_s: 2 }, not_reporting_priority: 'low' })),
    ],
    users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }, { id: 'tl-kim', role: 'team_leader', display_name: 'Kim' }],
    pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }],
    inputs: modulePort ? [{ id: 'cm-1', protocol: 'contact-module', site, port: modulePort, heartbeat_s: 3600, channels: { '1': { device: 'bed-r50', wiring: 'nc', mode: 'level', debounce_ms: 50, active_event: 'out_of_bed', inactive_event: 'in_bed' } } }] : [],
  }
  const file = join(dir, 'devices.json')
  writeFileSync(file, JSON.stringify(cfg))
  return file
}

describe('devices through zigbee2mqtt, and supervision', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined)
    cleanups.length = 0
  })

  async function start(sensors: number, modulePort?: string) {
    const dir = tempDataDir()
    const gw: GatewayProcess = await startGatewayProcess({ dataDir: dir, config: config(dir, sensors, modulePort) })
    cleanups.push(() => gw.kill('SIGKILL'))
    const bridge = await Zigbee2mqttBridgeSimulator.start({ url: `mqtt://127.0.0.1:${gw.mqttPort}`, username: 'z2m-main', clientId: 'z2m-main', password: gw.credentials.devices['z2m-main']!, baseTopic: 'zigbee2mqtt' })
    cleanups.push(() => bridge.stop())
    const kim = gw.credentials.users['tl-kim']!
    const alerts = async () => (await api(gw.httpPort, kim, '/api/alerts?limit=1000')).body.alerts as Alert[]
    return { gw, bridge, kim, alerts }
  }

  it('a zigbee2mqtt PIR raises its rule\'s alert from real z2m payloads (occupancy edges, not every report)', async () => {
    const t = await start(0)
    await t.bridge.publishState('room40/pir', { occupancy: true, battery: 90, battery_low: false, tamper: false, linkquality: 120 })
    await t.bridge.publishState('room40/pir', { occupancy: true, battery: 90, battery_low: false, tamper: false, linkquality: 118 }) // no edge
    await t.bridge.publishState('room40/pir', { occupancy: false, battery: 90, battery_low: false, tamper: false, linkquality: 118 })
    await t.bridge.publishState('room40/pir', { occupancy: true, battery: 90, battery_low: false, tamper: false, linkquality: 117 })
    const alert = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'MOVEMENT'), 'the count-in-window alert from two motion edges')
    expect(alert).toMatchObject({ room_code: 'R40', device_id: 'pir-r40', kind: 'care' })
    // Tamper is a technical alert declared by the device type.
    await t.bridge.publishState('room40/pir', { occupancy: true, battery: 90, battery_low: false, tamper: true, linkquality: 117 })
    const tamper = await eventually(async () => (await t.alerts()).find((a) => a.kind === 'technical' && a.device_id === 'pir-r40'), 'the tamper technical alert')
    expect(tamper.alert_class).toBe('TAMPER')
    const health = (await api(t.gw.httpPort, t.kim, '/api/devices')).body.devices as { id: string; battery: number | null; online: boolean; open_technical_alerts: unknown[] }[]
    expect(health.find((d) => d.id === 'pir-r40')).toMatchObject({ battery: 90, online: true })
    expect(health.find((d) => d.id === 'pir-r40')!.open_technical_alerts).toHaveLength(1)
    // The bridge itself is a base unit: its bridge/state going offline is a link fault for the site.
    await t.bridge.bridgeState('offline')
    const bridgeDown = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'BRIDGE OFFLINE'), 'the bridge-offline alert')
    expect(bridgeDown).toMatchObject({ kind: 'technical', room_code: 'Z2M-MAIN' })
  })

  it('a bridge flushing its queue back to back: every occupancy edge between the messages is seen, none invented', async () => {
    const t = await start(0)
    // No wait between publishes: the gateway has the next message before the previous one's commit is on disk.
    const states = [true, false, true, false, true, true, false, true]
    await Promise.all(states.map((occupancy, i) => t.bridge.publishState('room40/pir', { occupancy, battery: 90, linkquality: 100 + i })))
    const rising = states.filter((s, i) => s && !(states[i - 1] ?? false)).length
    const motions = await eventually(async () => {
      const rows = (await api(t.gw.httpPort, t.kim, '/api/audit?kind=event.received&device=pir-r40')).body.entries as { detail: { type: string } }[]
      const n = rows.filter((r) => r.detail.type === 'motion').length
      return n >= rising ? n : null
    }, `${rising} motion events`)
    expect(motions).toBe(rising)
  })

  it('a bed-exit relay on a serial contact-input module raises the bed-exit alert; a cut cable is a fault, not silence', async () => {
    const pty = await createPtyPair(join(tempDataDir(), 'cm'))
    cleanups.push(() => pty.close())
    const module = await ContactModuleSimulator.start(pty.b, { id: 'CM4-0001', channels: ['CLOSED'], heartbeatMs: 1000 })
    cleanups.push(() => module.stop())
    const t = await start(0, pty.a)
    // NC wiring: CLOSED is in bed (normal); OPEN is out of bed; the 1 s delay passes without a return.
    await new Promise((r) => setTimeout(r, 500))
    module.set(1, 'OPEN')
    const alert = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'BED EXIT'), 'the bed-exit alert from the relay')
    expect(alert).toMatchObject({ room_code: 'R50', device_id: 'bed-r50' })
    module.set(1, 'FAULT')
    const fault = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'BED SENSOR FAULT'), 'the cut-cable fault alert')
    expect(fault).toMatchObject({ kind: 'technical', device_id: 'bed-r50' })
  })

  it('a device\'s MQTT last will raises "not reporting", and an unknown fault code is named, never dropped', async () => {
    const t = await start(0)
    const mqtt = (await import('mqtt')).default
    const secret = t.gw.credentials.devices['sz-r60']!
    const dev = mqtt.connect(`mqtt://127.0.0.1:${t.gw.mqttPort}`, { username: 'sz-r60', password: secret, clientId: 'sz-r60', reconnectPeriod: 0, will: { topic: 'care/oak-house/device/sz-r60/status', payload: Buffer.from('offline'), qos: 1, retain: false } })
    await new Promise<void>((resolve, reject) => (dev.once('connect', () => resolve()), dev.once('error', reject)))
    await dev.publishAsync('care/oak-house/device/sz-r60/event', JSON.stringify({ event_id: 'f-1', type: 'fault', at: new Date().toISOString(), code: 'E77' }), { qos: 1 })
    const fault = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'SEIZURE MONITOR FAULT'), 'the fault alert')
    const tl = (await api(t.gw.httpPort, t.kim, `/api/audit?alert=${fault.id}`)).body.timeline as { kind: string; detail: { reason?: string } }[]
    expect(tl.find((e) => e.kind === 'alert.transition')!.detail.reason).toBe('device fault: unknown code E77')
    // Vanish without DISCONNECT: the broker publishes the will.
    ;(dev.stream as import('node:net').Socket).destroy()
    const gone = await eventually(async () => (await t.alerts()).find((a) => a.alert_class === 'NOT REPORTING' && a.device_id === 'sz-r60'), 'the last-will alert')
    expect(gone.kind).toBe('technical')
    dev.end(true)
  })

  it('reads zigbee2mqtt on the broker it already uses, acknowledging only after commit', async () => {
    const { Aedes } = await import('aedes')
    const net = await import('node:net')
    const external = await Aedes.createBroker()
    const server = net.createServer((s) => external.handle(s))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    cleanups.push(() => new Promise<void>((r) => external.close(() => server.close(() => r()))))
    const port = (server.address() as import('node:net').AddressInfo).port
    const dir = tempDataDir()
    const file = config(dir, 0)
    const cfg = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { zigbee2mqtt: Record<string, unknown>[] }
    cfg.zigbee2mqtt[0] = { ...cfg.zigbee2mqtt[0], url: `mqtt://127.0.0.1:${port}` }
    writeFileSync(file, JSON.stringify(cfg))
    const gw = await startGatewayProcess({ dataDir: dir, config: file })
    cleanups.push(() => gw.kill('SIGKILL'))
    const bridge = await Zigbee2mqttBridgeSimulator.start({ url: `mqtt://127.0.0.1:${port}`, clientId: 'zigbee2mqtt', baseTopic: 'zigbee2mqtt' })
    cleanups.push(() => bridge.stop())
    const kim = gw.credentials.users['tl-kim']!
    await eventually(async () => {
      await bridge.publishState('room40/pir', { occupancy: true, battery: 90 })
      await bridge.publishState('room40/pir', { occupancy: false, battery: 90 })
      const alerts = (await api(gw.httpPort, kim, '/api/alerts')).body.alerts as Alert[]
      return alerts.find((a) => a.alert_class === 'MOVEMENT')
    }, 'a movement alert from the external broker')
  })

  it('of 500 supervised devices, the 50 that fall silent raise exactly 50 "not reporting" alerts, and "restored" when they resume', async () => {
    const t = await start(500)
    const ids = Array.from({ length: 500 }, (_, i) => `pir-${String(i).padStart(3, '0')}`)
    const silent = new Set(ids.filter((_, i) => i % 10 === 3))
    const report = (who: string[]) => Promise.all(who.map((id) => t.bridge.publishState(`hall/${id}`, { occupancy: false, battery: 80, linkquality: 100 })))
    // Bounded: at most 40 rounds of one report per device per second.
    let round = 0
    let stopped = false
    const loop = (async () => {
      while (!stopped && round++ < 40) {
        await report(ids.filter((id) => round < 3 || !silent.has(id) || round > 20))
        await new Promise((r) => setTimeout(r, 1000))
      }
    })()
    cleanups.push(async () => {
      stopped = true
      await loop
    })
    const notReporting = await eventually(async () => {
      const tech = (await t.alerts()).filter((a) => a.alert_class === 'NOT REPORTING')
      return tech.length >= 50 ? tech : null
    }, '50 not-reporting alerts', 30_000)
    expect(new Set(notReporting.map((a) => a.device_id))).toEqual(silent)
    const restored = await eventually(async () => {
      const rows = (await api(t.gw.httpPort, t.kim, '/api/audit?kind=device.restored&limit=1000')).body.entries as { device_id: string }[]
      return rows.length >= 50 ? rows : null
    }, 'the 50 devices restored', 40_000)
    expect(new Set(restored.map((r) => r.device_id))).toEqual(silent)
    // Still exactly 50: no device that kept reporting was ever flagged.
    expect((await t.alerts()).filter((a) => a.alert_class === 'NOT REPORTING')).toHaveLength(50)
  })
})
