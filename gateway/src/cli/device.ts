import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { rotateDeviceSecret, revokeDeviceSecret } from '../access/device-credentials.js'
import { loadConfig } from '../config/load.js'
import { isGatewayError } from '../core/errors.js'
import { registryContext } from '../registry-context.js'
import { createRepositories, openDatabase } from '../store/index.js'
import { hasChainedRows } from '../store/audit-integrity.js'
import { loadAuditKey } from '../audit/key-file.js'
import { auditPaths } from '../audit/paths.js'

/**
 * `npm run device -- add|rotate|revoke <device-id> [--by <who>] [--config <file>] [--data-dir <dir>]`
 * Issues, rotates or revokes a device's MQTT credential in the gateway's database (safe while the gateway
 * runs: SQLite WAL with a busy timeout). The new secret is printed once, to stdout, and never stored in clear.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { by: { type: 'string' }, config: { type: 'string' }, 'data-dir': { type: 'string' }, 'audit-key-file': { type: 'string' } } })
  const [action, deviceId] = positionals
  if (!['add', 'rotate', 'revoke'].includes(action ?? '') || !deviceId) throw new Error('usage: npm run device -- add|rotate|revoke <device-id> [--by <who>]')
  const config = loadConfig(values.config ?? process.env.GATEWAY_CONFIG ?? 'config/demo.json', registryContext)
  const known = config.devices.some((d) => d.id === deviceId) || config.zigbee2mqtt.some((b) => b.id === deviceId)
  if (!known) process.stderr.write(`warning: '${deviceId}' is not in the configuration; it can connect but none of its topics will be accepted until it is\n`)
  const dataDir = values['data-dir'] ?? process.env.GATEWAY_DATA_DIR ?? 'data'
  const db = openDatabase(join(dataDir, 'gateway.db'))
  // Rows this tool writes join the audit chain like the gateway's own.
  const repos = createRepositories(db, { auditKey: loadAuditKey(auditPaths(dataDir, { keyFile: values['audit-key-file'] }, process.env).keyFile, !hasChainedRows(db)) })
  const actor = `cli:${values.by ?? process.env.USER ?? 'unknown'}`
  try {
    // IMMEDIATE transactions: the credential and its chained audit row are written together, waiting their
    // turn behind the running gateway's writer (which also begins IMMEDIATE) instead of racing it.
    const transact = <T>(run: () => T): Promise<T> => Promise.resolve(db.transaction(run).immediate())
    if (action === 'revoke') {
      await transact(() => revokeDeviceSecret(repos, deviceId, actor, Date.now()))
      process.stdout.write(`revoked ${deviceId}\n`)
    } else {
      const secret = await rotateDeviceSecret(repos, transact, deviceId, actor, Date.now())
      process.stdout.write(`${deviceId} ${secret}\n`)
      process.stderr.write('this secret is shown once; give it to the installer and do not keep a copy\n')
    }
  } finally {
    db.close()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${isGatewayError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`)
  process.exit(1)
})
