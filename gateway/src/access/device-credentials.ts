import type { AuditLog, CredentialRepository } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import { generateSecret, hashSecret } from './secrets.js'

/**
 * Provisioning (issue 6): issue or rotate a device's MQTT secret (returned once, stored only as a scrypt
 * hash), or revoke it. Every action is audited with who did it. A rotated secret replaces the old one at
 * once: the gateway's verification cache is keyed by the stored hash, so the old secret stops working.
 */
export async function rotateDeviceSecret(repos: { credentials: CredentialRepository; audit: AuditLog }, transact: <T>(run: () => T) => Promise<T>, deviceId: string, actor: string, now: number): Promise<string> {
  const secret = generateSecret()
  // Hashed before the write transaction: scrypt must not hold the single writer.
  const hash = await hashSecret(secret)
  await transact(() => recordDeviceSecret(repos, deviceId, hash, actor, now))
  return secret
}

/**
 * Stores a device's new secret hash and audits it (`credential.issued`), inside the caller's transaction:
 * the API, configuration changes and the command-line tool all issue device secrets through this.
 */
export function recordDeviceSecret(repos: { credentials: CredentialRepository; audit: AuditLog }, deviceId: string, hash: string, actor: string, now: number, via?: string): void {
  const existing = repos.credentials.get(deviceId)
  if (existing && existing.kind !== 'device') throw gatewayError('GW_ERR_API_BAD_REQUEST', [`'${deviceId}' is not a device`])
  repos.credentials.put(deviceId, 'device', hash, now)
  repos.audit.append({ at: now, kind: 'credential.issued', actor, deviceId, detail: { principal: deviceId, principal_kind: 'device', via: via ?? (existing ? 'rotate' : 'add') } })
}

export function revokeDeviceSecret(repos: { credentials: CredentialRepository; audit: AuditLog }, deviceId: string, actor: string, now: number): void {
  if (repos.credentials.get(deviceId)?.kind === 'user') throw gatewayError('GW_ERR_API_BAD_REQUEST', [`'${deviceId}' is a user, not a device`])
  if (!repos.credentials.revoke(deviceId, now)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`device '${deviceId}' has no credential in force`])
  repos.audit.append({ at: now, kind: 'credential.revoked', actor, deviceId, detail: { principal: deviceId } })
}
