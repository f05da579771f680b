import mqtt, { type MqttClient } from 'mqtt'
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'

/**
 * A simulated native-JSON device: its own MQTT connection and credentials, QoS 1 events on
 * `care/<site>/device/<id>/event`. Written from the published device protocol (docs/device-protocol.md),
 * sharing no code with the gateway's adapters, so a wrong decoder and a wrong simulator cannot agree by construction.
 */
export interface SimulatedDevice {
  readonly id: string
  readonly client: MqttClient
  /** Publish one event at QoS 1; resolves on PUBACK with the event id used. */
  send(type: string, opts?: { eventId?: string; at?: Date }): Promise<string>
  close(): Promise<void>
}

export async function connectSimulatedDevice(opts: { url: string; site: string; deviceId: string; password: string }): Promise<SimulatedDevice> {
  const client = mqtt.connect(opts.url, { username: opts.deviceId, password: opts.password, clientId: opts.deviceId, clean: true, reconnectPeriod: 2000 })
  // MQTT.js makes a new socket on every reconnect and has no TCP_NODELAY option.
  client.on('connect', () => (client.stream as Socket).setNoDelay?.(true))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  const topic = `care/${opts.site}/device/${opts.deviceId}/event`
  return {
    id: opts.deviceId,
    client,
    async send(type, o = {}) {
      const eventId = o.eventId ?? randomUUID()
      await client.publishAsync(topic, JSON.stringify({ event_id: eventId, type, at: (o.at ?? new Date()).toISOString() }), { qos: 1 })
      return eventId
    },
    close: () => client.endAsync(),
  }
}
