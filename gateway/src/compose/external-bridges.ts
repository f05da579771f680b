import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { RawMessage } from '../core/event.js'

/**
 * zigbee2mqtt on the broker it already uses (issue 6): the gateway subscribes there as an ordinary client
 * and acknowledges each QoS 1 message only after it is committed, the same promise as on our broker:
 * MQTT.js sends the PUBACK when `handleMessage` calls back. Messages are attributed to the bridge's id,
 * so the same routing and checks apply. Nagle is switched off on every (re)connect.
 */
export async function startExternalBridges(config: Readonly<GatewayConfig>, clock: Clock, log: Logger, ingest: (raw: RawMessage) => Promise<unknown>): Promise<{ close(): Promise<void> }> {
  const clients: MqttClient[] = []
  for (const b of config.zigbee2mqtt.filter((x) => x.url)) {
    const client = mqtt.connect(b.url!, {
      clientId: `care-gateway-${b.id}`,
      clean: false, // a persistent session: messages published while the gateway restarts are kept for it
      reconnectPeriod: 1000,
      ...(b.username ? { username: b.username } : {}),
      ...(b.password_file ? { password: readFileSync(b.password_file, 'utf8').trim() } : {}),
    })
    client.on('connect', () => {
      ;(client.stream as Socket).setNoDelay?.(true)
      client.subscribe(`${b.base_topic}/#`, { qos: 1 })
      log.info({ bridge: b.id }, 'subscribed to the zigbee2mqtt broker')
    })
    client.on('error', (err) => log.warn({ err, bridge: b.id }, 'zigbee2mqtt broker connection error'))
    client.handleMessage = (packet, done) => {
      const raw: RawMessage = { transport: 'mqtt', topic: packet.topic, payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), principal: b.id, clientId: `external:${b.id}`, receivedAt: clock.now() }
      ingest(raw).then(() => done(), (err: unknown) => {
        // No PUBACK: the broker redelivers when we reconnect.
        log.error({ err, bridge: b.id }, 'could not commit a zigbee2mqtt message; withholding its acknowledgement')
        client.end(true, () => client.reconnect())
      })
    }
    clients.push(client)
  }
  return { close: async () => void (await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)))) }
}
