import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import { gatewayError } from '../core/errors.js'

/**
 * The audit chain's HMAC key: 32 random bytes, hex, in a file of its own (mode 0600) outside the database
 * file, so a copy of the database alone cannot be re-chained after tampering. Created on first start only
 * while the trail has no chained rows; if the trail is chained and the key is gone, starting would make
 * every row look forged, so it refuses with the path instead.
 */
export function loadAuditKey(path: string, mayCreate: boolean): Buffer {
  if (!existsSync(path)) {
    if (!mayCreate) throw gatewayError('GW_ERR_AUDIT_KEY', [path, 'the file is missing but the audit trail is already chained with a key; restore the key file from backup'])
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    chmodSync(path, 0o600)
  }
  const text = readFileSync(path, 'utf8').trim()
  if (!/^[0-9a-f]{64}$/.test(text)) throw gatewayError('GW_ERR_AUDIT_KEY', [path, 'expected 64 hexadecimal characters (a 256-bit key)'])
  return Buffer.from(text, 'hex')
}
