/** A browser session as stored: the cookie value itself is never stored, only its SHA-256. */
export interface SessionRecord {
  readonly idHash: string
  readonly userId: string
  readonly csrf: string
  readonly via: 'password' | 'token' | 'setup'
  readonly createdAt: number
  readonly lastSeenAt: number
  readonly expiresAt: number
}

export interface OneTimeTokenRecord {
  readonly tokenHash: string
  readonly purpose: 'setup' | 'password'
  readonly userId: string | null
  readonly createdBy: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly usedAt: number | null
}

/** Passwords, sessions and one-time links (issue 7). */
export interface AccountRepository {
  passwordHash(userId: string): string | null
  setPassword(userId: string, hash: string, at: number): void
  /** Users that have a password. */
  usersWithPassword(): string[]
  insertSession(s: SessionRecord): void
  session(idHash: string): SessionRecord | null
  touchSession(idHash: string, lastSeenAt: number): void
  deleteSession(idHash: string): boolean
  /** Ends every session of a user (password changed, user disabled); returns their id hashes. */
  deleteSessionsOf(userId: string): string[]
  /** Deletes sessions past their lifetime at `now` or last seen before `idleBefore`. */
  purgeExpiredSessions(now: number, idleBefore: number): number
  insertOneTimeToken(t: OneTimeTokenRecord): void
  oneTimeToken(tokenHash: string): OneTimeTokenRecord | null
  /** Marks it used; false if it was already used (a second use of a link is refused). */
  useOneTimeToken(tokenHash: string, at: number): boolean
  /** Withdraws unused tokens for a purpose (and user), e.g. an older setup link when a new one is printed. */
  withdrawOneTimeTokens(purpose: OneTimeTokenRecord['purpose'], userId: string | null, at: number): void
}
