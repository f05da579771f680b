import mqtt, { type MqttClient } from 'mqtt'
import type { Socket } from 'node:net'
import { gatewayStatusTopic } from './core/topics.js'

/**
 * The gateway's own MQTT client: publishes `care/<site>/gateway/status` retained `online`, with a last will
 * of `offline` (protocols.md §6.1), so devices and other systems can see whether the gateway is alive.
 * MQTT.js has no TCP_NODELAY option and makes a new socket on every reconnect, so Nagle is switched off
 * on each connect (issue 9: a QoS 1 hop otherwise stalls ~40 ms on delayed ACKs).
 */
export async function startStatusPublisher(url: string, token: string, siteIds: readonly string[]): Promise<{ client: MqttClient; close(): Promise<void> }> {
  const first = siteIds[0]!
  const client = mqtt.connect(url, {
    username: 'gateway',
    password: token,
    clientId: `gateway-${process.pid}`,
    clean: true,
    reconnectPeriod: 1000,
    will: { topic: gatewayStatusTopic(first), payload: Buffer.from('offline'), qos: 1, retain: true },
  })
  client.on('connect', () => {
    ;(client.stream as Socket).setNoDelay?.(true)
    for (const site of siteIds) client.publish(gatewayStatusTopic(site), 'online', { qos: 1, retain: true })
  })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return {
    client,
    async close() {
      await Promise.all(siteIds.map((site) => client.publishAsync(gatewayStatusTopic(site), 'offline', { qos: 1, retain: true }).catch(() => undefined)))
      await client.endAsync()
    },
  }
}
