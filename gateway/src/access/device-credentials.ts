import type { AuditLog, CredentialRepository } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import { generateSecret, hashSecret } from './secrets.js'

/**
 * Provisioning (issue 6): issue or rotate a device's MQTT secret (returned once, stored only as a scrypt
 * hash), or revoke it. Every action is audited with who did it. A rotated secret replaces the old one at
 * once: the gateway's verification cache is keyed by the stored hash, so the old secret stops working.
 */
export async function rotateDeviceSecret(repos: { credentials: CredentialRepository; audit: AuditLog }, deviceId: string, actor: string, now: number): Promise<string> {
  const existing = repos.credentials.get(deviceId)
  if (existing && existing.kind !== 'device') throw gatewayError('GW_ERR_API_BAD_REQUEST', [`'${deviceId}' is not a device`])
  const secret = generateSecret()
  repos.credentials.put(deviceId, 'device', await hashSecret(secret), now)
  repos.audit.append({ at: now, kind: 'credential.issued', actor, deviceId, detail: { principal: deviceId, principal_kind: 'device', via: existing ? 'rotate' : 'add' } })
  return secret
}

export function revokeDeviceSecret(repos: { credentials: CredentialRepository; audit: AuditLog }, deviceId: string, actor: string, now: number): void {
  if (repos.credentials.get(deviceId)?.kind === 'user') throw gatewayError('GW_ERR_API_BAD_REQUEST', [`'${deviceId}' is a user, not a device`])
  if (!repos.credentials.revoke(deviceId, now)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`device '${deviceId}' has no credential in force`])
  repos.audit.append({ at: now, kind: 'credential.revoked', actor, deviceId, detail: { principal: deviceId } })
}
