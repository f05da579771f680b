import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AccountRepository, SessionRecord } from '../core/accounts.js'
import type { AuditLog } from '../core/contracts.js'
import { gatewayError } from '../core/errors.js'
import { LoginThrottle } from './login-throttle.js'
import { hashPassword, PASSWORD_COST, passwordProblem, verifyPassword } from './passwords.js'
import { unusableHash } from './secrets.js'

/** The parts of a configured user sign-in needs. */
export interface AccountUser {
  readonly id: string
  readonly role: 'carer' | 'team_leader' | 'at_admin' | 'auditor'
  readonly display_name: string
  readonly disabled?: boolean
}

export interface AccessDeps {
  readonly accounts: AccountRepository
  readonly audit: AuditLog
  /** The configured user, read at call time (configuration can change while running). */
  readonly user: (id: string) => AccountUser | undefined
  readonly users: () => Iterable<AccountUser>
  /** Resolves an access token (`<user>.<secret>`) to its user id, or null. */
  readonly tokenUser: (token: string) => Promise<string | null>
  /** Runs a write on the single writer (the group committer). */
  readonly transact: <T>(fn: () => T) => Promise<T>
  readonly now: () => number
  /** Adds an AT admin to the configuration (setup with a user id that is not configured yet); absent → refused. */
  readonly addAdmin?: (id: string, displayName: string) => Promise<void>
}

/** A carer's shift is up to 12 h; a session idle longer than that ends. */
export const SESSION_IDLE_MS = 12 * 3_600_000
/** However active, a session ends after 7 days (a wall board signs in again weekly). */
export const SESSION_MAX_MS = 7 * 86_400_000
/** Last-seen is written at most this often per session, so page traffic does not become database writes. */
const TOUCH_EVERY_MS = 5 * 60_000
export const SETUP_LINK_MS = 24 * 3_600_000
export const PASSWORD_LINK_MS = 72 * 3_600_000

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url')
const newToken = () => randomBytes(32).toString('base64url')

export interface SignedIn {
  /** The cookie value; only its hash is stored. */
  readonly sessionId: string
  readonly session: SessionRecord
  readonly user: AccountUser
}

export type LoginInput = { user_id: string; password: string } | { token: string }

/**
 * Individual sign-in (issue 7): passwords (scrypt, memory-hard) or an access token, sessions, one-time
 * setup and password links, throttling. Every outcome is audited with the actor and client address.
 */
