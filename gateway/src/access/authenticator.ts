import type { CredentialRepository } from '../core/contracts.js'
import { SECRET_COST, unusableHash, VerifiedSecretCache, verifySecret } from './secrets.js'

const DUMMY_TOKEN_HASH = unusableHash(SECRET_COST)

/**
 * Checks a principal's secret against the stored hash. Used by the broker (devices) and by HTTP and
 * WebSocket (users). Tokens for users have the form `<user_id>.<secret>` so the lookup needs no scan.
 */
export function createAuthenticator(credentials: CredentialRepository) {
  const cache = new VerifiedSecretCache()
  async function check(principal: string, kind: 'device' | 'user', secret: string): Promise<boolean> {
    const stored = credentials.get(principal)
    if (!stored || stored.revoked || stored.kind !== kind) {
      // For users, pay the same scrypt as a real check, so the time taken does not reveal which user ids exist.
      if (kind === 'user') await verifySecret(secret, DUMMY_TOKEN_HASH)
      return false
    }
    if (cache.has(principal, secret, stored.secretHash)) return true
    const ok = await verifySecret(secret, stored.secretHash)
    if (ok) cache.add(principal, secret, stored.secretHash)
    return ok
  }
  return {
    device: (deviceId: string, password: string) => check(deviceId, 'device', password),
    /** Resolves to the user id, or null. */
    async userToken(token: string): Promise<string | null> {
      const dot = token.indexOf('.')
      if (dot <= 0) return null
      const userId = token.slice(0, dot)
      return (await check(userId, 'user', token.slice(dot + 1))) ? userId : null
    },
  }
}

export type Authenticator = ReturnType<typeof createAuthenticator>
