import { gatewayError } from '../core/errors.js'
import { hashSecret, verifySecret } from './secrets.js'

/**
 * Passwords people choose are hashed with scrypt at N=2^17, r=8, p=1 (128 MiB per hash): OWASP's
 * Password Storage Cheat Sheet minimum for scrypt. Memory-hard, so guessing on GPUs is expensive; a
 * sign-in costs about a third of a second of one core, which the login throttle bounds.
 */
export const PASSWORD_COST = 131_072

export const MIN_PASSWORD = 12
export const MAX_PASSWORD = 256

/** Passwords people reach for first; a short list is enough to stop the worst (NIST SP 800-63B §5.1.1.2). */
const common = new Set([
  'password1234', 'password12345', 'password123456', '123456789012', '1234567890123', 'qwertyuiop12', 'qwertyuiopas', 'letmein12345',
  'welcome12345', 'iloveyou1234', 'changeme1234', 'administrator', 'passw0rd1234', 'p@ssw0rd1234', 'carealarm123', 'telecare1234',
  'abcdefghijkl', 'aaaaaaaaaaaa', '111111111111', '000000000000', 'monkey123456', 'football1234', 'liverpool123', 'manchester12',
])

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, userId: string): string | null {
  if (password.length < MIN_PASSWORD) return `use at least ${MIN_PASSWORD} characters (a few unrelated words make a good one)`
  if (password.length > MAX_PASSWORD) return `use at most ${MAX_PASSWORD} characters`
  if (userId.length >= 3 && password.toLowerCase().includes(userId.toLowerCase())) return 'must not contain your user id'
  if (common.has(password.toLowerCase()) || /^(.)\1+$/.test(password)) return 'this password is too common; choose another'
  return null
}

export async function hashPassword(password: string, userId: string): Promise<string> {
  const problem = passwordProblem(password, userId)
  if (problem) throw gatewayError('GW_ERR_AUTH_PASSWORD_WEAK', [problem])
  return hashSecret(password, PASSWORD_COST)
}

export const verifyPassword = verifySecret
