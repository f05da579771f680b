import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createTopicAcl } from './acl.js'
import { startBroker } from './broker.js'

/**
 * The embedded broker alone, for the benchmark's bare hop (issue 9): the same `startBroker` with the limits,
 * ACL, rate limits and TCP_NODELAY listeners the gateway runs, but no gateway logic: `onPublish` resolves at
 * once, so a QoS 1 PUBACK and the forward to subscribers cost only aedes and our hooks. Loopback only.
 *   node --import tsx broker/src/bare-main.ts --device-rate 200
 * Prints one JSON line `{ "port", "internal_token" }`; every device authenticates with password `bench`, on site `bench`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'device-rate': { type: 'string', default: '20' }, port: { type: 'string', default: '0' } } })
  const rate = Number(values['device-rate'])
  const internalToken = randomBytes(16).toString('hex')
  const broker = await startBroker({
    host: '127.0.0.1', port: Number(values.port), internalToken,
    acl: createTopicAcl({ siteOf: () => 'bench' }),
    // As gateway/src/main.ts: burst twice the per-device rate, payload cap max(ingest limit, 64 KiB).
    publishRate: () => ({ burst: Math.max(1, Math.ceil(rate * 2)), perSecond: rate }),
    maxPayloadBytes: 65_536,
    authenticate: async (_username, password) => password.toString('utf8') === 'bench',
    onPublish: () => Promise.resolve(),
  })
  process.stdout.write(`${JSON.stringify({ port: broker.port, internal_token: internalToken })}\n`)
  const stop = () => void broker.close().then(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

void main()
