import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { Zigbee2mqttBridgeSimulator } from './devices/zigbee2mqtt-bridge.js'
import { connectSimulatedDevice } from './lib/mqtt-device.js'

/**
 * Load mode, two ways. `--mode bridge` (default): N devices reporting through one zigbee2mqtt bridge (one MQTT connection, as a real bridge),
 * each a heartbeat-like state report every `--interval` seconds, spread evenly. Bounded: it stops after
 * `--duration` seconds (default 60) and never runs more than `--devices` (at most 50,000) devices.
 *   node --import tsx simulators/load.ts --password <bridge secret> --devices 1000 --interval 60 --duration 120
 * Friendly names are `load/dev-00000` …, to match a configuration generated for the same count.
 * `--mode native --credentials data/new-credentials.json [--prefix hb-]`: each native device in the file (ids
 * starting with the prefix) holds its own MQTT connection and sends a `heartbeat` every interval.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, bridge: { type: 'string', default: 'z2m-main' }, password: { type: 'string' },
      base: { type: 'string', default: 'zigbee2mqtt' }, mode: { type: 'string', default: 'bridge' }, credentials: { type: 'string' }, prefix: { type: 'string', default: '' }, site: { type: 'string', default: 'oak-house' }, devices: { type: 'string', default: '100' }, interval: { type: 'string', default: '60' }, duration: { type: 'string', default: '60' },
    },
  })
  const n = Math.min(50_000, Math.max(1, Number(values.devices)))
  const intervalMs = Math.max(1, Number(values.interval)) * 1000
  const endAt = Date.now() + Math.max(1, Number(values.duration)) * 1000
  if (values.mode === 'native') return native(values.url!, values.site!, values.credentials, values.prefix!, n, intervalMs, endAt)
  if (!values.password) throw new Error('--password (the bridge secret) is required')
  const bridge = await Zigbee2mqttBridgeSimulator.start({ url: values.url!, username: values.bridge!, password: values.password, baseTopic: values.base! })
  const names = Array.from({ length: n }, (_, i) => `load/dev-${String(i).padStart(5, '0')}`)
  let sent = 0
  // One tick every 100 ms publishes the slice of devices due in it, so reports are spread over the interval.
  const perTick = Math.max(1, Math.ceil(n / (intervalMs / 100)))
  let next = 0
  while (Date.now() < endAt) {
    const slice = names.slice(next, next + perTick)
    next = (next + perTick) % n
    await Promise.all(slice.map((name) => bridge.publishState(name, { occupancy: false, battery: 90, linkquality: 100 })))
    sent += slice.length
    await new Promise((r) => setTimeout(r, 100))
  }
  console.log(JSON.stringify({ devices: n, sent }))
  await bridge.stop()
}

/** N native devices, one connection each, a heartbeat every interval (spread evenly), until `endAt`. */
async function native(url: string, site: string, file: string | undefined, prefix: string, n: number, intervalMs: number, endAt: number): Promise<void> {
  if (!file) throw new Error('--credentials <new-credentials.json> is required in native mode')
  const creds = JSON.parse(readFileSync(file, 'utf8')) as { devices: Record<string, string> }
  const ids = Object.keys(creds.devices).filter((id) => id.startsWith(prefix)).slice(0, n)
  const devices = await Promise.all(ids.map((id) => connectSimulatedDevice({ url, site, deviceId: id, password: creds.devices[id]! })))
  let sent = 0
  const timers = devices.map((d, i) => setTimeout(function beat() {
    if (Date.now() >= endAt) return
    void d.send('heartbeat').then(() => sent++)
    timers[i] = setTimeout(beat, intervalMs)
  }, (intervalMs * i) / devices.length))
  await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())))
  timers.forEach((t) => clearTimeout(t))
  console.log(JSON.stringify({ devices: devices.length, sent }))
  await Promise.all(devices.map((d) => d.close()))
}

main().catch((err: unknown) => {
  console.error((err as Error).message)
  process.exit(1)
})
