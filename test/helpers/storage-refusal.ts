import { execFileSync } from 'node:child_process'
import mqtt, { type MqttClient } from 'mqtt'
import { connectDevice, publishEvent } from './clients.js'
import type { GatewayProcess } from './gateway-process.js'

/** The gateway process's file-size limit (RLIMIT_FSIZE), soft part only: a real kernel refusal of every write past it. */
export const limitFileSize = (gw: GatewayProcess, soft: number | 'unlimited') => execFileSync('prlimit', ['--pid', String(gw.child.pid!), `--fsize=${soft}:unlimited`])

/** Does this publish get its PUBACK within `ms`? */
export const acked = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])

/** A device as real ones behave: it reconnects and resends what was never acknowledged (MQTT 3.1.1 §4.4). */
export async function connectResendingDevice(gw: GatewayProcess, id: string): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { username: id, password: gw.credentials.devices[id]!, clientId: id, clean: true, reconnectPeriod: 300 })
  await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject) })
  return client
}

/**
 * Limit the gateway's file size so its writes are refused, then send heartbeats from bed-r12 until one is not
 * acknowledged (the write-ahead log still has room below the limit for a few commits). Returns whether the store
 * refused a write, and the bed sensor's client (its connection is dropped by the broker when refused).
 */
export async function refuseWrites(gw: GatewayProcess): Promise<{ refused: boolean; bed: MqttClient }> {
  const bed = await connectDevice(gw.mqttPort, 'bed-r12', gw.credentials.devices['bed-r12']!)
  limitFileSize(gw, 64 * 1024)
  let refused = false
  const until = Date.now() + 30_000
  for (let i = 0; i < 200 && !refused && Date.now() < until; i++) {
    refused = !(await acked(publishEvent(bed, 'bed-r12', { type: 'heartbeat' }), 2000))
    await new Promise((r) => setTimeout(r, 60))
  }
  return { refused, bed }
}
