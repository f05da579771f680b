import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createTopicAcl, startBroker } from '../../../broker/src/index.js'
import type { ConfigIndex } from '../config/config-index.js'
import type { GatewayConfig } from '../config/schema.js'
import type { RawMessage } from '../core/event.js'
import type { IngestOutcome } from '../pipeline.js'

export interface DeviceBrokerDeps {
  readonly config: Readonly<GatewayConfig>
  readonly index: ConfigIndex
  readonly host: string
  readonly mqttPort: number
  /** Checks a device's (or bridge's) secret. */
  readonly authenticate: (username: string, secret: string) => Promise<boolean>
  /** Audits a refusal at the MQTT level (compose/refusal-audit.ts). */
  readonly refused: (actor: string, what: string, reason: string) => void
  /** Durably handles a device's message; the PUBACK waits for it. */
  readonly ingest: (raw: RawMessage) => Promise<IngestOutcome>
  readonly now: () => number
}

/**
 * The embedded MQTT broker the devices talk to, with the gateway's rules: no device may speak for another, bridges
 * only under their base topic, the gateway alone on alert topics (issue 6); per-device publish rates and payload
 * limits; every PUBLISH handed to the pipeline before its PUBACK. Returns the broker and the token of the gateway's own
 * internal client.
 */
export async function startDeviceBroker(deps: DeviceBrokerDeps) {
  const { config, index } = deps
  const internalToken = randomBytes(32).toString('base64url')
  // Bridges on an external broker never connect to ours.
  const bridges = Object.fromEntries(config.zigbee2mqtt.filter((b) => !b.url).map((b) => [b.id, b.base_topic]))
  const siteOf = (principal: string) => index.devices.get(principal)?.site ?? index.disabledDevices.get(principal)?.device.site ?? config.zigbee2mqtt.find((b) => b.id === principal)?.site
  const tlsCfg = config.broker.tls
  const devRate = config.broker.device_publish_rate
  const broker = await startBroker({
    host: deps.host, port: config.broker.plaintext ? deps.mqttPort : null, internalToken,
    acl: createTopicAcl({ bridges, siteOf }),
    publishRate: (principal) => (principal in bridges ? { burst: 1000, perSecond: 500 } : { burst: Math.max(1, Math.ceil(devRate * 2)), perSecond: devRate }),
    maxPayloadBytes: Math.max(config.ingest.max_payload_bytes, 65_536),
    ...(tlsCfg ? { tls: { port: tlsCfg.port, host: tlsCfg.host, key: readFileSync(tlsCfg.key_file), cert: readFileSync(tlsCfg.cert_file), ...(tlsCfg.ca_file ? { ca: readFileSync(tlsCfg.ca_file) } : {}), requestCert: tlsCfg.require_client_cert } } : {}),
    authenticate: (username, password) => deps.authenticate(username, password.toString('utf8')),
    onRefused: (what, clientId, reason) => deps.refused(`mqtt-client:${clientId}`, `mqtt ${what}`, reason),
    async onPublish(principal, clientId, topic, payload) {
      await deps.ingest({ transport: 'mqtt', topic, payload, principal: principal?.username ?? null, clientId, receivedAt: deps.now() })
    },
  })
  return { broker, internalToken }
}
