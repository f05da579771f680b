import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { startBrokerThread } from './broker-thread.js'
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
  readonly log: Logger
}

/** Each principal's site for the broker's ACL: running and disabled devices, and bridges on our broker. */
function principalSites(index: ConfigIndex): [string, string][] {
  return [
    ...[...index.disabledDevices.values()].map((d) => [d.device.id, d.device.site] as [string, string]),
    ...[...index.devices.values()].map((d) => [d.id, d.site] as [string, string]),
    ...index.config.zigbee2mqtt.map((b) => [b.id, b.site] as [string, string]),
  ]
}

/**
 * The embedded MQTT broker the devices talk to, on its own thread (compose/broker-thread.ts), with the gateway's
 * rules: no device may speak for another, bridges only under their base topic, the gateway alone on alert topics
 * (issue 6); per-device publish rates and payload limits; every PUBLISH handed to the pipeline before its PUBACK.
 * Returns the broker, the token of the gateway's own internal client, and what to call after a configuration change.
 */
export async function startDeviceBroker(deps: DeviceBrokerDeps) {
  const { config, index } = deps
  const internalToken = randomBytes(32).toString('base64url')
  const tlsCfg = config.broker.tls
  const broker = await startBrokerThread({
    host: deps.host, port: config.broker.plaintext ? deps.mqttPort : null, internalToken,
    // Bridges on an external broker never connect to ours.
    bridges: Object.fromEntries(config.zigbee2mqtt.filter((b) => !b.url).map((b) => [b.id, b.base_topic])),
    sites: principalSites(index),
    devicePublishRate: config.broker.device_publish_rate,
    maxPayloadBytes: Math.max(config.ingest.max_payload_bytes, 65_536),
    ...(tlsCfg ? { tls: { port: tlsCfg.port, host: tlsCfg.host, key: readFileSync(tlsCfg.key_file), cert: readFileSync(tlsCfg.cert_file), ...(tlsCfg.ca_file ? { ca: readFileSync(tlsCfg.ca_file) } : {}), requestCert: tlsCfg.require_client_cert } } : {}),
  }, {
    authenticate: deps.authenticate,
    refused: (what, clientId, reason) => deps.refused(`mqtt-client:${clientId}`, `mqtt ${what}`, reason),
    publish: (principal, clientId, topic, payload) => deps.ingest({ transport: 'mqtt', topic, payload, principal, clientId, receivedAt: deps.now() }),
    // As when an exception in aedes took down the process it ran in: no device event can arrive any more, so stop (exit
    // code 70, EX_SOFTWARE) and let the service manager restart the gateway; devices resend what was not acknowledged.
    died: (err) => {
      deps.log.fatal({ err }, 'the device broker thread died')
      process.exit(70)
    },
  })
  const refreshSites = () => broker.setSites(principalSites(index))
  // A change saved while the thread was starting (the API is already up) reached the index but not the thread.
  refreshSites()
  return { broker, internalToken, refreshSites }
}
