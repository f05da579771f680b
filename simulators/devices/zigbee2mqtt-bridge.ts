import mqtt, { type MqttClient } from 'mqtt'
import type { Socket } from 'node:net'
import { parseArgs } from 'node:util'

/**
 * A zigbee2mqtt bridge, as the gateway sees it over MQTT: ONE client (the bridge) publishing every zigbee
 * device's state. Written by hand from protocols.md §5.2 and §6.1, sharing no code with the gateway or its
 * adapters, so a wrong decoder and a wrong simulator cannot agree by construction.
 *
 * - `<base>/<friendly_name>`: the device's WHOLE state as a JSON object on every change; QoS 1, not retained
 *   (zigbee2mqtt's per-device default).
 * - `<base>/<friendly_name>/availability`: `{"state":"online"|"offline"}`, or plain `online`/`offline` as older
 *   versions sent; retained.
 * - `<base>/bridge/state`: retained, and also the connection's Last Will, so a crashed bridge reads offline (§6.1).
 */
export interface Zigbee2mqttBridgeOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string
  readonly username?: string
  readonly password?: string
  /** zigbee2mqtt's configurable base topic. Default 'zigbee2mqtt'. */
  readonly baseTopic?: string
  /** MQTT client id. Default 'zigbee2mqtt-sim'. */
  readonly clientId?: string
  /** Form of `bridge/state` and its will: JSON `{"state":…}` (current) or plain (legacy). Default 'json'. */
  readonly bridgeForm?: 'json' | 'plain'
}

type Availability = 'online' | 'offline'

/** The availability payload in either form (§5.2). */
const availabilityPayload = (state: Availability, form: 'json' | 'plain') => (form === 'json' ? JSON.stringify({ state }) : state)

/** A friendly name may contain '/', but never MQTT wildcards or empty levels (they could not be a topic). */
function checkFriendlyName(name: string): void {
  if (name === '' || /[+#\u0000]/.test(name) || name.split('/').some((level) => level === '')) {
    throw new TypeError(`friendly name '${name}' is not usable in a topic (no '+', '#', NUL or empty levels)`)
  }
}

export class Zigbee2mqttBridgeSimulator {
  private constructor(
    readonly client: MqttClient,
    readonly baseTopic: string,
    private readonly bridgeForm: 'json' | 'plain',
  ) {}

  /** Connect as the bridge, with its will on `bridge/state`, then announce `online` (as zigbee2mqtt does on start). */
  static async start(opts: Zigbee2mqttBridgeOptions): Promise<Zigbee2mqttBridgeSimulator> {
    const baseTopic = opts.baseTopic ?? 'zigbee2mqtt'
    const bridgeForm = opts.bridgeForm ?? 'json'
    const client = mqtt.connect(opts.url, {
      // The gateway's broker binds the client id to the username (no device may speak for another).
      clientId: opts.clientId ?? opts.username ?? 'zigbee2mqtt-sim',
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      clean: true,
      reconnectPeriod: 2000,
      will: { topic: `${baseTopic}/bridge/state`, payload: Buffer.from(availabilityPayload('offline', bridgeForm)), qos: 1, retain: true },
    })
    // MQTT.js makes a new socket on every reconnect and has no TCP_NODELAY option: set it on each connect.
    client.on('connect', () => (client.stream as Socket).setNoDelay?.(true))
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => {
        client.off('error', reject)
        resolve()
      })
      client.once('error', reject)
    })
    const sim = new Zigbee2mqttBridgeSimulator(client, baseTopic, bridgeForm)
    await sim.bridgeState('online')
    return sim
  }

  /** Publish a device's whole state on `<base>/<friendlyName>` (QoS 1, not retained); resolves on PUBACK. */
  async publishState(friendlyName: string, state: Record<string, unknown>): Promise<void> {
    checkFriendlyName(friendlyName)
    await this.client.publishAsync(`${this.baseTopic}/${friendlyName}`, JSON.stringify(state), { qos: 1, retain: false })
  }

  /** Publish a device's availability (retained, QoS 1), JSON by default or the older plain string. */
  async setAvailability(friendlyName: string, state: Availability, form: 'json' | 'plain' = 'json'): Promise<void> {
    checkFriendlyName(friendlyName)
    await this.client.publishAsync(`${this.baseTopic}/${friendlyName}/availability`, availabilityPayload(state, form), { qos: 1, retain: true })
  }

  /** Publish the bridge's own state on `<base>/bridge/state` (retained, QoS 1). */
  async bridgeState(state: Availability): Promise<void> {
    await this.client.publishAsync(`${this.baseTopic}/bridge/state`, availabilityPayload(state, this.bridgeForm), { qos: 1, retain: true })
  }

  /** Shut down cleanly, as zigbee2mqtt does: `bridge/state` offline, then DISCONNECT (so no will). */
  async stop(): Promise<void> {
    if (this.client.connected) await this.bridgeState('offline')
    await this.client.endAsync()
  }

  /** Drop the connection without DISCONNECT (a crash or a pulled cable): the broker publishes the will. */
  async crash(): Promise<void> {
    await this.client.endAsync(true)
  }
}

/** One CLI step: `state <name> <json>`, `online|offline <name> [plain]`, `bridge online|offline`, `wait <seconds>`. */
async function runStep(sim: Zigbee2mqttBridgeSimulator, step: string): Promise<void> {
  const [verb = '', name = '', ...rest] = step.trim().split(/\s+/)
  const arg = rest.join(' ')
  if (verb === 'state') {
    const state = JSON.parse(arg) as unknown
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error(`state for '${name}' must be a JSON object`)
    await sim.publishState(name, state as Record<string, unknown>)
  } else if (verb === 'online' || verb === 'offline') {
    await sim.setAvailability(name, verb, arg === 'plain' ? 'plain' : 'json')
  } else if (verb === 'bridge' && (name === 'online' || name === 'offline')) {
    await sim.bridgeState(name)
  } else if (verb === 'wait') {
    await new Promise((r) => setTimeout(r, Number(name) * 1000))
  } else {
    throw new Error(`unknown step '${step}' (use: state <name> <json> | online|offline <name> [plain] | bridge online|offline | wait <s>)`)
  }
  console.log(step)
}

/**
 * Command line, one `--step` per action, in order:
 * `node --import tsx simulators/devices/zigbee2mqtt-bridge.ts --username z2m --password <secret> \
 *    --step 'state hall/pir {"occupancy":true,"battery":87,"battery_low":false,"tamper":false,"linkquality":120}' \
 *    --step 'wait 5' --step 'offline hall/pir plain'`
 */
async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      username: { type: 'string' },
      password: { type: 'string' },
      'base-topic': { type: 'string', default: 'zigbee2mqtt' },
      'bridge-form': { type: 'string', default: 'json' },
      step: { type: 'string', multiple: true, default: [] },
      stay: { type: 'boolean', default: false },
    },
  })
  const bridgeForm = values['bridge-form'] === 'plain' ? 'plain' : 'json'
  const sim = await Zigbee2mqttBridgeSimulator.start({ url: values.url!, username: values.username, password: values.password, baseTopic: values['base-topic']!, bridgeForm })
  for (const step of values.step ?? []) await runStep(sim, step)
  if (!values.stay) await sim.stop()
}

if (import.meta.url === `file://${process.argv[1]}`) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