export function createAccessService(deps: AccessDeps) {
  const perUser = new LoginThrottle(5, 15 * 60_000)
  const perAddress = new LoginThrottle(30, 15 * 60_000)
  const { accounts, audit } = deps
  const usable = (id: string) => {
    const u = deps.user(id)
    return u && !u.disabled ? u : undefined
  }

  async function startSession(user: AccountUser, via: SessionRecord['via'], client: string): Promise<SignedIn> {
    const sessionId = newToken()
    const now = deps.now()
    const session: SessionRecord = { idHash: sha256(sessionId), userId: user.id, csrf: newToken(), via, createdAt: now, lastSeenAt: now, expiresAt: now + SESSION_MAX_MS }
    await deps.transact(() => {
      accounts.insertSession(session)
      audit.append({ at: now, kind: 'auth.login', actor: `user:${user.id}`, detail: { via, client } })
    })
    return { sessionId, session, user }
  }

  async function refuse(attempted: string, reason: string, client: string): Promise<never> {
    const now = deps.now()
    await deps.transact(() => audit.append({ at: now, kind: 'auth.login_failed', actor: attempted, detail: { reason, client } }))
    throw gatewayError('GW_ERR_AUTH_LOGIN_FAILED')
  }

  /**
   * Counts an attempt as a failure before its slow check (so parallel guesses cannot all slip in under the
   * limit) or refuses at once when a key is locked; returns how to take the count back after a success.
   */
  async function attempt(keys: readonly (readonly [LoginThrottle, string])[], actor: string, client: string): Promise<() => void> {
    const now = deps.now()
    const wait = Math.max(...keys.map(([t, k]) => t.lockedFor(k, now)))
    if (wait > 0) {
      await deps.transact(() => audit.append({ at: now, kind: 'auth.login_throttled', actor, detail: { client } }))
      throw gatewayError('GW_ERR_AUTH_THROTTLED', [Math.ceil(wait / 60_000)])
    }
    for (const [t, k] of keys) t.fail(k, now)
    return () => {
      for (const [t, k] of keys) t.undo(k, now)
    }
  }

  function checkLink(token: string, purpose: 'setup' | 'password') {
    const rec = accounts.oneTimeToken(sha256(token))
    if (!rec || rec.purpose !== purpose) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', [purpose, 'unknown link'])
    if (rec.usedAt !== null) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', [purpose, 'it was already used or replaced by a newer one'])
    if (rec.expiresAt <= deps.now()) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', [purpose, 'it has expired'])
    return rec
  }

  /**
   * Stores a new password. With `link`, the one-time link is spent in the same transaction, so a link used
   * twice at once sets one password and the other use is refused.
   */
  async function setPassword(userId: string, password: string, actor: string, via: string, link?: { tokenHash: string; purpose: 'setup' | 'password' }): Promise<string[]> {
    const hash = await hashPassword(password, userId)
    const now = deps.now()
    return deps.transact(() => {
      if (link && !accounts.useOneTimeToken(link.tokenHash, now)) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', [link.purpose, 'it was already used'])
      accounts.setPassword(userId, hash, now)
      // A new password ends every other session of this user (a stolen session dies with the old password).
      const ended = accounts.deleteSessionsOf(userId)
      audit.append({ at: now, kind: 'auth.password_set', actor, detail: { user_id: userId, via, sessions_ended: ended.length } })
      return ended
    })
  }

  return {
    /** Sign in with a password or an access token. Throws GW_ERR_AUTH_LOGIN_FAILED or GW_ERR_AUTH_THROTTLED. */
    async login(input: LoginInput, client: string): Promise<SignedIn> {
      if ('token' in input) {
        const succeeded = await attempt([[perAddress, client]], 'token', client)
        const userId = await deps.tokenUser(input.token)
        const user = userId ? usable(userId) : undefined
        if (!user) return refuse('token', userId ? 'user disabled or no longer configured' : 'bad access token', client)
        succeeded()
        return startSession(user, 'token', client)
      }
      const userKey = `user:${input.user_id}`
      const succeeded = await attempt([[perUser, userKey], [perAddress, client]], userKey, client)
      const configured = deps.user(input.user_id)
      const hash = accounts.passwordHash(input.user_id)
      // Verify even for unknown users, so the response time does not reveal which user ids exist.
      const ok = await verifyPassword(input.password, hash ?? unusableHash(PASSWORD_COST))
      if (!configured) return refuse(userKey, 'unknown user id', client)
      if (configured.disabled) return refuse(userKey, 'user disabled', client)
      if (!hash) return refuse(userKey, 'no password set', client)
      if (!ok) return refuse(userKey, 'wrong password', client)
      succeeded()
      perUser.clear(userKey)
      return startSession(configured, 'password', client)
    },

    /**
     * A bearer token on an API call or WebSocket: the user id when the token is good AND the user is still
     * configured and enabled (a disabled carer's token must not accept alerts), else null. Bad tokens count
     * against the client address like failed sign-ins (GW_ERR_AUTH_THROTTLED once locked; the refusal is
     * audited by the caller).
     */
    async bearer(token: string, client: string): Promise<string | null> {
      // Tokens are 256-bit random, so guessing is hopeless and failures are counted after the check (not
      // provisionally, as for passwords): a ward's screens reconnecting at once behind one address must not lock it.
      const now = deps.now()
      const wait = perAddress.lockedFor(client, now)
      if (wait > 0) throw gatewayError('GW_ERR_AUTH_THROTTLED', [Math.ceil(wait / 60_000)])
      const userId = await deps.tokenUser(token)
      if (userId && usable(userId)) return userId
      perAddress.fail(client, deps.now())
      return null
    },

    /** The live session for a cookie value, or null (unknown, idle too long, past its lifetime, user disabled). */
    async resolve(sessionId: string): Promise<{ session: SessionRecord; user: AccountUser } | null> {
      const idHash = sha256(sessionId)
      const s = accounts.session(idHash)
      if (!s) return null
      const now = deps.now()
      const user = usable(s.userId)
      if (!user || s.expiresAt <= now || now - s.lastSeenAt > SESSION_IDLE_MS) {
        await deps.transact(() => accounts.deleteSession(idHash))
        return null
      }
      if (now - s.lastSeenAt > TOUCH_EVERY_MS) await deps.transact(() => accounts.touchSession(idHash, now))
      return { session: s, user }
    },

    /** Constant-time check of a request's CSRF token against its session's. */
    csrfMatches(session: SessionRecord, given: string | undefined): boolean {
      if (!given) return false
      const a = Buffer.from(session.csrf), b = Buffer.from(given)
      return a.length === b.length && timingSafeEqual(a, b)
    },

    async logout(session: SessionRecord): Promise<void> {
      const now = deps.now()
      await deps.transact(() => {
        accounts.deleteSession(session.idHash)
        audit.append({ at: now, kind: 'auth.logout', actor: `user:${session.userId}`, detail: {} })
      })
    },

    /** True while no AT admin can sign in with a password: the gateway then offers a one-time setup link. */
    setupNeeded(): boolean {
      const withPassword = new Set(accounts.usersWithPassword())
      return ![...deps.users()].some((u) => u.role === 'at_admin' && !u.disabled && withPassword.has(u.id))
    },

    /** A fresh setup link token (older ones withdrawn); printed on the console, never logged. */
    async issueSetupLink(): Promise<string> {
      const token = newToken()
      const now = deps.now()
      await deps.transact(() => {
        accounts.withdrawOneTimeTokens('setup', null, now)
        accounts.insertOneTimeToken({ tokenHash: sha256(token), purpose: 'setup', userId: null, createdBy: 'gateway', createdAt: now, expiresAt: now + SETUP_LINK_MS, usedAt: null })
        audit.append({ at: now, kind: 'auth.link_issued', actor: 'gateway', detail: { purpose: 'setup', expires_at: new Date(now + SETUP_LINK_MS).toISOString() } })
      })
      return token
    },

    /** Whether a setup link is current (for the setup page to say so before asking for a password). */
    setupTokenValid(token: string): boolean {
      try {
        checkLink(token, 'setup')
        return true
      } catch {
        return false
      }
    },

    /** Which configured AT admins the setup page may offer (those without a password). */
    setupCandidates(): { id: string; display_name: string }[] {
      const withPassword = new Set(accounts.usersWithPassword())
      return [...deps.users()].filter((u) => u.role === 'at_admin' && !u.disabled && !withPassword.has(u.id)).map((u) => ({ id: u.id, display_name: u.display_name }))
    },

    /** Completes setup: the first AT admin's password (adding the user to the configuration if asked to and possible). */
    async completeSetup(token: string, userId: string, displayName: string, password: string, client: string): Promise<SignedIn> {
      checkLink(token, 'setup')
      if (!this.setupNeeded()) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', ['setup', 'an AT admin already has a password'])
      let user = deps.user(userId)
      if (user && user.role !== 'at_admin') throw gatewayError('GW_ERR_API_BAD_REQUEST', [`user_id: '${userId}' is a ${user.role}; the first account must be an AT admin`])
      if (!user) {
        if (!deps.addAdmin) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`user_id: '${userId}' is not configured; add an at_admin user to the configuration`])
        const problem = passwordProblem(password, userId)
        if (problem) throw gatewayError('GW_ERR_AUTH_PASSWORD_WEAK', [problem])
        await deps.addAdmin(userId, displayName)
        user = deps.user(userId)
        if (!user) throw gatewayError('GW_ERR_BUG', ['the new AT admin is not in the configuration after adding it'])
      }
      // Spent with the password, in one transaction: a weak password (refused before it) leaves the link usable.
      await setPassword(userId, password, `user:${userId}`, 'setup link', { tokenHash: sha256(token), purpose: 'setup' })
      return startSession(user, 'setup', client)
    },

    /** An AT admin issues a one-time link for `userId` to choose a password (first sign-in or reset). */
    async issuePasswordLink(adminId: string, userId: string): Promise<{ token: string; expiresAt: number }> {
      if (!deps.user(userId)) throw gatewayError('GW_ERR_API_BAD_REQUEST', [`no user '${userId}'`])
      const token = newToken()
      const now = deps.now()
      await deps.transact(() => {
        accounts.withdrawOneTimeTokens('password', userId, now)
        accounts.insertOneTimeToken({ tokenHash: sha256(token), purpose: 'password', userId, createdBy: adminId, createdAt: now, expiresAt: now + PASSWORD_LINK_MS, usedAt: null })
        audit.append({ at: now, kind: 'auth.link_issued', actor: `user:${adminId}`, detail: { purpose: 'password', user_id: userId } })
      })
      return { token, expiresAt: now + PASSWORD_LINK_MS }
    },

    /** The user named by a valid password link (for the page to show whose password is being set). */
    passwordLinkUser(token: string): string {
      return checkLink(token, 'password').userId!
    },

    /** Sets a password through a one-time link; returns the ended sessions' id hashes. */
    async setPasswordWithLink(token: string, password: string): Promise<{ userId: string; ended: string[] }> {
      const rec = checkLink(token, 'password')
      const userId = rec.userId!
      if (!usable(userId)) throw gatewayError('GW_ERR_AUTH_LINK_INVALID', ['password', 'the user is disabled or no longer configured'])
      const ended = await setPassword(userId, password, `user:${userId}`, `link from ${rec.createdBy}`, { tokenHash: rec.tokenHash, purpose: 'password' })
      return { userId, ended }
    },

    /** A signed-in user changes their own password (the current one is checked). */
    async changePassword(session: SessionRecord, current: string, next: string, client: string): Promise<string[]> {
      // Someone holding an unattended session must not be able to guess the password: throttled and audited like sign-in.
      const userKey = `user:${session.userId}`
      const succeeded = await attempt([[perUser, userKey], [perAddress, client]], userKey, client)
      const hash = accounts.passwordHash(session.userId)
      if (!hash || !(await verifyPassword(current, hash))) {
        await deps.transact(() => audit.append({ at: deps.now(), kind: 'auth.login_failed', actor: userKey, detail: { reason: 'wrong current password (password change)', client } }))
        throw gatewayError('GW_ERR_API_BAD_REQUEST', ['current_password: this is not your current password'])
      }
      succeeded()
      const ended = await setPassword(session.userId, next, `user:${session.userId}`, 'self')
      return ended
    },

    /**
     * For a live screen's session, checked every minute while its socket is open: false once the session was
     * ended, passed its lifetime or its user was disabled; an open socket counts as use (last seen is kept fresh).
     */
    async keepAlive(idHash: string): Promise<boolean> {
      const s = accounts.session(idHash)
      const now = deps.now()
      if (!s || s.expiresAt <= now || !usable(s.userId)) return false
      if (now - s.lastSeenAt > TOUCH_EVERY_MS) await deps.transact(() => accounts.touchSession(idHash, now))
      return true
    },

    /** Ends all sessions of a user (disabled by an AT admin); returns their id hashes. */
    async endSessionsOf(userId: string): Promise<string[]> {
      return deps.transact(() => accounts.deleteSessionsOf(userId))
    },

    purgeExpired: () => deps.transact(() => accounts.purgeExpiredSessions(deps.now(), deps.now() - SESSION_IDLE_MS)),
  }
}

export type AccessService = ReturnType<typeof createAccessService>
