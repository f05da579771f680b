import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * Secrets (device MQTT passwords, user access tokens) are random 256-bit values, stored only as scrypt
 * hashes: memory-hard (N=2^14, r=8 → 16 MiB per check), so a stolen database does not yield credentials.
 * Format: `scrypt$N$r$p$<salt b64>$<hash b64>`.
 */
/** scrypt cost for random 256-bit secrets (device passwords, user tokens). */
export const SECRET_COST = 16_384
const N = SECRET_COST
const R = 8
const P = 1
const KEYLEN = 32

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: n, r, p, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** A new random secret, base64url (safe in URLs fragments, MQTT passwords and WebSocket subprotocols). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** `n` is scrypt's cost: 2^14 for random 256-bit secrets; passwords, which people choose, pay 2^17 (passwords.ts). */
export async function hashSecret(secret: string, n = N): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(secret, salt, n, R, P)
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`
}

/**
 * A well-formed stored hash at cost `n` that no secret matches (an all-zero key), for checking a secret of a
 * principal that does not exist: the check costs the same, so its time does not reveal which ids exist.
 */
export function unusableHash(n: number): string {
  return `scrypt$${n}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEYLEN).toString('base64')}`
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p))
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/**
 * Remembers secrets already verified against a stored hash, keyed by principal and a SHA-256 of the secret,
 * so reconnect storms and every API call do not each pay 16 MiB of scrypt. Entries die with the process
 * and whenever the stored hash changes.
 */
export class VerifiedSecretCache {
  private readonly entries = new Map<string, string>()
  constructor(private readonly max = 50_000) {}

  private key(principal: string, secret: string): string {
    return principal + '\0' + createHash('sha256').update(secret).digest('base64')
  }

  has(principal: string, secret: string, storedHash: string): boolean {
    return this.entries.get(this.key(principal, secret)) === storedHash
  }

  add(principal: string, secret: string, storedHash: string): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(this.key(principal, secret), storedHash)
  }
}
