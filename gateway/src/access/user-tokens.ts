import type { AuditLog, CredentialRepository } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import { generateSecret, hashSecret } from './secrets.js'

type Repos = { credentials: CredentialRepository; audit: AuditLog }

/**
 * A user's access token (scripts, integrations, wall boards): issued or rotated by an AT admin, returned
 * once as `<user_id>.<secret>`, stored as a scrypt hash. Rotating replaces the old token at once; revoking
 * (also done when the user is disabled) stops it. Both are audited with who did it.
 */
export async function issueUserToken(repos: Repos, transact: <T>(run: () => T) => Promise<T>, userId: string, actor: string, now: number): Promise<string> {
  const existing = repos.credentials.get(userId)
  if (existing && existing.kind !== 'user') throw gatewayError('GW_ERR_API_BAD_REQUEST', [`'${userId}' is not a user`])
  const secret = generateSecret()
  const hash = await hashSecret(secret)
  await transact(() => {
    repos.credentials.put(userId, 'user', hash, now)
    repos.audit.append({ at: now, kind: 'credential.issued', actor, detail: { principal: userId, principal_kind: 'user', via: existing ? 'rotate' : 'add' } })
  })
  return `${userId}.${secret}`
}

/** Revokes a user's token; false when none was in force (nothing is audited then). */
export function revokeUserToken(repos: Repos, userId: string, actor: string, now: number): boolean {
  const existing = repos.credentials.get(userId)
  if (!existing || existing.kind !== 'user' || !repos.credentials.revoke(userId, now)) return false
  repos.audit.append({ at: now, kind: 'credential.revoked', actor, detail: { principal: userId, principal_kind: 'user' } })
  return true
}
