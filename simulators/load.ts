import { parseArgs } from 'node:util'
import { Zigbee2mqttBridgeSimulator } from './devices/zigbee2mqtt-bridge.js'

/**
 * Load mode: N devices reporting through one zigbee2mqtt bridge (one MQTT connection, as a real bridge),
 * each a heartbeat-like state report every `--interval` seconds, spread evenly. Bounded: it stops after
 * `--duration` seconds (default 60) and never runs more than `--devices` (at most 50,000) devices.
 *   node --import tsx simulators/load.ts --password <bridge secret> --devices 1000 --interval 60 --duration 120
 * Friendly names are `load/dev-00000` …, to match a configuration generated for the same count.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, bridge: { type: 'string', default: 'z2m-main' }, password: { type: 'string' },
      base: { type: 'string', default: 'zigbee2mqtt' }, devices: { type: 'string', default: '100' }, interval: { type: 'string', default: '60' }, duration: { type: 'string', default: '60' },
    },
  })
  if (!values.password) throw new Error('--password (the bridge secret) is required')
  const n = Math.min(50_000, Math.max(1, Number(values.devices)))
  const intervalMs = Math.max(1, Number(values.interval)) * 1000
  const endAt = Date.now() + Math.max(1, Number(values.duration)) * 1000
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

main().catch((err: unknown) => {
  console.error((err as Error).message)
  process.exit(1)
})
